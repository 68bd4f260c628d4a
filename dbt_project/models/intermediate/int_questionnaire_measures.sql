-- One row per survey year x measure (the overall index, each theme, each item asked that year), with the scale the
-- measure's mean_score is reported on: the item's own scale; for a theme, the scale its items share (null if mixed);
-- null for the index and eNPS (whose scores run -100..100: promoter 100, passive 0, detractor -100).
with

items_asked as (

    select * from {{ ref('int_items_asked') }}
    where {{ year_built_this_run() }}

),

themes as (

    select * from {{ ref('stg_questionnaire__themes') }}

),

item_measures as (

    select
        year,
        'item' as measure_type,
        item_id as measure_id,
        scale_min,
        scale_max,
        sort_order
    from items_asked

),

theme_measures as (

    select
        items_asked.year,
        'theme' as measure_type,
        items_asked.theme_id as measure_id,
        case
            when min(items_asked.scale_min) = max(items_asked.scale_min)
                and min(items_asked.scale_max) = max(items_asked.scale_max)
                then min(items_asked.scale_min)
        end as scale_min,
        case
            when min(items_asked.scale_min) = max(items_asked.scale_min)
                and min(items_asked.scale_max) = max(items_asked.scale_max)
                then min(items_asked.scale_max)
        end as scale_max,
        min(themes.sort_order) as sort_order
    from items_asked
    left join themes
        on items_asked.theme_id = themes.theme_id
    where items_asked.theme_id is not null
    group by items_asked.year, items_asked.theme_id

),

index_measures as (

    select distinct
        year,
        'index' as measure_type,
        'overall' as measure_id,
        cast(null as integer) as scale_min,
        cast(null as integer) as scale_max,
        0 as sort_order
    from items_asked

),

-- eNPS (methodology §5) where the 0-10 "would recommend" item (var enps_item_id) is asked: no own scale
enps_measures as (

    select
        year,
        'enps' as measure_type,
        'enps' as measure_id,
        cast(null as integer) as scale_min,
        cast(null as integer) as scale_max,
        sort_order
    from items_asked
    where item_id = '{{ var("enps_item_id") }}'

),

final as (

    select * from index_measures
    union all
    select * from enps_measures
    union all
    select * from theme_measures
    union all
    select * from item_measures

)

select * from final
