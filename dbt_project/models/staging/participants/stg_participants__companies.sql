with

source as (

    select * from {{ ref('companies') }}

),

renamed as (

    select
        cast(company_id as varchar) as company_id,
        cast(company_name as varchar) as company_name,
        cast(industry_id as varchar) as industry_id
    from source

)

select * from renamed
