-- Cronbach's alpha per theme and year (methodology §5), nationally, over the respondents who answered every item of
-- the theme asked that year: alpha = k / (k - 1) * (1 - sum of item variances / variance of the sum), with sample
-- variances of the item indices (0-100, after reverse coding). Null when the theme has fewer than 2 items, fewer
-- than 2 complete respondents, or the sum does not vary.
with

answers_scored as (

    select * from {{ ref('int_answers_scored') }}
    where {{ year_built_this_run() }}

),

themes_asked as (

    select
        year,
        theme_id,
        count(*) as n_items
    from {{ ref('int_items_asked') }}
    where theme_id is not null and {{ year_built_this_run() }}
    group by year, theme_id

),

theme_scores as (

    select * from {{ ref('int_respondent_theme_scores') }}
    where {{ year_built_this_run() }}

),

complete_respondents as (

    select
        year,
        theme_id,
        company_id,
        respondent_id,
        sum_item_index as sum_score
    from theme_scores
    where n_items_answered = n_items_asked

),

item_variances as (

    select
        answers_scored.year,
        answers_scored.theme_id,
        answers_scored.item_id,
        var_samp(answers_scored.item_index) as item_variance
    from answers_scored
    inner join complete_respondents
        on answers_scored.year = complete_respondents.year
            and answers_scored.theme_id = complete_respondents.theme_id
            and answers_scored.company_id = complete_respondents.company_id
            and answers_scored.respondent_id = complete_respondents.respondent_id
    group by answers_scored.year, answers_scored.theme_id, answers_scored.item_id

),

summed_item_variances as (

    select
        year,
        theme_id,
        sum(item_variance) as item_variance_sum
    from item_variances
    group by year, theme_id

),

sum_variances as (

    select
        year,
        theme_id,
        count(*) as n_complete,
        var_samp(sum_score) as sum_variance
    from complete_respondents
    group by year, theme_id

),

alphas as (

    select
        themes_asked.year,
        themes_asked.theme_id,
        themes_asked.n_items,
        coalesce(sum_variances.n_complete, 0) as n_complete,
        case
            when themes_asked.n_items >= 2
                and sum_variances.n_complete >= 2
                and sum_variances.sum_variance > 0
                then (themes_asked.n_items / (themes_asked.n_items - 1.0))
                    * (1.0 - summed_item_variances.item_variance_sum / sum_variances.sum_variance)
        end as cronbach_alpha
    from themes_asked
    left join sum_variances
        on themes_asked.year = sum_variances.year
            and themes_asked.theme_id = sum_variances.theme_id
    left join summed_item_variances
        on themes_asked.year = summed_item_variances.year
            and themes_asked.theme_id = summed_item_variances.theme_id

),

decided as (

    select
        *,
        {{ suppression_reason(n_respondents='n_complete') }} as suppression_reason
    from alphas

),

final as (

    select
        cast(year as integer) as year,
        cast(theme_id as varchar) as theme_id,
        cast(n_items as integer) as n_items,
        cast({{ disclosed('n_complete') }} as integer) as n_respondents,
        cast({{ disclosed('n_complete') }} as integer) as n_complete,
        cast({{ disclosed('cronbach_alpha') }} as double) as cronbach_alpha,
        suppression_reason is not null as suppressed,
        cast(suppression_reason as varchar) as suppression_reason
    from decided
    order by year, theme_id

)

select * from final
