-- One row per respondent x item asked that year: the answer reverse-coded (once, here), its 0-100 item index,
-- its favourable / neutral / unfavourable category, and whether it is a don't-know.
with

answers as (

    select * from {{ ref('stg_survey__answers') }}
    where {{ year_built_this_run() }}

),

items_asked as (

    select * from {{ ref('int_items_asked') }}
    where {{ year_built_this_run() }}

),

companies as (

    select * from {{ ref('stg_participants__companies') }}

),

joined as (

    select
        answers.year,
        answers.company_id,
        companies.industry_id,
        answers.respondent_id,
        answers.item_id,
        items_asked.theme_id,
        items_asked.scale_min,
        items_asked.scale_max,
        items_asked.is_reverse_coded,
        answers.answer_value,
        answers.is_dont_know,
        case
            when not answers.is_dont_know
                then {{ reverse_coded_value(
                    'answers.answer_value', 'items_asked.scale_min', 'items_asked.scale_max',
                    'items_asked.is_reverse_coded'
                ) }}
        end as score_raw
    from answers
    inner join items_asked
        on answers.year = items_asked.year
            and answers.item_id = items_asked.item_id
    left join companies
        on answers.company_id = companies.company_id

),

final as (

    select
        year,
        company_id,
        industry_id,
        respondent_id,
        item_id,
        theme_id,
        scale_min,
        scale_max,
        is_reverse_coded,
        answer_value,
        is_dont_know,
        score_raw,
        {{ item_index('score_raw', 'scale_min', 'scale_max') }} as item_index,
        {{ answer_category('score_raw', 'scale_min', 'scale_max') }} as answer_category
    from joined

)

select * from final
