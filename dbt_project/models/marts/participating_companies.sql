{{ config(alias='companies') }}

with

participation as (

    select distinct
        year,
        company_id
    from {{ ref('int_company_measure_stats') }}
    where {{ year_built_this_run() }}

),

companies as (

    select * from {{ ref('stg_participants__companies') }}

),

final as (

    select
        cast(participation.year as integer) as year,
        cast(companies.company_id as varchar) as company_id,
        cast(companies.company_name as varchar) as company_name,
        cast(companies.industry_id as varchar) as industry_id
    from participation
    inner join companies
        on participation.company_id = companies.company_id
    order by year, company_id

)

select * from final
