with

source as (

    select * from {{ ref('item_crosswalk') }}

),

renamed as (

    select
        cast(year as integer) as year,
        cast(source_column as varchar) as source_column,
        cast(item_id as varchar) as item_id
    from source

)

select * from renamed
