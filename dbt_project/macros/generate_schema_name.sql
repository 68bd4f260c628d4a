{#- Use the custom schema name as-is (staging, intermediate, published, reference) instead of dbt's
    default "<target schema>_<custom schema>", so every target writes the schemas named in docs/architecture.md. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
