-- One row per respondent x summary measure (the index, eNPS and each theme), with the respondent's 0-100 score and
-- the answer counts behind the measure (valid answers by category and don't-knows). The view int_respondent_measures
-- adds the item rows, which are int_answers_scored's rows: stored twice they cost writing 25M rows at 1,000,000
-- respondents and gained nothing.
with

enps_answers as (

    select * from {{ ref('int_answers_scored') }}
    where item_id = '{{ var("enps_item_id") }}' and {{ year_built_this_run() }}

),

theme_scores as (

    select * from {{ ref('int_respondent_theme_scores') }}
    where {{ year_built_this_run() }}

),

respondent_index as (

    select * from {{ ref('int_respondent_index') }}
    where {{ year_built_this_run() }}

),

theme_rows as (

    select
        theme_scores.year,
        theme_scores.company_id,
        theme_scores.industry_id,
        theme_scores.respondent_id,
        'theme' as measure_type,
        theme_scores.theme_id as measure_id,
        theme_scores.theme_score as score_0_100,
        cast(theme_scores.n_items_answered as integer) as n_valid_answers,
        cast(theme_scores.n_favorable as integer) as n_favorable,
        cast(theme_scores.n_neutral as integer) as n_neutral,
        cast(theme_scores.n_unfavorable as integer) as n_unfavorable,
        cast(theme_scores.n_items_dont_know as integer) as n_dont_know
    from theme_scores

),

index_rows as (

    select
        respondent_index.year,
        respondent_index.company_id,
        respondent_index.industry_id,
        respondent_index.respondent_id,
        'index' as measure_type,
        'overall' as measure_id,
        respondent_index.index_score as score_0_100,
        respondent_index.n_valid_answers,
        respondent_index.n_favorable,
        respondent_index.n_neutral,
        respondent_index.n_unfavorable,
        respondent_index.n_dont_know
    from respondent_index

),

-- eNPS: the respondent's answer to the 0-10 recommend item as promoter (100), passive (0) or detractor (-100), so
-- that the group mean of these points is % promoters - % detractors; shares: promoters / passives / detractors.
enps_rows as (

    select
        year,
        company_id,
        industry_id,
        respondent_id,
        'enps' as measure_type,
        'enps' as measure_id,
        {{ enps_points('score_raw') }} as score_0_100,
        case when score_raw is not null then 1 else 0 end as n_valid_answers,
        case when {{ enps_points('score_raw') }} = 100 then 1 else 0 end as n_favorable,
        case when {{ enps_points('score_raw') }} = 0 then 1 else 0 end as n_neutral,
        case when {{ enps_points('score_raw') }} = -100 then 1 else 0 end as n_unfavorable,
        case when is_dont_know then 1 else 0 end as n_dont_know
    from enps_answers

),

final as (

    select * from index_rows
    union all
    select * from enps_rows
    union all
    select * from theme_rows

)

select * from final
