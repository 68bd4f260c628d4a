with

benchmark_stats as (

    select * from {{ ref('int_benchmark_measure_stats') }}

),

decided as (

    select
        *,
        {{ suppression_reason(
            n_respondents='n_respondents',
            n_companies='n_companies',
            max_company_share='max_company_share'
        ) }} as suppression_reason
    from benchmark_stats

),

final as (

    select
        cast(year as integer) as year,
        cast(benchmark_scope as varchar) as benchmark_scope,
        cast(benchmark_id as varchar) as benchmark_id,
        cast(measure_type as varchar) as measure_type,
        cast(measure_id as varchar) as measure_id,
        cast(n_respondents as integer) as n_respondents,
        cast(n_companies as integer) as n_companies,
        cast({{ disclosed('mean_score') }} as double) as mean_score,
        cast({{ disclosed('index_0_100') }} as double) as index_0_100,
        cast({{ disclosed('index_company_weighted') }} as double) as index_company_weighted,
        cast({{ disclosed('p25') }} as double) as p25,
        cast({{ disclosed('p50') }} as double) as p50,
        cast({{ disclosed('p75') }} as double) as p75,
        cast({{ disclosed('p90') }} as double) as p90,
        cast({{ disclosed('favorable_pct') }} as double) as favorable_pct,
        cast({{ disclosed('neutral_pct') }} as double) as neutral_pct,
        cast({{ disclosed('unfavorable_pct') }} as double) as unfavorable_pct,
        cast({{ disclosed('dont_know_pct') }} as double) as dont_know_pct,
        suppression_reason is not null as suppressed,
        cast(suppression_reason as varchar) as suppression_reason
    from decided
    order by year asc, benchmark_scope desc, benchmark_id asc, sort_order asc, measure_type asc, measure_id asc

)

select * from final
