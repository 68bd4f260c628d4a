-- Disclosure decision (methodology §6) for every company x benchmark scope x year x measure comparison
-- (company_vs_benchmark). In order:
--   the company's own cell (min_respondents);
--   the leave-one-out pool, i.e. the OTHER companies of the scope whose cells enter the benchmarks: min_companies
--     other companies (two of them unknown to the company and one more colluding participant), and dominance
--     (or the p%-rule) among them, every company's respondents counted as one contributor;
--   'benchmark_suppressed': the scope's benchmark is itself suppressed (primary or complementary), so that the
--     leave-one-out value plus the company's own cell cannot rebuild a withheld benchmark.
-- previous_published: the company's previous-year cell is published (int_company_disclosure); only then may
-- previous_index and the year-over-year change be shown.
with

company_disclosure as (

    select * from {{ ref('int_company_disclosure') }}
    where {{ year_built_this_run() }}

),

benchmark_disclosure as (

    select * from {{ ref('int_benchmark_disclosure') }}
    where {{ year_built_this_run() }}

),

scopes as (

    select
        'national' as benchmark_scope,
        'all' as benchmark_id,
        *
    from company_disclosure
    union all
    select
        'industry' as benchmark_scope,
        industry_id as benchmark_id,
        *
    from company_disclosure

),

others as (

    select
        company.year,
        company.benchmark_scope,
        company.benchmark_id,
        company.company_id,
        company.measure_type,
        company.measure_id,
        any_value(company.n_respondents) as n_respondents,
        any_value(company.suppression_reason) as company_reason,
        any_value(company.previous_published) as previous_published,
        count(other.company_id) as n_other_companies,
        coalesce(sum(other.n_respondents), 0) as loo_n_respondents,
        coalesce(max(other.n_respondents), 0) as loo_largest_n,
        coalesce(list_sort(list(other.n_respondents), 'DESC')[2], 0) as loo_second_n
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

final as (

    select
        others.year,
        others.benchmark_scope,
        others.benchmark_id,
        others.company_id,
        others.measure_type,
        others.measure_id,
        others.n_respondents,
        others.n_other_companies,
        others.loo_n_respondents,
        others.loo_largest_n,
        others.loo_second_n,
        others.previous_published,
        coalesce(
            others.company_reason,
            {{ suppression_reason(
                n_respondents='others.loo_n_respondents',
                n_companies='others.n_other_companies',
                largest_n='others.loo_largest_n',
                second_n='others.loo_second_n',
                total_n='others.loo_n_respondents',
                known_companies=disclosure_setting('colluding_companies') ~ ' - 1'
            ) }},
            case when benchmark_disclosure.suppression_reason is not null then 'benchmark_suppressed' end
        ) as suppression_reason
    from others
    left join benchmark_disclosure
        on others.year = benchmark_disclosure.year
            and others.benchmark_scope = benchmark_disclosure.benchmark_scope
            and others.benchmark_id = benchmark_disclosure.benchmark_id
            and others.measure_type = benchmark_disclosure.measure_type
            and others.measure_id = benchmark_disclosure.measure_id

)

select * from final
