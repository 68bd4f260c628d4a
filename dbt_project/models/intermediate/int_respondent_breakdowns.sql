-- One row per respondent with a subgroup in some breakdown: the respondent's subgroup in each breakdown (null where
-- the respondent gave no value), int_respondent_subgroups pivoted. The subgroup statistics group each respondent x
-- measure into its four subgroups in one pass over this form, and the subgroup audit reads the combinations of
-- subgroups that occur in a company from it.
with

respondent_subgroups as (

    select * from {{ ref('int_respondent_subgroups') }}
    where {{ year_built_this_run() }}

),

final as (

    select
        year,
        company_id,
        respondent_id,
        max(case when breakdown = 'department' then subgroup end) as department,
        max(case when breakdown = 'tenure' then subgroup end) as tenure,
        max(case when breakdown = 'age' then subgroup end) as age,
        max(case when breakdown = 'role' then subgroup end) as role
    from respondent_subgroups
    group by year, company_id, respondent_id

)

select * from final
