{{ config(alias='items') }}

with

items_asked as (

    select * from {{ ref('int_items_asked') }}
    where {{ year_built_this_run() }}

),

items as (

    select * from {{ ref('stg_questionnaire__items') }}

),

final as (

    select
        cast(items_asked.year as integer) as year,
        cast(items.item_id as varchar) as item_id,
        cast(items.theme_id as varchar) as theme_id,
        cast(items.scale_min as integer) as scale_min,
        cast(items.scale_max as integer) as scale_max,
        cast(items.is_reverse_coded as boolean) as reverse_coded,
        cast(items.text_nb as varchar) as text_nb,
        cast(items.text_en as varchar) as text_en,
        cast(items.first_year as integer) as first_year,
        cast(items.last_year as integer) as last_year,
        cast(items.sort_order as integer) as sort_order
    from items_asked
    inner join items
        on items_asked.item_id = items.item_id
    order by year, sort_order, item_id

)

select * from final
