-- One row per respondent: the overall index ("Medarbeiderindeks") = mean of the respondent's theme scores,
-- only when at least half (rounded up) of the themes asked that year have a score; else null. The answer counts behind
-- it are the sums of the theme counts (every answer with a theme belongs to one theme asked), cast back to integer:
-- sum() gives HUGEINT, several times slower to scan and join downstream.
with

theme_scores as (

    select * from {{ ref('int_respondent_theme_scores') }}
    where {{ year_built_this_run() }}

),

aggregated as (

    select
        year,
        company_id,
        industry_id,
        respondent_id,
        count(*) as n_themes_asked,
        count(theme_score) as n_themes_scored,
        avg(theme_score) as mean_theme_score,
        cast(sum(n_items_answered) as integer) as n_valid_answers,
        cast(sum(n_favorable) as integer) as n_favorable,
        cast(sum(n_neutral) as integer) as n_neutral,
        cast(sum(n_unfavorable) as integer) as n_unfavorable,
        cast(sum(n_items_dont_know) as integer) as n_dont_know
    from theme_scores
    group by year, company_id, industry_id, respondent_id

),

final as (

    select
        year,
        company_id,
        industry_id,
        respondent_id,
        n_themes_asked,
        n_themes_scored,
        n_valid_answers,
        n_favorable,
        n_neutral,
        n_unfavorable,
        n_dont_know,
        case
            when n_themes_scored >= {{ min_parts_required('n_themes_asked') }} then mean_theme_score
        end as index_score
    from aggregated

)

select * from final
