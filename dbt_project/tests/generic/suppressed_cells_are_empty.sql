{#- Disclosure: a suppressed row has a reason and every listed value column null; an unsuppressed row has no reason. -#}
{% test suppressed_cells_are_empty(model, value_columns) %}

select *
from {{ model }}
where (suppressed and (
        suppression_reason is null
        {%- for column in value_columns %}
        or {{ column }} is not null
        {%- endfor %}
    ))
    or (not suppressed and suppression_reason is not null)
    or suppressed is null

{% endtest %}
