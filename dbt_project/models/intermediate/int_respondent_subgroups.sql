-- One row per respondent x breakdown (department, tenure, age, role) where the respondent gave a value: the
-- subgroup the respondent belongs to in that breakdown (raw.respondents columns department, tenure_band, age_band,
-- role). A respondent without a value in a breakdown is in no subgroup of it.
with

respondents as (

    select * from {{ ref('stg_survey__respondents') }}
    where {{ year_built_this_run() }}

),

unpivoted as (

    select
        year,
        company_id,
        respondent_id,
        'department' as breakdown,
        department as subgroup
    from respondents
    union all
    select
        year,
        company_id,
        respondent_id,
        'tenure' as breakdown,
        tenure_band as subgroup
    from respondents
    union all
    select
        year,
        company_id,
        respondent_id,
        'age' as breakdown,
        age_band as subgroup
    from respondents
    union all
    select
        year,
        company_id,
        respondent_id,
        'role' as breakdown,
        role as subgroup
    from respondents

),

final as (

    select
        year,
        company_id,
        respondent_id,
        breakdown,
        trim(subgroup) as subgroup
    from unpivoted
    where nullif(trim(subgroup), '') is not null

)

select * from final
