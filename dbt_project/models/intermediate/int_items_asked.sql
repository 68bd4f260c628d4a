-- One row per survey year x item asked that year (first_year <= year <= last_year, open ends allowed).
-- The one home of "asked that year"; survey years are the years present in the answers.
with

survey_years as (

    select distinct year
    from {{ ref('stg_survey__answers') }}
    where {{ year_built_this_run() }}

),

items as (

    select * from {{ ref('stg_questionnaire__items') }}

),

final as (

    select
        survey_years.year,
        items.item_id,
        items.theme_id,
        items.scale_min,
        items.scale_max,
        items.is_reverse_coded,
        items.sort_order
    from survey_years
    inner join items
        on (items.first_year is null or survey_years.year >= items.first_year)
            and (items.last_year is null or survey_years.year <= items.last_year)

)

select * from final
