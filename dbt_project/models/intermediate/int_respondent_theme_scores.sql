-- One row per respondent x theme asked that year. The theme score is the mean of the respondent's item indices,
-- only when at least half (rounded up) of the theme's items asked that year were answered; else null.
-- Items without a theme (the 0-10 eNPS item) belong to no theme and so not to the overall index. The answer counts
-- behind the score (by category, the sum of item indices) are kept here, so that the measures, the index and the
-- theme reliability read the answers grouped by respondent x theme once.
with

answers_scored as (

    select * from {{ ref('int_answers_scored') }}
    where {{ year_built_this_run() }}

),

themes_asked as (

    select
        year,
        theme_id,
        count(*) as n_items_asked
    from {{ ref('int_items_asked') }}
    where theme_id is not null and {{ year_built_this_run() }}
    group by year, theme_id

),

-- One pass over the answers, the theme-less ones included: its groups give the respondents too (reading the answers
-- twice made DuckDB hold a copy of them: 17.6 -> 12.3 s at 1,000,000 respondents).
answered_by_theme as (

    select
        year,
        company_id,
        industry_id,
        respondent_id,
        theme_id,
        count(item_index) as n_items_answered,
        count(*) filter (where is_dont_know) as n_items_dont_know,
        count(*) filter (where answer_category = 'favorable') as n_favorable,
        count(*) filter (where answer_category = 'neutral') as n_neutral,
        count(*) filter (where answer_category = 'unfavorable') as n_unfavorable,
        sum(item_index) as sum_item_index,
        avg(item_index) as mean_item_index
    from answers_scored
    group by year, company_id, industry_id, respondent_id, theme_id

),

respondents as (

    select distinct
        year,
        company_id,
        industry_id,
        respondent_id
    from answered_by_theme

),

answered as (

    select * from answered_by_theme
    where theme_id is not null

),

final as (

    select
        respondents.year,
        respondents.company_id,
        respondents.industry_id,
        respondents.respondent_id,
        themes_asked.theme_id,
        themes_asked.n_items_asked,
        coalesce(answered.n_items_answered, 0) as n_items_answered,
        coalesce(answered.n_items_dont_know, 0) as n_items_dont_know,
        coalesce(answered.n_favorable, 0) as n_favorable,
        coalesce(answered.n_neutral, 0) as n_neutral,
        coalesce(answered.n_unfavorable, 0) as n_unfavorable,
        answered.sum_item_index,
        case
            when coalesce(answered.n_items_answered, 0) >= {{ min_parts_required('themes_asked.n_items_asked') }}
                then answered.mean_item_index
        end as theme_score
    from respondents
    inner join themes_asked
        on respondents.year = themes_asked.year
    left join answered
        on respondents.year = answered.year
            and respondents.company_id = answered.company_id
            and respondents.respondent_id = answered.respondent_id
            and themes_asked.theme_id = answered.theme_id

)

select * from final
