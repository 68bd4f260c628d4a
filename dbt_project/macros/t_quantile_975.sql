{#- t(0.975, df) for a SQL expression df: the ONE place a CI takes its Student's t quantile. student_t_quantile is
    scipy.stats.t.ppf, registered on the connection by the dbt-duckdb plugin orchestration/duckdb_functions.py
    (profiles.yml), exact at every df; null for df < 1 (n < 2: no interval). -#}
{% macro t_975(df) -%}
    student_t_quantile(0.975, {{ df }})
{%- endmacro %}
