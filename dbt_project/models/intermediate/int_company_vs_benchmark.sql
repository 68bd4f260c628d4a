-- int_company_benchmark_comparisons with the two-sided Welch p-values of the gap (company vs leave-one-out
-- benchmark) and of the year-over-year change, and their significance at p < 0.05. Internal: nothing suppressed.
with recursive

comparisons as (

    select
        *,
        concat_ws('|', year, benchmark_scope, benchmark_id, company_id, measure_type, measure_id) as test_key
    from {{ ref('int_company_benchmark_comparisons') }}

),

gap_tests as (

    select
        test_key,
        gap_t as t_statistic,
        gap_df as degrees_of_freedom
    from comparisons

),

yoy_tests as (

    select
        test_key,
        yoy_t as t_statistic,
        yoy_df as degrees_of_freedom
    from comparisons

),

{{ student_t_p_value_ctes('gap_tests', prefix='gap') }},

{{ student_t_p_value_ctes('yoy_tests', prefix='yoy') }},

final as (

    select
        comparisons.* exclude (test_key),
        gap_p_values.p_value,
        gap_p_values.p_value < 0.05 as gap_significant,
        yoy_p_values.p_value as yoy_p_value,
        yoy_p_values.p_value < 0.05 as yoy_significant
    from comparisons
    left join gap_p_values
        on comparisons.test_key = gap_p_values.test_key
    left join yoy_p_values
        on comparisons.test_key = yoy_p_values.test_key

)

select * from final
