with

company_stats as (

    select * from {{ ref('int_company_measure_stats') }}
    where {{ year_built_this_run() }}

),

companies as (

    select * from {{ ref('stg_participants__companies') }}

),

-- the disclosure decision (threshold; shares that would reveal a withheld item cell): int_company_disclosure
company_disclosure as (

    select * from {{ ref('int_company_disclosure') }}
    where {{ year_built_this_run() }}

),

decided as (

    select
        company_stats.*,
        companies.company_name,
        company_disclosure.suppression_reason,
        company_disclosure.shares_withheld
    from company_stats
    left join companies
        on company_stats.company_id = companies.company_id
    left join company_disclosure
        on company_stats.year = company_disclosure.year
            and company_stats.company_id = company_disclosure.company_id
            and company_stats.measure_type = company_disclosure.measure_type
            and company_stats.measure_id = company_disclosure.measure_id

),

final as (

    select
        cast(year as integer) as year,
        cast(company_id as varchar) as company_id,
        cast(company_name as varchar) as company_name,
        cast(industry_id as varchar) as industry_id,
        cast(measure_type as varchar) as measure_type,
        cast(measure_id as varchar) as measure_id,
        cast({{ disclosed('n_respondents') }} as integer) as n_respondents,
        cast({{ disclosed('mean_score') }} as double) as mean_score,
        cast({{ disclosed('index_0_100') }} as double) as index_0_100,
        cast({{ disclosed('sd') }} as double) as sd,
        cast({{ disclosed('ci_low') }} as double) as ci_low,
        cast({{ disclosed('ci_high') }} as double) as ci_high,
        cast({{ disclosed_share('favorable_pct') }} as double) as favorable_pct,
        cast({{ disclosed_share('neutral_pct') }} as double) as neutral_pct,
        cast({{ disclosed_share('unfavorable_pct') }} as double) as unfavorable_pct,
        cast({{ disclosed_share('dont_know_pct') }} as double) as dont_know_pct,
        suppression_reason is not null as suppressed,
        cast(suppression_reason as varchar) as suppression_reason
    from decided
    order by year, company_id, sort_order, measure_type, measure_id

)

select * from final
