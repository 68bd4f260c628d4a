{#- Every row satisfies the SQL boolean expression (rows where it is false or null fail). With built_years_only, only
    the rows of the years this build computed (macro year_built_this_run): an expression over this run's thresholds
    holds for the year released; the other years' stored rows were tested under their own release's thresholds. -#}
{% test expression_is_true(model, expression, built_years_only=false) %}

select *
from {{ model }}
where not coalesce(({{ expression }}), false)
{%- if built_years_only %}
    and {{ year_built_this_run() }}
{%- endif %}

{% endtest %}
