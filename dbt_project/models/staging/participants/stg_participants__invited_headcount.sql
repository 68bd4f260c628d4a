with

source as (

    select * from {{ ref('invited_headcount') }}

),

renamed as (

    select
        cast(year as integer) as year,
        cast(company_id as varchar) as company_id,
        cast(invited as integer) as invited
    from source

)

select * from renamed
