with

distribution as (

    select * from {{ ref('int_answer_distribution') }}
    where {{ year_built_this_run() }}

),

-- the disclosure layer: a company's distribution follows the company's item cell (int_company_disclosure), an
-- industry or national one the benchmark of the item (int_benchmark_disclosure, incl. complementary suppression),
-- so that a distribution never reveals a withheld score; and the scope's own answers need min_respondents
company_disclosure as (

    select * from {{ ref('int_company_disclosure') }}
    where {{ year_built_this_run() }}

),

benchmark_disclosure as (

    select * from {{ ref('int_benchmark_disclosure') }}
    where {{ year_built_this_run() }}

),

decided as (

    select
        distribution.*,
        coalesce(
            case
                when distribution.scope = 'company'
                    then {{ suppression_reason(n_respondents='distribution.n_respondents') }}
                else {{ suppression_reason(
                    n_respondents='distribution.n_respondents',
                    n_companies='distribution.n_companies',
                    max_company_share='distribution.max_company_share'
                ) }}
            end,
            case
                when distribution.scope = 'company'
                    then company_disclosure.suppression_reason
                else benchmark_disclosure.suppression_reason
            end
        ) as suppression_reason
    from distribution
    left join company_disclosure
        on distribution.scope = 'company'
            and distribution.year = company_disclosure.year
            and distribution.scope_id = company_disclosure.company_id
            and company_disclosure.measure_type = 'item'
            and distribution.item_id = company_disclosure.measure_id
    left join benchmark_disclosure
        on distribution.scope != 'company'
            and distribution.year = benchmark_disclosure.year
            and distribution.scope = benchmark_disclosure.benchmark_scope
            and distribution.scope_id = benchmark_disclosure.benchmark_id
            and benchmark_disclosure.measure_type = 'item'
            and distribution.item_id = benchmark_disclosure.measure_id

),

final as (

    select
        cast(year as integer) as year,
        cast(scope as varchar) as scope,
        cast(scope_id as varchar) as scope_id,
        cast(item_id as varchar) as item_id,
        cast(answer_code as integer) as answer_code,
        cast(is_dont_know as boolean) as is_dont_know,
        cast(answer_label_nb as varchar) as answer_label_nb,
        cast(answer_label_en as varchar) as answer_label_en,
        cast({{ disclosed('n_respondents') }} as integer) as n_respondents,
        cast({{ disclosed('n') }} as integer) as n,
        cast({{ disclosed('pct') }} as double) as pct,
        cast({{ disclosed('pct_valid') }} as double) as pct_valid,
        suppression_reason is not null as suppressed,
        cast(suppression_reason as varchar) as suppression_reason
    from decided
    order by
        year asc,
        scope asc,
        scope_id asc,
        sort_order asc,
        item_id asc,
        is_dont_know asc,
        answer_code asc

)

select * from final
