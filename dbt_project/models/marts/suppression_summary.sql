-- Release-level summary of disclosure control: per year, published table and reason, how many cells are
-- suppressed (methodology §6). Published cells are not counted.
with

company_scores as (

    select * from {{ ref('company_scores') }}

),

benchmarks as (

    select * from {{ ref('benchmarks') }}

),

company_vs_benchmark as (

    select * from {{ ref('company_vs_benchmark') }}

),

subgroup_scores as (

    select * from {{ ref('subgroup_scores') }}

),

answer_distribution as (

    select * from {{ ref('answer_distribution') }}

),

key_drivers as (

    select * from {{ ref('key_drivers') }}

),

theme_reliability as (

    select * from {{ ref('theme_reliability') }}

),

national_headlines as (

    select * from {{ ref('national_headlines') }}

),

suppressed_cells as (

    select
        year,
        'company_scores' as table_name,
        suppression_reason
    from company_scores
    where suppressed
    union all
    select
        year,
        'benchmarks' as table_name,
        suppression_reason
    from benchmarks
    where suppressed
    union all
    select
        year,
        'company_vs_benchmark' as table_name,
        suppression_reason
    from company_vs_benchmark
    where suppressed
    union all
    select
        year,
        'subgroup_scores' as table_name,
        suppression_reason
    from subgroup_scores
    where suppressed
    union all
    select
        year,
        'answer_distribution' as table_name,
        suppression_reason
    from answer_distribution
    where suppressed
    union all
    select
        year,
        'key_drivers' as table_name,
        suppression_reason
    from key_drivers
    where suppressed
    union all
    select
        year,
        'theme_reliability' as table_name,
        suppression_reason
    from theme_reliability
    where suppressed
    union all
    select
        year,
        'national_headlines' as table_name,
        suppression_reason
    from national_headlines
    where suppressed

),

final as (

    select
        cast(year as integer) as year,
        cast(table_name as varchar) as table_name,
        cast(suppression_reason as varchar) as suppression_reason,
        cast(count(*) as integer) as n_cells
    from suppressed_cells
    group by year, table_name, suppression_reason
    order by year, table_name, suppression_reason

)

select * from final
