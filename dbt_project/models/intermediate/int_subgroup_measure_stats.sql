-- One row per company x year x breakdown x subgroup x measure: the group statistics of the subgroup's respondents
-- (macro measure_stats, the same as for companies; no finite population correction, as the invited headcount of a
-- subgroup is not known). Internal: nothing is suppressed here.
with

respondent_measures as (

    select * from {{ ref('int_respondent_measures') }}
    where {{ year_built_this_run() }}

),

respondent_subgroups as (

    select * from {{ ref('int_respondent_subgroups') }}
    where {{ year_built_this_run() }}

),

measures as (

    select * from {{ ref('int_questionnaire_measures') }}
    where {{ year_built_this_run() }}

),

subgroup_measures as (

    select
        respondent_measures.*,
        respondent_subgroups.breakdown,
        respondent_subgroups.subgroup
    from respondent_measures
    inner join respondent_subgroups
        on respondent_measures.year = respondent_subgroups.year
            and respondent_measures.company_id = respondent_subgroups.company_id
            and respondent_measures.respondent_id = respondent_subgroups.respondent_id

),

stats as (

    {{ measure_stats('subgroup_measures', ['year', 'company_id', 'industry_id', 'breakdown', 'subgroup'], 'measures') }}

),

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
