-- One row per benchmark (national 'all', each industry) x year x measure: the respondent-weighted (pooled)
-- statistics of the respondents in scope whose company cell enters the benchmarks (macro enters_benchmarks: only
-- publishable company cells are pooled; the others are counted in n_companies_excluded) (macro measure_stats), plus
-- the distribution of the pooled company indices: n_companies, the largest company's share of the respondents, the
-- company-weighted mean and p25/p50/p75/p90 (linear interpolation). Respondents are clustered in companies, so both
-- means get confidence intervals with the company as the cluster (methodology §3). Internal: nothing suppressed.
with

company_stats as (

    select
        *,
        {{ enters_benchmarks('n_respondents') }} as pooled
    from {{ ref('int_company_measure_stats') }}
    where {{ year_built_this_run() }}

),

respondent_measures as (

    select respondent_measures.*
    from {{ ref('int_respondent_measures') }} as respondent_measures
    semi join company_stats
        on respondent_measures.year = company_stats.year
            and respondent_measures.company_id = company_stats.company_id
            and respondent_measures.measure_type = company_stats.measure_type
            and respondent_measures.measure_id = company_stats.measure_id
            and company_stats.pooled
    where {{ year_built_this_run('respondent_measures.year') }}

),

measures as (

    select * from {{ ref('int_questionnaire_measures') }}
    where {{ year_built_this_run() }}

),

-- Each respondent x measure once in the national and once in its industry's benchmark, by a join with the two
-- scopes rather than a union of two reads (DuckDB would materialise a copy of them: 7.4 -> 2.4 s at 1,000,000).
scoped_respondent_measures as (

    select
        scopes.benchmark_scope,
        case
            when scopes.benchmark_scope = 'national' then 'all' else respondent_measures.industry_id
        end as benchmark_id,
        respondent_measures.*
    from respondent_measures
    cross join (values ('national'), ('industry')) as scopes (benchmark_scope)

),

pooled as (

    {{ measure_stats('scoped_respondent_measures', ['year', 'benchmark_scope', 'benchmark_id'], 'measures') }}

),

scoped_company_stats as (

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

-- Respondents are clustered in companies. A company's deviation from the pooled mean, T_c - n_c * mean (T_c, n_c
-- its score sum and respondents; the pooled mean is sum T_c / sum n_c), feeds the pooled mean's standard error.
company_deviations as (

    select
        *,
        case
            when pooled
                then sum_score - n_respondents * sum(case when pooled then sum_score end) over benchmark
                    / nullif(sum(case when pooled then n_respondents end) over benchmark, 0)
        end as cluster_deviation
    from scoped_company_stats
    window benchmark as (partition by year, benchmark_scope, benchmark_id, measure_type, measure_id)

),

company_aggregates as (

    select
        year,
        benchmark_scope,
        benchmark_id,
        measure_type,
        measure_id,
        min(sort_order) as sort_order,
        count(*) filter (where pooled) as n_companies,
        count(*) filter (where n_respondents > 0 and not pooled) as n_companies_excluded,
        coalesce(sum(n_respondents) filter (where pooled), 0) as n_pooled,
        sum(power(cluster_deviation, 2)) as sum_sq_cluster_deviation,
        max(n_respondents) filter (where pooled)
        / nullif(sum(n_respondents) filter (where pooled), 0) as max_company_share,
        count(*) filter (where pooled) as n_companies_weighted,
        avg(index_0_100) filter (where pooled) as index_company_weighted,
        stddev_samp(index_0_100) filter (where pooled) as sd_company_indices,
        quantile_cont(index_0_100, 0.25) filter (where pooled) as p25,
        quantile_cont(index_0_100, 0.50) filter (where pooled) as p50,
        quantile_cont(index_0_100, 0.75) filter (where pooled) as p75,
        quantile_cont(index_0_100, 0.90) filter (where pooled) as p90
    from company_deviations
    group by year, benchmark_scope, benchmark_id, measure_type, measure_id

),

-- Standard errors, company as the cluster. The pooled mean: the linearised variance of a ratio mean,
-- C / (C - 1) * sum_c (T_c - n_c * mean)^2 / n^2, with C - 1 degrees of freedom (a CI from sd / sqrt(n) over pooled
-- respondents would be too narrow). The company-weighted mean of C company indices: sd(company indices) / sqrt(C).
company_distribution as (

    select
        *,
        sqrt(n_companies / nullif(n_companies - 1.0, 0) * sum_sq_cluster_deviation) / nullif(n_pooled, 0) as se,
        {{ t_975('n_companies - 1') }} as t_975_clusters,
        sd_company_indices / sqrt(n_companies_weighted) as se_company_weighted,
        {{ t_975('n_companies_weighted - 1') }} as t_975_companies
    from company_aggregates

),

final as (

    select
        company_distribution.year,
        company_distribution.benchmark_scope,
        company_distribution.benchmark_id,
        company_distribution.measure_type,
        company_distribution.measure_id,
        company_distribution.sort_order,
        coalesce(pooled.n_respondents, 0) as n_respondents,
        company_distribution.n_companies,
        company_distribution.n_companies_excluded,
        company_distribution.max_company_share,
        coalesce(pooled.sum_score, 0) as sum_score,
        coalesce(pooled.sum_sq_score, 0) as sum_sq_score,
        pooled.mean_score,
        pooled.index_0_100,
        pooled.sd,
        company_distribution.se,
        pooled.index_0_100 - company_distribution.t_975_clusters * company_distribution.se as ci_low,
        pooled.index_0_100 + company_distribution.t_975_clusters * company_distribution.se as ci_high,
        company_distribution.n_companies_weighted,
        company_distribution.index_company_weighted,
        company_distribution.se_company_weighted,
        company_distribution.index_company_weighted
        - company_distribution.t_975_companies * company_distribution.se_company_weighted as company_weighted_ci_low,
        company_distribution.index_company_weighted
        + company_distribution.t_975_companies * company_distribution.se_company_weighted as company_weighted_ci_high,
        company_distribution.p25,
        company_distribution.p50,
        company_distribution.p75,
        company_distribution.p90,
        pooled.favorable_pct,
        pooled.neutral_pct,
        pooled.unfavorable_pct,
        pooled.dont_know_pct
    from company_distribution
    left join pooled
        on company_distribution.year = pooled.year
            and company_distribution.benchmark_scope = pooled.benchmark_scope
            and company_distribution.benchmark_id = pooled.benchmark_id
            and company_distribution.measure_type = pooled.measure_type
            and company_distribution.measure_id = pooled.measure_id

)

select * from final
