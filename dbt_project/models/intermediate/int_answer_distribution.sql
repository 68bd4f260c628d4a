-- One row per scope (company, industry, national) x year x item asked x answer: every code of the item's scale
-- (zero counts included) plus one don't-know row (answer_code null, is_dont_know true). Codes are the answers as
-- given, BEFORE reverse coding, so they match the labels respondents saw. n = answers with that code; pct = share
-- of all answers to the item in scope (don't-know included, the rows of an item sum to 100); pct_valid = share of
-- the valid answers (null on the don't-know row). n_respondents, n_companies and max_company_share of the item in
-- scope feed disclosure control. Industry and national scopes pool only the company item cells that enter the
-- benchmarks (macro enters_benchmarks). Labels from seeds/answer_labels.csv apply to items on the scale the labels are
-- written for (their lowest to highest code, 1-6); on other scales the label is the code itself.
with

answers_scored as (

    select * from {{ ref('int_answers_scored') }}
    where {{ year_built_this_run() }}

),

items_asked as (

    select * from {{ ref('int_items_asked') }}
    where {{ year_built_this_run() }}

),

answer_labels as (

    select * from {{ ref('stg_questionnaire__answer_labels') }}

),

-- The answers counted once per company x item x code: every scope below sums these few rows rather than
-- re-reading (and tripling) one row per answer.
company_code_counts as (

    select
        year,
        company_id,
        industry_id,
        item_id,
        cast(answer_value as integer) as answer_code,
        is_dont_know,
        count(*) as n
    from answers_scored
    group by year, company_id, industry_id, item_id, cast(answer_value as integer), is_dont_know

),

-- industry and national distributions pool the answers of the company item cells that enter the benchmarks
pooled_counts as (

    select company_code_counts.*
    from company_code_counts
    semi join {{ ref('int_company_measure_stats') }} as company_stats
        on company_code_counts.year = company_stats.year
            and company_code_counts.company_id = company_stats.company_id
            and company_stats.measure_type = 'item'
            and company_code_counts.item_id = company_stats.measure_id
            and {{ enters_benchmarks('company_stats.n_respondents') }}

),

scoped_counts as (

    select
        'company' as scope,
        company_id as scope_id,
        *
    from company_code_counts
    union all
    select
        'industry' as scope,
        industry_id as scope_id,
        *
    from pooled_counts
    union all
    select
        'national' as scope,
        'all' as scope_id,
        *
    from pooled_counts

),

company_counts as (

    select
        year,
        scope,
        scope_id,
        item_id,
        company_id,
        cast(sum(n) as bigint) as n_answers
    from scoped_counts
    group by year, scope, scope_id, item_id, company_id

),

scope_items as (

    select
        year,
        scope,
        scope_id,
        item_id,
        sum(n_answers) as n_respondents,
        count(*) as n_companies,
        max(n_answers) / sum(n_answers) as max_company_share
    from company_counts
    group by year, scope, scope_id, item_id

),

answer_counts as (

    select
        year,
        scope,
        scope_id,
        item_id,
        answer_code,
        is_dont_know,
        cast(sum(n) as bigint) as n
    from scoped_counts
    group by year, scope, scope_id, item_id, answer_code, is_dont_know

),

item_codes as (

    select
        items_asked.year,
        items_asked.item_id,
        items_asked.sort_order,
        items_asked.scale_min,
        items_asked.scale_max,
        cast(codes.answer_code as integer) as answer_code,
        false as is_dont_know
    from items_asked
    cross join lateral generate_series(items_asked.scale_min, items_asked.scale_max) as codes (answer_code)
    union all
    select
        year,
        item_id,
        sort_order,
        scale_min,
        scale_max,
        cast(null as integer) as answer_code,
        true as is_dont_know
    from items_asked

),

label_scale as (

    select
        min(answer_code) as scale_min,
        max(answer_code) as scale_max
    from answer_labels
    where not is_dont_know

),

code_labels as (

    select
        answer_code,
        min(answer_label) filter (where language_code = 'nb') as answer_label_nb,
        min(answer_label) filter (where language_code = 'en') as answer_label_en
    from answer_labels
    where not is_dont_know
    group by answer_code

),

dont_know_labels as (

    select
        string_agg(distinct answer_label, ' / ' order by answer_label) filter (
            where language_code = 'nb'
        ) as answer_label_nb,
        string_agg(distinct answer_label, ' / ' order by answer_label) filter (
            where language_code = 'en'
        ) as answer_label_en
    from answer_labels
    where is_dont_know

),

grid as (

    select
        scope_items.year,
        scope_items.scope,
        scope_items.scope_id,
        scope_items.item_id,
        item_codes.sort_order,
        item_codes.scale_min,
        item_codes.scale_max,
        item_codes.answer_code,
        item_codes.is_dont_know,
        scope_items.n_respondents,
        scope_items.n_companies,
        scope_items.max_company_share
    from scope_items
    inner join item_codes
        on scope_items.year = item_codes.year
            and scope_items.item_id = item_codes.item_id

),

counted as (

    select
        grid.*,
        coalesce(answer_counts.n, 0) as n
    from grid
    left join answer_counts
        on grid.year = answer_counts.year
            and grid.scope = answer_counts.scope
            and grid.scope_id = answer_counts.scope_id
            and grid.item_id = answer_counts.item_id
            and grid.is_dont_know = answer_counts.is_dont_know
            and grid.answer_code is not distinct from answer_counts.answer_code

),

final as (

    select
        counted.year,
        counted.scope,
        counted.scope_id,
        counted.item_id,
        counted.sort_order,
        counted.answer_code,
        counted.is_dont_know,
        case
            when counted.is_dont_know then dont_know_labels.answer_label_nb
            when counted.scale_min = label_scale.scale_min and counted.scale_max = label_scale.scale_max
                then code_labels.answer_label_nb
            else cast(counted.answer_code as varchar)
        end as answer_label_nb,
        case
            when counted.is_dont_know then dont_know_labels.answer_label_en
            when counted.scale_min = label_scale.scale_min and counted.scale_max = label_scale.scale_max
                then code_labels.answer_label_en
            else cast(counted.answer_code as varchar)
        end as answer_label_en,
        counted.n,
        100.0 * counted.n / counted.n_respondents as pct,
        case
            when not counted.is_dont_know
                then 100.0 * counted.n / nullif(
                        sum(counted.n) filter (where not counted.is_dont_know) over (
                            partition by counted.year, counted.scope, counted.scope_id, counted.item_id
                        ),
                        0
                    )
        end as pct_valid,
        counted.n_respondents,
        counted.n_companies,
        counted.max_company_share
    from counted
    cross join label_scale
    cross join dont_know_labels
    left join code_labels
        on counted.answer_code = code_labels.answer_code

)

select * from final
