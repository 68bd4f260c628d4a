with

subgroup_stats as (

    select * from {{ ref('int_subgroup_measure_stats') }}
    where {{ year_built_this_run() }}

),

companies as (

    select * from {{ ref('stg_participants__companies') }}

),

-- the disclosure decision (threshold and complementary suppression across all breakdowns): int_subgroup_disclosure
subgroup_disclosure as (

    select * from {{ ref('int_subgroup_disclosure') }}
    where {{ year_built_this_run() }}

),

decided as (

    select
        subgroup_stats.*,
        companies.company_name,
        coalesce(
            {{ suppression_reason(n_respondents='subgroup_stats.n_respondents') }},
            cast(subgroup_disclosure.suppression_reason as varchar)
        ) as suppression_reason
    from subgroup_stats
    left join companies
        on subgroup_stats.company_id = companies.company_id
    left join subgroup_disclosure
        on subgroup_stats.year = subgroup_disclosure.year
            and subgroup_stats.company_id = subgroup_disclosure.company_id
            and subgroup_stats.breakdown = subgroup_disclosure.breakdown
            and subgroup_stats.subgroup = subgroup_disclosure.subgroup
            and subgroup_stats.measure_type = subgroup_disclosure.measure_type
            and subgroup_stats.measure_id = subgroup_disclosure.measure_id

),

item_cells as (

    select
        year,
        company_id,
        breakdown,
        subgroup,
        measure_id as item_id,
        suppression_reason is not null and (n_respondents > 0 or coalesce(dont_know_pct, 0) > 0) as item_withheld
    from decided
    where measure_type = 'item'

),

-- theme and index shares that would reveal a withheld item cell of the subgroup
withheld_shares as (

    {{ withheld_share_measures('item_cells', ['year', 'company_id', 'breakdown', 'subgroup']) }}

),

shares_decided as (

    select
        decided.*,
        withheld_shares.measure_id is not null as shares_withheld
    from decided
    left join withheld_shares
        on decided.year = withheld_shares.year
            and decided.company_id = withheld_shares.company_id
            and decided.breakdown = withheld_shares.breakdown
            and decided.subgroup = withheld_shares.subgroup
            and decided.measure_type = withheld_shares.measure_type
            and decided.measure_id = withheld_shares.measure_id

),

final as (

    select
        cast(year as integer) as year,
        cast(company_id as varchar) as company_id,
        cast(company_name as varchar) as company_name,
        cast(industry_id as varchar) as industry_id,
        cast(breakdown as varchar) as breakdown,
        cast(subgroup as varchar) as subgroup,
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
    from shares_decided
    order by year, company_id, breakdown, subgroup, sort_order, measure_type, measure_id

)

select * from final
