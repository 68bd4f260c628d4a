{#- The survey years a build computes (issue 10, "a year at a time"). Before dbt runs, the release writes them to
    control.build_years (orchestration/build_years.py): the partition's year, and any loaded year never built. The
    incremental models (delete+insert on year) read only those years of their inputs, so a release rewrites its own
    year's rows and reads earlier years from their stored results. Without the control table (a plain `dbt build`,
    the unit tests, sqlfluff's compile) every year is built, as before. -#}

{% macro build_years_relation() -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(adapter.get_relation(database=target.database, schema='control', identifier='build_years')) }}
{%- endmacro %}

{% macro year_built_this_run(column='year') -%}
    {%- set build_years = build_years_relation() -%}
    {%- if build_years is none -%}
        true
    {%- else -%}
        {{ column }} in (select build_years.year from {{ build_years }} as build_years)
    {%- endif -%}
{%- endmacro %}

{#- Year-over-year inputs: the built years and every earlier year, whose stored rows give a company's previous
    survey year (the company's last year before, which need not be the calendar year before). -#}
{% macro year_read_this_run(column='year') -%}
    {%- set build_years = build_years_relation() -%}
    {%- if build_years is none -%}
        true
    {%- else -%}
        {{ column }} <= (select max(build_years.year) from {{ build_years }} as build_years)
    {%- endif -%}
{%- endmacro %}
