with

-- the disclosure decision (primary and complementary suppression, distribution threshold): int_benchmark_disclosure
decided as (

    select * from {{ ref('int_benchmark_disclosure') }}
    where {{ year_built_this_run() }}

),

final as (

    select
        cast(year as integer) as year,
        cast(benchmark_scope as varchar) as benchmark_scope,
        cast(benchmark_id as varchar) as benchmark_id,
        cast(measure_type as varchar) as measure_type,
        cast(measure_id as varchar) as measure_id,
        cast({{ disclosed('n_respondents') }} as integer) as n_respondents,
        cast({{ disclosed('n_companies') }} as integer) as n_companies,
        cast({{ disclosed('n_companies_excluded') }} as integer) as n_companies_excluded,
        cast(
            {{ disclosed('100.0 * largest_company_n / nullif(pool_n_respondents, 0)') }} as double
        ) as max_company_share_pct,
        cast(
            {{ disclosed(
                '100.0 * (pool_n_respondents - largest_company_n - second_company_n) / nullif(largest_company_n, 0)'
            ) }} as double
        ) as p_rule_remainder_pct,
        cast({{ disclosed('mean_score') }} as double) as mean_score,
        cast({{ disclosed('index_0_100') }} as double) as index_0_100,
        cast({{ disclosed('sd') }} as double) as sd,
        -- the interval's width measures how far the companies lie from each other: published with the distribution
        cast(case when distribution_published then {{ disclosed('ci_low') }} end as double) as ci_low,
        cast(case when distribution_published then {{ disclosed('ci_high') }} end as double) as ci_high,
        cast(
            case when distribution_published then {{ disclosed('index_company_weighted') }} end as double
        ) as index_company_weighted,
        cast(
            case when distribution_published then {{ disclosed('company_weighted_ci_low') }} end as double
        ) as company_weighted_ci_low,
        cast(
            case when distribution_published then {{ disclosed('company_weighted_ci_high') }} end as double
        ) as company_weighted_ci_high,
        cast(case when distribution_published then {{ disclosed('p25') }} end as double) as p25,
        cast(case when distribution_published then {{ disclosed('p50') }} end as double) as p50,
        cast(case when distribution_published then {{ disclosed('p75') }} end as double) as p75,
        cast(case when distribution_published then {{ disclosed('p90') }} end as double) as p90,
        cast({{ disclosed_share('favorable_pct') }} as double) as favorable_pct,
        cast({{ disclosed_share('neutral_pct') }} as double) as neutral_pct,
        cast({{ disclosed_share('unfavorable_pct') }} as double) as unfavorable_pct,
        cast({{ disclosed_share('dont_know_pct') }} as double) as dont_know_pct,
        suppression_reason is not null as suppressed,
        cast(suppression_reason as varchar) as suppression_reason
    from decided
    order by year asc, benchmark_scope desc, benchmark_id asc, sort_order asc, measure_type asc, measure_id asc

)

select * from final
