with

source as (

    select * from {{ source('survey', 'respondents') }}

),

renamed as (

    select
        cast(year as integer) as year,
        cast(company_id as varchar) as company_id,
        cast(respondent_id as varchar) as respondent_id,
        cast(department as varchar) as department,
        cast(tenure_band as varchar) as tenure_band,
        cast(age_band as varchar) as age_band,
        cast(role as varchar) as role,
        cast(submitted_at as timestamp) as submitted_at,
        cast(is_complete as boolean) as is_complete,
        cast(file_name as varchar) as file_name,
        cast(file_sha256 as varchar) as file_sha256,
        cast(load_id as varchar) as load_id,
        cast(loaded_at as timestamp) as loaded_at
    from source

)

select * from renamed
