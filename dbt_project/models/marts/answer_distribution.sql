with

distribution as (

    select * from {{ ref('int_answer_distribution') }}

),

-- company cells need min_respondents; industry and national cells are benchmarks and follow the benchmark rules
decided as (

    select
        *,
        case
            when scope = 'company'
                then {{ suppression_reason(n_respondents='n_respondents') }}
            else {{ suppression_reason(
                n_respondents='n_respondents',
                n_companies='n_companies',
                max_company_share='max_company_share'
            ) }}
        end as suppression_reason
    from distribution

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
        cast(n_respondents as integer) as n_respondents,
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
