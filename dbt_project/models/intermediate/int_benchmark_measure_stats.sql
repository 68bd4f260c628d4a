-- One row per benchmark (national 'all', each industry) x year x measure: the respondent-weighted (pooled)
-- statistics of all respondents in scope (macro measure_stats), plus the distribution of company indices:
-- n_companies (companies with at least one respondent scored on the measure), the largest company's share of the
-- respondents, the company-weighted mean and p25/p50/p75/p90 (linear interpolation) over companies with
-- n >= min_respondents. Respondents are clustered in companies, so both means get confidence intervals with the
-- company as the cluster (methodology §3). Internal: nothing is suppressed here.
with

respondent_measures as (

    select * from {{ ref('int_respondent_measures') }}

),

company_stats as (

    select * from {{ ref('int_company_measure_stats') }}

),

measures as (

    select * from {{ ref('int_questionnaire_measures') }}

),

scoped_respondent_measures as (

    select
        'national' as benchmark_scope,
        'all' as benchmark_id,
        *
    from respondent_measures
    union all
    select
        'industry' as benchmark_scope,
        industry_id as benchmark_id,
        *
    from respondent_measures

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
        sum_score - n_respondents * sum(sum_score) over benchmark
        / nullif(sum(n_respondents) over benchmark, 0) as cluster_deviation
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
        count(*) filter (where n_respondents > 0) as n_companies,
        sum(n_respondents) as n_pooled,
        sum(power(cluster_deviation, 2)) as sum_sq_cluster_deviation,
        max(n_respondents) / nullif(sum(n_respondents), 0) as max_company_share,
        count(*) filter (where n_respondents >= {{ var('min_respondents') }}) as n_companies_weighted,
        avg(index_0_100) filter (where n_respondents >= {{ var('min_respondents') }}) as index_company_weighted,
        stddev_samp(index_0_100) filter (
            where n_respondents >= {{ var('min_respondents') }}
        ) as sd_company_indices,
        quantile_cont(index_0_100, 0.25) filter (where n_respondents >= {{ var('min_respondents') }}) as p25,
        quantile_cont(index_0_100, 0.50) filter (where n_respondents >= {{ var('min_respondents') }}) as p50,
        quantile_cont(index_0_100, 0.75) filter (where n_respondents >= {{ var('min_respondents') }}) as p75,
        quantile_cont(index_0_100, 0.90) filter (where n_respondents >= {{ var('min_respondents') }}) as p90
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
