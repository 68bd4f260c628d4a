with

source as (

    select * from {{ ref('items') }}

),

renamed as (

    select
        cast(item_id as varchar) as item_id,
        cast(theme_id as varchar) as theme_id,
        cast(scale_min as integer) as scale_min,
        cast(scale_max as integer) as scale_max,
        coalesce(cast(reverse_coded as boolean), false) as is_reverse_coded,
        cast(text_nb as varchar) as text_nb,
        cast(text_en as varchar) as text_en,
        cast(first_year as integer) as first_year,
        cast(last_year as integer) as last_year,
        cast(sort_order as integer) as sort_order
    from source

)

select * from renamed
