-- Long form: one row per respondent x measure (index / eNPS / theme / item), with the respondent's 0-100 score and
-- the answer counts behind the measure, so that group statistics are computed in one place for every measure type
-- (macro measure_stats). A view: the summary measures are stored (int_respondent_summary_measures) and the item rows
-- are int_answers_scored's rows, so the largest table of a year (36 rows per respondent) is never written; its
-- readers filter on year, which DuckDB pushes into both parts.
{{ config(materialized='view') }}

with

summary_measures as (

    select * from {{ ref('int_respondent_summary_measures') }}

),

answers_scored as (

    select * from {{ ref('int_answers_scored') }}

),

item_rows as (

    select
        year,
        company_id,
        industry_id,
        respondent_id,
        'item' as measure_type,
        item_id as measure_id,
        item_index as score_0_100,
        case when score_raw is not null then 1 else 0 end as n_valid_answers,
        case when answer_category = 'favorable' then 1 else 0 end as n_favorable,
        case when answer_category = 'neutral' then 1 else 0 end as n_neutral,
        case when answer_category = 'unfavorable' then 1 else 0 end as n_unfavorable,
        case when is_dont_know then 1 else 0 end as n_dont_know
    from answers_scored

),

final as (

    select * from summary_measures
    union all
    select * from item_rows

)

select * from final
