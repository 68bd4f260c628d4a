{#- Scoring rules of methodology §1-§2, one home each. Arguments are SQL expressions. -#}

{#- Reverse coding x' = scale_min + scale_max - x (applied once, in int_answers_scored). -#}
{% macro reverse_coded_value(value, scale_min, scale_max, is_reverse_coded) -%}
    case
        when {{ is_reverse_coded }} then {{ scale_min }} + {{ scale_max }} - {{ value }}
        else {{ value }}
    end
{%- endmacro %}

{#- Item index 0-100 of an (already reverse-coded) value. -#}
{% macro item_index(value, scale_min, scale_max) -%}
    ({{ value }} - {{ scale_min }}) * 100.0 / ({{ scale_max }} - {{ scale_min }})
{%- endmacro %}

{#- Favourable / neutral / unfavourable by scale points of an (already reverse-coded) value: the top two points are
    favourable, the bottom two unfavourable, the rest neutral (1-6: 5-6 / 3-4 / 1-2; 0-10: 9-10 / 2-8 / 0-1).
    Null for a null value (don't know). -#}
{% macro answer_category(value, scale_min, scale_max) -%}
    case
        when {{ value }} is null then null
        when {{ value }} >= {{ scale_max }} - 1 then 'favorable'
        when {{ value }} <= {{ scale_min }} + 1 then 'unfavorable'
        else 'neutral'
    end
{%- endmacro %}

{#- "At least half, rounded up": the minimum count of answered parts for a score (themes: items; index: themes). -#}
{% macro min_parts_required(n_parts) -%}
    cast(ceil({{ n_parts }} / 2.0) as integer)
{%- endmacro %}

{#- eNPS points of an answer to the 0-10 "would recommend" item (methodology §5): promoter (9-10) 100, passive (7-8)
    0, detractor (0-6) -100; null for a don't-know. The mean of the points over a group is % promoters - % detractors. -#}
{% macro enps_points(value) -%}
    case
        when {{ value }} is null then null
        when {{ value }} >= 9 then 100
        when {{ value }} >= 7 then 0
        else -100
    end
{%- endmacro %}
