{#- Disclosure control (methodology §6), the ONE place that decides whether a published cell is suppressed.
    Every argument is a SQL expression or none (rule not applicable to the cell). Rules, in order:
      n_respondents < var('min_respondents')            -> 'min_respondents' (company, subgroup and benchmark cells)
      n_companies   < var('min_companies')              -> 'min_companies'   (benchmarks; leave-one-out: OTHER companies)
      max_company_share > var('max_company_share')      -> 'dominance'       (one company holds too many respondents)
    Returns the reason, or null when the cell may be published. -#}
{% macro suppression_reason(n_respondents=none, n_companies=none, max_company_share=none) -%}
    case
        {%- if n_respondents is not none %}
        when coalesce({{ n_respondents }}, 0) < {{ var('min_respondents') }} then 'min_respondents'
        {%- endif %}
        {%- if n_companies is not none %}
        when coalesce({{ n_companies }}, 0) < {{ var('min_companies') }} then 'min_companies'
        {%- endif %}
        {%- if max_company_share is not none %}
        when {{ max_company_share }} > {{ var('max_company_share') }} then 'dominance'
        {%- endif %}
    end
{%- endmacro %}

{#- A value column of a published cell: null when the cell is suppressed (the row and n_respondents stay). -#}
{% macro disclosed(column, reason_column='suppression_reason') -%}
    case when {{ reason_column }} is null then {{ column }} end
{%- endmacro %}
