-- One row per company x year x breakdown x subgroup x measure: the group statistics of the subgroup's respondents
-- (macro measure_stats, the same as for companies; no finite population correction, as the invited headcount of a
-- subgroup is not known). Internal: nothing is suppressed here.
with

respondent_measures as (

    select * from {{ ref('int_respondent_measures') }}
    where {{ year_built_this_run() }}

),

respondent_breakdowns as (

    select * from {{ ref('int_respondent_breakdowns') }}
    where {{ year_built_this_run() }}

),

measures as (

    select * from {{ ref('int_questionnaire_measures') }}
    where {{ year_built_this_run() }}

),

-- Each respondent x measure once, with the respondent's subgroup in each breakdown, so that it is grouped into its
-- four subgroups in one pass (grouping sets), not joined four times (136M rows at 1,000,000 respondents).
subgroup_measures as (

    select
        respondent_measures.*,
        respondent_breakdowns.department,
        respondent_breakdowns.tenure,
        respondent_breakdowns.age,
        respondent_breakdowns.role
    from respondent_measures
    inner join respondent_breakdowns
        on respondent_measures.year = respondent_breakdowns.year
            and respondent_measures.company_id = respondent_breakdowns.company_id
            and respondent_measures.respondent_id = respondent_breakdowns.respondent_id

),

-- The macro's grouping sets do not parse in the duckdb dialect of sqlfluff 3.5 (they do in its ansi and postgres)
-- noqa: disable=PRS
stats as (

    {{ measure_stats(
        'subgroup_measures',
        ['year', 'company_id', 'industry_id'],
        'measures',
        breakdowns=['department', 'tenure', 'age', 'role'],
    ) }}

),
-- noqa: enable=PRS

final as (

    select
        stats.*,
        measures.sort_order
    from stats
    left join measures
        on stats.year = measures.year
            and stats.measure_type = measures.measure_type
            and stats.measure_id = measures.measure_id

)

select * from final
