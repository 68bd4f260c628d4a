with

comparisons as (

    select * from {{ ref('int_company_vs_benchmark') }}
    where {{ year_built_this_run() }}

),

-- the disclosure decision (company cell, leave-one-out pool, benchmark itself, previous year):
-- int_comparison_disclosure
disclosure as (

    select * from {{ ref('int_comparison_disclosure') }}
    where {{ year_built_this_run() }}

),

decided as (

    select
        comparisons.* exclude (n_other_companies, previous_index, yoy_change, yoy_p_value, yoy_significant),
        disclosure.suppression_reason,
        disclosure.n_other_companies,
        100.0 * disclosure.loo_largest_n / nullif(disclosure.loo_n_respondents, 0) as other_max_company_share_pct,
        100.0 * (disclosure.loo_n_respondents - disclosure.loo_largest_n - disclosure.loo_second_n)
        / nullif(disclosure.loo_largest_n, 0) as p_rule_remainder_pct,
        case when disclosure.previous_published then comparisons.previous_index end as previous_index,
        case when disclosure.previous_published then comparisons.yoy_change end as yoy_change,
        case when disclosure.previous_published then comparisons.yoy_p_value end as yoy_p_value,
        case when disclosure.previous_published then comparisons.yoy_significant end as yoy_significant
    from comparisons
    left join disclosure
        on comparisons.year = disclosure.year
            and comparisons.company_id = disclosure.company_id
            and comparisons.benchmark_scope = disclosure.benchmark_scope
            and comparisons.benchmark_id = disclosure.benchmark_id
            and comparisons.measure_type = disclosure.measure_type
            and comparisons.measure_id = disclosure.measure_id

),

final as (

    select
        cast(year as integer) as year,
        cast(company_id as varchar) as company_id,
        cast(benchmark_scope as varchar) as benchmark_scope,
        cast(benchmark_id as varchar) as benchmark_id,
        cast(measure_type as varchar) as measure_type,
        cast(measure_id as varchar) as measure_id,
        cast({{ disclosed('n_respondents') }} as integer) as n_respondents,
        cast({{ disclosed('n_other_companies') }} as integer) as n_other_companies,
        cast({{ disclosed('other_max_company_share_pct') }} as double) as other_max_company_share_pct,
        cast({{ disclosed('p_rule_remainder_pct') }} as double) as p_rule_remainder_pct,
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
