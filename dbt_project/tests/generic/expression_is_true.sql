{#- Every row satisfies the SQL boolean expression (rows where it is false or null fail). An expression over this
    run's thresholds is configured `where: "__built_years__"` (macro get_where_subquery): it holds for the years
    released; the other years' stored rows were tested under their own release's thresholds. -#}
{% test expression_is_true(model, expression) %}

select *
from {{ model }}
where not coalesce(({{ expression }}), false)

{% endtest %}
