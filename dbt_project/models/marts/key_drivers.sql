-- Key drivers (methodology §5): per year, nationally and per company with at least var('key_driver_min_respondents')
-- respondents, the Pearson correlation across respondents between each index item's 0-100 score and the
-- respondent's overall index (respondents with both), ranked from the strongest (rank 1; ties share a rank).
-- item_index is the item's published index in the scope (all valid answers), for the impact/opportunity view.
-- The correlation is null (never NaN) when either score does not vary.
with

answers_scored as (

    select * from {{ ref('int_answers_scored') }}
    where {{ year_built_this_run() }}

),

respondent_index as (

    select * from {{ ref('int_respondent_index') }}
    where {{ year_built_this_run() }}

),

company_stats as (

    select * from {{ ref('int_company_measure_stats') }}
    where {{ year_built_this_run() }}

),

benchmark_stats as (

    select * from {{ ref('int_benchmark_measure_stats') }}
    where {{ year_built_this_run() }}

),

items_asked as (

    select * from {{ ref('int_items_asked') }}
    where {{ year_built_this_run() }}

),

pairs as (

    select
        answers_scored.year,
        answers_scored.company_id,
        answers_scored.item_id,
        items_asked.sort_order,
        answers_scored.item_index as x,
        respondent_index.index_score as y
    from answers_scored
    inner join items_asked
        on answers_scored.year = items_asked.year
            and answers_scored.item_id = items_asked.item_id
    inner join respondent_index
        on answers_scored.year = respondent_index.year
            and answers_scored.company_id = respondent_index.company_id
            and answers_scored.respondent_id = respondent_index.respondent_id
    where answers_scored.theme_id is not null
        and answers_scored.item_index is not null
        and respondent_index.index_score is not null

),

scoped_pairs as (

    select
        'national' as scope,
        'all' as scope_id,
        *
    from pairs
    union all
    select
        'company' as scope,
        company_id as scope_id,
        *
    from pairs

),

moments as (

    select
        year,
        scope,
        scope_id,
        item_id,
        min(sort_order) as sort_order,
        count(*) as n_respondents,
        covar_samp(x, y) as covariance,
        var_samp(x) as x_variance,
        var_samp(y) as y_variance
    from scoped_pairs
    group by year, scope, scope_id, item_id

),

correlations as (

    select
        year,
        scope,
        scope_id,
        item_id,
        sort_order,
        n_respondents,
        -- a variance within float noise of zero is zero: no correlation, rather than a ratio of rounding errors
        case
            when x_variance > 1e-12 and y_variance > 1e-12
                then least(greatest(covariance / sqrt(x_variance * y_variance), -1.0), 1.0)
        end as correlation_with_index
    from moments
    where scope = 'national'
        or n_respondents >= {{ var('key_driver_min_respondents') }}

),

item_indices as (

    select
        year,
        'company' as scope,
        company_id as scope_id,
        measure_id as item_id,
        index_0_100 as item_index
    from company_stats
    where measure_type = 'item'
    union all
    select
        year,
        'national' as scope,
        benchmark_id as scope_id,
        measure_id as item_id,
        index_0_100 as item_index
    from benchmark_stats
    where measure_type = 'item'
        and benchmark_scope = 'national'

),

ranked as (

    select
        correlations.*,
        item_indices.item_index
    from correlations
    left join item_indices
        on correlations.year = item_indices.year
            and correlations.scope = item_indices.scope
            and correlations.scope_id = item_indices.scope_id
            and correlations.item_id = item_indices.item_id

),

-- the disclosure layer: a company row also follows the company's item cell, a national row the item's national
-- benchmark, so that item_index never shows a withheld score
company_disclosure as (

    select * from {{ ref('int_company_disclosure') }}
    where {{ year_built_this_run() }}

),

benchmark_disclosure as (

    select * from {{ ref('int_benchmark_disclosure') }}
    where {{ year_built_this_run() }}

),

decided as (

    select
        ranked.*,
        coalesce(
            {{ suppression_reason(n_respondents='ranked.n_respondents') }},
            company_disclosure.suppression_reason,
            benchmark_disclosure.suppression_reason
        ) as suppression_reason
    from ranked
    left join company_disclosure
        on ranked.scope = 'company'
            and ranked.year = company_disclosure.year
            and ranked.scope_id = company_disclosure.company_id
            and company_disclosure.measure_type = 'item'
            and ranked.item_id = company_disclosure.measure_id
    left join benchmark_disclosure
        on ranked.scope != 'company'
            and ranked.year = benchmark_disclosure.year
            and ranked.scope = benchmark_disclosure.benchmark_scope
            and ranked.scope_id = benchmark_disclosure.benchmark_id
            and benchmark_disclosure.measure_type = 'item'
            and ranked.item_id = benchmark_disclosure.measure_id

),

final as (

    select
        cast(year as integer) as year,
        cast(scope as varchar) as scope,
        cast(scope_id as varchar) as scope_id,
        cast(item_id as varchar) as item_id,
        cast({{ disclosed('n_respondents') }} as integer) as n_respondents,
        cast({{ disclosed('correlation_with_index') }} as double) as correlation_with_index,
        cast({{ disclosed('item_index') }} as double) as item_index,
        -- ranked among the published drivers only, so a withheld item leaves no gap in the ranks
        cast(
            case
                when suppression_reason is null and correlation_with_index is not null
                    then rank() over (
                            partition by
                                year, scope, scope_id, suppression_reason is null and correlation_with_index is not null
                            order by correlation_with_index desc
                        )
            end as integer
        ) as rank,
        suppression_reason is not null as suppressed,
        cast(suppression_reason as varchar) as suppression_reason
    from decided
    order by year asc, scope desc, scope_id asc, rank asc nulls last, sort_order asc

)

select * from final
