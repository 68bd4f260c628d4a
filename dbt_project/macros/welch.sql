{#- Welch's t-test (methodology §4): welch_t / welch_df give the statistic and the Welch-Satterthwaite degrees of
    freedom from two groups' means, sample variances and sizes (null unless both groups have n >= 2 and a positive
    pooled variance). The two-sided p-value is student_t_two_sided_p_value(t, df), 2 * scipy.stats.t.sf(|t|, df),
    registered by the dbt-duckdb plugin orchestration/duckdb_functions.py (int_company_vs_benchmark). -#}

{% macro welch_t(mean_1, variance_1, n_1, mean_2, variance_2, n_2) -%}
    case
        when {{ n_1 }} >= 2 and {{ n_2 }} >= 2
            and {{ variance_1 }} / {{ n_1 }} + {{ variance_2 }} / {{ n_2 }} > 0
            then ({{ mean_1 }} - {{ mean_2 }}) / sqrt({{ variance_1 }} / {{ n_1 }} + {{ variance_2 }} / {{ n_2 }})
    end
{%- endmacro %}

{% macro welch_df(variance_1, n_1, variance_2, n_2) -%}
    case
        when {{ n_1 }} >= 2 and {{ n_2 }} >= 2
            and {{ variance_1 }} / {{ n_1 }} + {{ variance_2 }} / {{ n_2 }} > 0
            then power({{ variance_1 }} / {{ n_1 }} + {{ variance_2 }} / {{ n_2 }}, 2) / (
                power({{ variance_1 }} / {{ n_1 }}, 2) / ({{ n_1 }} - 1)
                + power({{ variance_2 }} / {{ n_2 }}, 2) / ({{ n_2 }} - 1)
            )
    end
{%- endmacro %}
