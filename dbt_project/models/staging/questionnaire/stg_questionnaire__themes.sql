with

source as (

    select * from {{ ref('themes') }}

),

renamed as (

    select
        cast(theme_id as varchar) as theme_id,
        cast(theme_name_nb as varchar) as theme_name_nb,
        cast(theme_name_en as varchar) as theme_name_en,
        cast(sort_order as integer) as sort_order
    from source

)

select * from renamed
