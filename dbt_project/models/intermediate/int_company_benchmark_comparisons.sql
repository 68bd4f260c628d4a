-- One row per company x benchmark scope (national, the company's industry) x year x measure: the company against
-- the leave-one-out benchmark (the respondents of the OTHER company cells of the scope that enter the benchmarks),
-- the percentile rank among those other companies (a tie: indices equal to var index_tie_decimals decimals), the
-- company's previous result, and the Welch t statistics and degrees of freedom for the gap and the year-over-year
-- change (p-values: int_company_vs_benchmark). Internal: nothing suppressed.
with

-- the years built and every earlier year, stored: a company's previous survey year is read from its stored rows
company_stats_read as (

    select
        *,
        -- the value percentile_rank compares: ties are equal to index_tie_decimals decimals, not bit for bit
        round(index_0_100, {{ var('index_tie_decimals') }}) as index_for_rank
    from {{ ref('int_company_measure_stats') }}
    where {{ year_read_this_run() }}

),

company_stats as (

    select * from company_stats_read
    where {{ year_built_this_run() }}

),

scopes as (

    select
        'national' as benchmark_scope,
        'all' as benchmark_id,
        *
    from company_stats
    union all
    select
        'industry' as benchmark_scope,
        industry_id as benchmark_id,
        *
    from company_stats

),

-- every company paired with every OTHER company of the same scope, year and measure
others as (

    select
        company.year,
        company.benchmark_scope,
        company.benchmark_id,
        company.company_id,
        company.measure_type,
        company.measure_id,
        count(other.company_id) as n_other_companies,
        coalesce(sum(other.n_respondents), 0) as loo_n_respondents,
        sum(other.sum_score) as loo_sum_score,
        sum(other.sum_sq_score) as loo_sum_sq_score,
        max(other.n_respondents) as loo_max_company_n,
        sum(
            case
                when other.index_for_rank < company.index_for_rank then 1.0
                when other.index_for_rank = company.index_for_rank then 0.5
                else 0.0
            end
        ) as n_other_companies_below
    from scopes as company
    left join scopes as other
        on company.year = other.year
            and company.benchmark_scope = other.benchmark_scope
            and company.benchmark_id = other.benchmark_id
            and company.measure_type = other.measure_type
            and company.measure_id = other.measure_id
            and company.company_id != other.company_id
            and {{ enters_benchmarks('other.n_respondents') }}
    group by
        company.year,
        company.benchmark_scope,
        company.benchmark_id,
        company.company_id,
        company.measure_type,
        company.measure_id

),

-- the company's result in its previous survey year, only where that cell was publishable (n >= min_respondents)
previous as (

    select
        year,
        company_id,
        measure_type,
        measure_id,
        lag(year) over w as previous_year,
        lag(case when n_respondents >= {{ var('min_respondents') }} then n_respondents end) over w
            as previous_n_respondents,
        lag(case when n_respondents >= {{ var('min_respondents') }} then index_0_100 end) over w
            as previous_index,
        lag(case when n_respondents >= {{ var('min_respondents') }} then sd end) over w as previous_sd
    from company_stats_read
    window w as (partition by company_id, measure_type, measure_id order by year)

),

loo as (

    select
        others.*,
        others.loo_sum_score / nullif(others.loo_n_respondents, 0) as benchmark_index,
        case
            when others.loo_n_respondents > 1
                then greatest(
                        (
                            others.loo_sum_sq_score
                            - others.loo_sum_score * others.loo_sum_score / others.loo_n_respondents
                        ) / (others.loo_n_respondents - 1),
                        0
                    )
        end as benchmark_variance,
        others.loo_max_company_n * 1.0 / nullif(others.loo_n_respondents, 0) as loo_max_company_share
    from others

),

joined as (

    select
        loo.year,
        loo.benchmark_scope,
        loo.benchmark_id,
        loo.company_id,
        company_stats.industry_id,
        loo.measure_type,
        loo.measure_id,
        company_stats.sort_order,
        company_stats.n_respondents,
        company_stats.index_0_100 as company_index,
        company_stats.sd * company_stats.sd as company_variance,
        loo.n_other_companies,
        loo.loo_n_respondents,
        loo.loo_max_company_share,
        loo.benchmark_index,
        loo.benchmark_variance,
        company_stats.index_0_100 - loo.benchmark_index as gap,
        100.0 * loo.n_other_companies_below / nullif(loo.n_other_companies, 0) as percentile_rank,
        previous.previous_year,
        previous.previous_n_respondents,
        previous.previous_index,
        previous.previous_sd * previous.previous_sd as previous_variance,
        company_stats.index_0_100 - previous.previous_index as yoy_change
    from loo
    inner join company_stats
        on loo.year = company_stats.year
            and loo.company_id = company_stats.company_id
            and loo.measure_type = company_stats.measure_type
            and loo.measure_id = company_stats.measure_id
    left join previous
        on loo.year = previous.year
            and loo.company_id = previous.company_id
            and loo.measure_type = previous.measure_type
            and loo.measure_id = previous.measure_id

),

final as (

    select
        joined.*,
        {{ welch_t('company_index', 'company_variance', 'n_respondents',
                   'benchmark_index', 'benchmark_variance', 'loo_n_respondents') }} as gap_t,
        {{ welch_df('company_variance', 'n_respondents', 'benchmark_variance', 'loo_n_respondents') }} as gap_df,
        {{ welch_t('company_index', 'company_variance', 'n_respondents',
                   'previous_index', 'previous_variance', 'previous_n_respondents') }} as yoy_t,
        {{ welch_df('company_variance', 'n_respondents', 'previous_variance', 'previous_n_respondents') }} as yoy_df
    from joined

)

select * from final
