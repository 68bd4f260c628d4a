with

comparisons as (

    select * from {{ ref('int_company_vs_benchmark') }}

),

decided as (

    select
        *,
        {{ suppression_reason(
            n_respondents='n_respondents',
            n_companies='n_other_companies',
            max_company_share='loo_max_company_share'
        ) }} as suppression_reason
    from comparisons

),

final as (

    select
        cast(year as integer) as year,
        cast(company_id as varchar) as company_id,
        cast(benchmark_scope as varchar) as benchmark_scope,
        cast(benchmark_id as varchar) as benchmark_id,
        cast(measure_type as varchar) as measure_type,
        cast(measure_id as varchar) as measure_id,
        cast(n_respondents as integer) as n_respondents,
        cast({{ disclosed('company_index') }} as double) as company_index,
        cast({{ disclosed('benchmark_index') }} as double) as benchmark_index,
        cast({{ disclosed('gap') }} as double) as gap,
        cast({{ disclosed('p_value') }} as double) as p_value,
        cast({{ disclosed('gap_significant') }} as boolean) as gap_significant,
        cast({{ disclosed('percentile_rank') }} as double) as percentile_rank,
        cast({{ disclosed('previous_index') }} as double) as previous_index,
        cast({{ disclosed('yoy_change') }} as double) as yoy_change,
        cast({{ disclosed('yoy_p_value') }} as double) as yoy_p_value,
        cast({{ disclosed('yoy_significant') }} as boolean) as yoy_significant,
        suppression_reason is not null as suppressed,
        cast(suppression_reason as varchar) as suppression_reason
    from decided
    order by year asc, company_id asc, benchmark_scope desc, sort_order asc, measure_type asc, measure_id asc

)

select * from final
