-- Disclosure decision (methodology §6) for every benchmark (national 'all', each industry) x year x measure.
--   primary_reason: the benchmark's own rules (min_respondents, min_companies, dominance or p_percent), with all
--     respondents of one company counted as one contributor.
--   complementary suppression: the national benchmark minus the published industry benchmarks is the pool of the
--     suppressed industries. When the national benchmark is published and an industry is suppressed, further
--     industries (the smallest first: fewest companies, then fewest respondents) are suppressed until that pool
--     would itself be a publishable benchmark, to a coalition of colluding_companies of its own companies too;
--     otherwise a company could back out a single industry (or company) by subtraction -> 'complementary'.
--   distribution_published: the company-weighted mean and the percentiles need min_companies_distribution companies
--     with a publishable cell (with few companies they are the companies' own indices, or solve for them).
with

benchmark_stats as (

    select * from {{ ref('int_benchmark_measure_stats') }}
    where {{ year_built_this_run() }}

),

company_stats as (

    select * from {{ ref('int_company_measure_stats') }}
    where {{ year_built_this_run() }}

),

contributors as (

    select
        year,
        company_id,
        industry_id,
        measure_type,
        measure_id,
        n_respondents
    from company_stats
    where {{ enters_benchmarks('n_respondents') }}

),

pools as (

    select
        year,
        'national' as benchmark_scope,
        'all' as benchmark_id,
        measure_type,
        measure_id,
        count(*) as n_companies,
        sum(n_respondents) as total_n,
        max(n_respondents) as largest_n,
        coalesce(list_sort(list(n_respondents), 'DESC')[2], 0) as second_n
    from contributors
    group by year, measure_type, measure_id
    union all
    select
        year,
        'industry' as benchmark_scope,
        industry_id as benchmark_id,
        measure_type,
        measure_id,
        count(*) as n_companies,
        sum(n_respondents) as total_n,
        max(n_respondents) as largest_n,
        coalesce(list_sort(list(n_respondents), 'DESC')[2], 0) as second_n
    from contributors
    group by year, industry_id, measure_type, measure_id

),

primary_decided as (

    select
        benchmark_stats.*,
        coalesce(pools.total_n, 0) as pool_n_respondents,
        coalesce(pools.largest_n, 0) as largest_company_n,
        coalesce(pools.second_n, 0) as second_company_n,
        {{ suppression_reason(
            n_respondents='benchmark_stats.n_respondents',
            n_companies='benchmark_stats.n_companies',
            largest_n='pools.largest_n',
            second_n='pools.second_n',
            total_n='pools.total_n',
            known_companies=disclosure_setting('colluding_companies')
        ) }} as primary_reason
    from benchmark_stats
    left join pools
        on benchmark_stats.year = pools.year
            and benchmark_stats.benchmark_scope = pools.benchmark_scope
            and benchmark_stats.benchmark_id = pools.benchmark_id
            and benchmark_stats.measure_type = pools.measure_type
            and benchmark_stats.measure_id = pools.measure_id

),

-- industries in suppression order: primary-suppressed first, then the smallest
industry_order as (

    select
        industries.year,
        industries.benchmark_id,
        industries.measure_type,
        industries.measure_id,
        industries.primary_reason,
        row_number() over (
            partition by industries.year, industries.measure_type, industries.measure_id
            order by
                industries.primary_reason is null,
                industries.n_companies,
                industries.pool_n_respondents,
                industries.benchmark_id
        ) as suppression_rank,
        count(industries.primary_reason) over (
            partition by industries.year, industries.measure_type, industries.measure_id
        ) as n_primary
    from primary_decided as industries
    inner join primary_decided as national_pool
        on industries.year = national_pool.year
            and industries.measure_type = national_pool.measure_type
            and industries.measure_id = national_pool.measure_id
            and national_pool.benchmark_scope = 'national'
    where industries.benchmark_scope = 'industry'
        and national_pool.primary_reason is null

),

-- the pool of the first k industries in that order, for every k
cumulative_pools as (

    select
        industry_order.year,
        industry_order.measure_type,
        industry_order.measure_id,
        industry_order.suppression_rank,
        industry_order.n_primary,
        count(contributors.company_id) as n_companies,
        coalesce(sum(contributors.n_respondents), 0) as total_n,
        coalesce(max(contributors.n_respondents), 0) as largest_n,
        coalesce(list_sort(list(contributors.n_respondents), 'DESC')[2], 0) as second_n
    from industry_order
    inner join industry_order as member
        on industry_order.year = member.year
            and industry_order.measure_type = member.measure_type
            and industry_order.measure_id = member.measure_id
            and industry_order.suppression_rank >= member.suppression_rank
    left join contributors
        on member.year = contributors.year
            and member.benchmark_id = contributors.industry_id
            and member.measure_type = contributors.measure_type
            and member.measure_id = contributors.measure_id
    group by
        industry_order.year,
        industry_order.measure_type,
        industry_order.measure_id,
        industry_order.suppression_rank,
        industry_order.n_primary

),

suppression_depth as (

    select
        year,
        measure_type,
        measure_id,
        coalesce(
            min(suppression_rank) filter (
                where suppression_rank >= n_primary
                and (
                    {{ suppression_reason(
                        n_respondents='total_n',
                        n_companies='n_companies',
                        largest_n='largest_n',
                        second_n='second_n',
                        total_n='total_n',
                        known_companies=disclosure_setting('colluding_companies')
                    ) }}
                ) is null
            ),
            max(suppression_rank)
        ) as n_suppressed
    from cumulative_pools
    where n_primary > 0
    group by year, measure_type, measure_id

),

-- an item cell of a company that holds answers but does not enter the benchmarks, while the company enters them with
-- other cells: the benchmark's theme and index shares (over all item answers) would reveal it
company_item_cells as (

    select
        year,
        company_id,
        industry_id,
        measure_id as item_id,
        not {{ enters_benchmarks('n_respondents') }}
        and (n_respondents > 0 or coalesce(dont_know_pct, 0) > 0)
        and exists (
            select 1
            from contributors
            where contributors.year = company_stats.year
                and contributors.company_id = company_stats.company_id
        ) as item_withheld
    from company_stats
    where measure_type = 'item'

),

item_cells as (

    select
        year,
        'national' as benchmark_scope,
        'all' as benchmark_id,
        item_id,
        item_withheld
    from company_item_cells
    union all
    select
        year,
        'industry' as benchmark_scope,
        industry_id as benchmark_id,
        item_id,
        item_withheld
    from company_item_cells

),

withheld_shares as (

    {{ withheld_share_measures('item_cells', ['year', 'benchmark_scope', 'benchmark_id']) }}

),

final as (

    select
        primary_decided.*,
        withheld_shares.measure_id is not null as shares_withheld,
        coalesce(
            primary_decided.primary_reason,
            case when industry_order.suppression_rank <= suppression_depth.n_suppressed then 'complementary' end
        ) as suppression_reason,
        coalesce(
            primary_decided.n_companies_weighted >= {{ disclosure_setting('min_companies_distribution') }}, false
        ) as distribution_published
    from primary_decided
    left join withheld_shares
        on primary_decided.year = withheld_shares.year
            and primary_decided.benchmark_scope = withheld_shares.benchmark_scope
            and primary_decided.benchmark_id = withheld_shares.benchmark_id
            and primary_decided.measure_type = withheld_shares.measure_type
            and primary_decided.measure_id = withheld_shares.measure_id
    left join industry_order
        on primary_decided.year = industry_order.year
            and primary_decided.benchmark_scope = 'industry'
            and primary_decided.benchmark_id = industry_order.benchmark_id
            and primary_decided.measure_type = industry_order.measure_type
            and primary_decided.measure_id = industry_order.measure_id
    left join suppression_depth
        on primary_decided.year = suppression_depth.year
            and primary_decided.measure_type = suppression_depth.measure_type
            and primary_decided.measure_id = suppression_depth.measure_id

)

select * from final
