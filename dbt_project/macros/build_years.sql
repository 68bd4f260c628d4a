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

{#- The years as literals, read when the model or test compiles: DuckDB then skips the other years' row groups by
    their min/max (a subquery is a join over every stored row: at 1M, slower than no filter at all). -#}
{% macro build_years_list() -%}
    {%- set build_years = build_years_relation() -%}
    {%- if build_years is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set years = run_query('select year from ' ~ build_years ~ ' order by year').columns[0].values() -%}
    {{ return(years | map('int') | list) }}
{%- endmacro %}

{% macro year_built_this_run(column='year') -%}
    {%- set years = build_years_list() -%}
    {%- if years is none -%}
        true
    {%- elif years -%}
        {{ column }} in ({{ years | join(', ') }})
    {%- else -%}
        false
    {%- endif -%}
{%- endmacro %}

{#- Year-over-year inputs: the built years and every earlier year, whose stored rows give a company's previous
    survey year (the company's last year before, which need not be the calendar year before). -#}
{% macro year_read_this_run(column='year') -%}
    {%- set years = build_years_list() -%}
    {%- if years is none -%}
        true
    {%- elif years -%}
        {{ column }} <= {{ years | max }}
    {%- else -%}
        false
    {%- endif -%}
{%- endmacro %}

{#- dbt wraps the model of every generic data test in this macro (its `where` config). Ours reads one placeholder:
    a test configured `where: "__built_years__"` tests the rows of the years this build computed only
    (year_built_this_run). The tables that grow with the respondents and the tests over this run's thresholds use it:
    their rows of other years are not rewritten by this build and passed their own release's tests, so a release's
    tests cost its own year, not the warehouse's history. Any other `where` works as in dbt. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') or '' -%}
    {%- if '__built_years__' in where -%}
        {%- set where = where | replace('__built_years__', year_built_this_run()) -%}
    {%- endif -%}
    {%- if where -%}
        {{ return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') }}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}
