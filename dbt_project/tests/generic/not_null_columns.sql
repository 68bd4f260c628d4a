{#- None of the columns holds a null. One scan counts the nulls of every column (one query instead of one per column,
    and a staging view is computed once); each column that holds nulls fails as one row naming it. -#}
{% test not_null_columns(model, columns) %}

select
    column_name,
    null_rows
from (
    select
        {%- for column in columns %}
        count(*) filter (where {{ column }} is null) as {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ model }}
) unpivot (null_rows for column_name in ({{ columns | join(", ") }}))
where null_rows > 0

{% endtest %}
