-- One row per respondent: the overall index ("Medarbeiderindeks") = mean of the respondent's theme scores,
-- only when at least half (rounded up) of the themes asked that year have a score; else null.
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
        avg(theme_score) as mean_theme_score
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
        case
            when n_themes_scored >= {{ min_parts_required('n_themes_asked') }} then mean_theme_score
        end as index_score
    from aggregated

)

select * from final
