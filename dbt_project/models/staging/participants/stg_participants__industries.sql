with

source as (

    select * from {{ ref('industries') }}

),

renamed as (

    select
        cast(industry_id as varchar) as industry_id,
        cast(industry_name_nb as varchar) as industry_name_nb,
        cast(industry_name_en as varchar) as industry_name_en
    from source

)

select * from renamed
