-- int_company_benchmark_comparisons with the two-sided Welch p-values of the gap (company vs leave-one-out
-- benchmark) and of the year-over-year change, and their significance at p < 0.05. Internal: nothing suppressed.
-- student_t_two_sided_p_value: scipy's Student's t, registered by the plugin orchestration/duckdb_functions.py.
with

comparisons as (

    select * from {{ ref('int_company_benchmark_comparisons') }}
    where {{ year_built_this_run() }}

),

tested as (

    select
        comparisons.*,
        student_t_two_sided_p_value(comparisons.gap_t, comparisons.gap_df) as p_value,
        student_t_two_sided_p_value(comparisons.yoy_t, comparisons.yoy_df) as yoy_p_value
    from comparisons

),

final as (

    select
        tested.*,
        tested.p_value < 0.05 as gap_significant,
        tested.yoy_p_value < 0.05 as yoy_significant
    from tested

)

select * from final
