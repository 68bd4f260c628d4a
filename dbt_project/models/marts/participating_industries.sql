{{ config(alias='industries') }}

with

participation as (

    select distinct
        year,
        industry_id
    from {{ ref('int_company_measure_stats') }}
    where {{ year_built_this_run() }}

),

industries as (

    select * from {{ ref('stg_participants__industries') }}

),

final as (

    select
        cast(participation.year as integer) as year,
        cast(industries.industry_id as varchar) as industry_id,
        cast(industries.industry_name_nb as varchar) as industry_name_nb,
        cast(industries.industry_name_en as varchar) as industry_name_en
    from participation
    inner join industries
        on participation.industry_id = industries.industry_id
    order by year, industry_id

)

select * from final
