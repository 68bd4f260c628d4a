-- The headline national figures of a year, as they are read out: the overall index, eNPS and each item's mean, all
-- respondent-weighted over every participating company (the same numbers as the national rows of benchmarks, with
-- the same disclosure control), with the measure's name for display.
with

benchmark_stats as (

    select * from {{ ref('int_benchmark_measure_stats') }}
    where {{ year_built_this_run() }}

),

items as (

    select * from {{ ref('stg_questionnaire__items') }}

),

-- the disclosure layer: the national benchmark's decision (int_benchmark_disclosure)
benchmark_disclosure as (

    select * from {{ ref('int_benchmark_disclosure') }}
    where {{ year_built_this_run() }}

),

national as (

    select *
    from benchmark_stats
    where benchmark_scope = 'national'
        and measure_type in ('index', 'enps', 'item')

),

decided as (

    select
        national.*,
        case national.measure_type
            when 'index' then 'Medarbeiderindeks'
            when 'enps' then 'eNPS'
            else items.text_nb
        end as measure_name_nb,
        case national.measure_type
            when 'index' then 'Employee index'
            when 'enps' then 'eNPS'
            else items.text_en
        end as measure_name_en,
        coalesce(
            {{ suppression_reason(
                n_respondents='national.n_respondents',
                n_companies='national.n_companies',
                max_company_share='national.max_company_share'
            ) }},
            benchmark_disclosure.suppression_reason
        ) as suppression_reason
    from national
    left join benchmark_disclosure
        on national.year = benchmark_disclosure.year
            and national.benchmark_scope = benchmark_disclosure.benchmark_scope
            and national.benchmark_id = benchmark_disclosure.benchmark_id
            and national.measure_type = benchmark_disclosure.measure_type
            and national.measure_id = benchmark_disclosure.measure_id
    left join items
        on national.measure_type = 'item'
            and national.measure_id = items.item_id

),

final as (

    select
        cast(year as integer) as year,
        cast(measure_type as varchar) as measure_type,
        cast(measure_id as varchar) as measure_id,
        cast(measure_name_nb as varchar) as measure_name_nb,
        cast(measure_name_en as varchar) as measure_name_en,
        cast({{ disclosed('n_respondents') }} as integer) as n_respondents,
        cast({{ disclosed('n_companies') }} as integer) as n_companies,
        cast({{ disclosed('mean_score') }} as double) as mean_score,
        cast({{ disclosed('index_0_100') }} as double) as index_0_100,
        suppression_reason is not null as suppressed,
        cast(suppression_reason as varchar) as suppression_reason
    from decided
    order by year, sort_order, measure_type, measure_id

)

select * from final
