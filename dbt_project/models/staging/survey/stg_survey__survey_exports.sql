with

source as (

    select * from {{ source('survey', 'survey_exports') }}

),

renamed as (

    select
        cast(year as integer) as year,
        cast(file_name as varchar) as file_name,
        cast(file_sha256 as varchar) as file_sha256,
        cast(source_format as varchar) as source_format,
        cast(n_respondents as integer) as n_respondents,
        cast(n_answers as integer) as n_answers,
        cast(load_id as varchar) as load_id,
        cast(loaded_at as timestamp) as loaded_at
    from source

)

select * from renamed
