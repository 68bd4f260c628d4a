with

source as (

    select * from {{ source('survey', 'answers') }}

),

renamed as (

    select
        cast(year as integer) as year,
        cast(company_id as varchar) as company_id,
        cast(respondent_id as varchar) as respondent_id,
        cast(item_id as varchar) as item_id,
        cast(source_column as varchar) as source_column,
        cast(answer_value as double) as answer_value,
        cast(is_dont_know as boolean) as is_dont_know,
        cast(file_name as varchar) as file_name
    from source

)

select * from renamed
