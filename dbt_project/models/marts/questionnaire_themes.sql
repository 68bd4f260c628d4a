{{ config(alias='themes') }}

with

measures as (

    select * from {{ ref('int_questionnaire_measures') }}
    where {{ year_built_this_run() }}

),

themes as (

    select * from {{ ref('stg_questionnaire__themes') }}

),

final as (

    select
        cast(measures.year as integer) as year,
        cast(themes.theme_id as varchar) as theme_id,
        cast(themes.theme_name_nb as varchar) as theme_name_nb,
        cast(themes.theme_name_en as varchar) as theme_name_en,
        cast(themes.sort_order as integer) as sort_order
    from measures
    inner join themes
        on measures.measure_id = themes.theme_id
    where measures.measure_type = 'theme'
    order by year, sort_order, theme_id

)

select * from final
