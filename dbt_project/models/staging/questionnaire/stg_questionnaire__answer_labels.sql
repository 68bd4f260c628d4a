with

source as (

    select * from {{ ref('answer_labels') }}

),

renamed as (

    select
        cast(label as varchar) as answer_label,
        cast(language as varchar) as language_code,
        cast(answer_code as integer) as answer_code,
        coalesce(cast(is_dont_know as boolean), false) as is_dont_know
    from source

)

select * from renamed
