{#- Disclosure control (methodology §6), the ONE place that decides whether a published cell is suppressed.

    Settings come from dbt_project.yml vars (Dagster passes the chosen values as --vars). var('disclosure_profile')
    selects one of the presets in var('disclosure_profiles'); a preset only ever tightens the configured values:
    min_companies is raised to the preset's, max_company_share lowered to the preset's, and a preset with p_percent
    adds the p%-rule to dominance (the respondents of all companies but the two largest must be at least p% of the
    largest company's respondents).
    No configured value may pass its floor in var('disclosure_floors'): a compile error says which.
    All respondents of one company count as one contributor (company sizes are respondent counts).
-#}
{% macro disclosure_setting(name) -%}
    {%- do check_disclosure_floors() -%}
    {%- set profile = var('disclosure_profile', 'default') -%}
    {%- set presets = var('disclosure_profiles') -%}
    {%- if profile not in presets -%}
        {{ exceptions.raise_compiler_error(
            "disclosure_profile must be one of " ~ (presets.keys() | list | join(', ')) ~ ", not '" ~ profile ~ "'"
        ) }}
    {%- endif -%}
    {%- set preset = presets[profile] -%}
    {%- if name == 'min_respondents' -%}
        {{ return(var('min_respondents')) }}
    {%- elif name == 'min_companies' -%}
        {{ return([var('min_companies'), preset.get('min_companies', 0)] | max) }}
    {%- elif name == 'max_company_share' -%}
        {{ return([var('max_company_share'), preset.get('max_company_share', 1.0)] | min) }}
    {%- elif name == 'p_percent' -%}
        {{ return(preset.get('p_percent', none)) }}
    {%- elif name == 'colluding_companies' -%}
        {{ return(var('colluding_companies')) }}
    {%- elif name == 'min_companies_distribution' -%}
        {{ return([var('min_companies_distribution', 10), var('min_companies') + 1] | max) }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("unknown disclosure setting '" ~ name ~ "'") }}
    {%- endif -%}
{%- endmacro %}

{#- Raises a compile error when a configured threshold is looser than its floor (dbt_project.yml disclosure_floors):
    no launch, --vars or preset can publish under a weaker rule. -#}
{% macro check_disclosure_floors() -%}
    {%- set floors = var('disclosure_floors') -%}
    {%- for name in ['min_respondents', 'min_companies', 'min_companies_distribution'] -%}
        {%- if var(name) | float < floors[name] | float -%}
            {{ exceptions.raise_compiler_error(
                name ~ " = " ~ var(name) ~ " is below its floor " ~ floors[name]
                ~ " (dbt_project.yml vars: disclosure_floors)"
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {%- if var('max_company_share') | float > floors['max_company_share'] | float -%}
        {{ exceptions.raise_compiler_error(
            "max_company_share = " ~ var('max_company_share') ~ " is above its floor " ~ floors['max_company_share']
            ~ " (dbt_project.yml vars: disclosure_floors)"
        ) }}
    {%- endif -%}
{%- endmacro %}

{#- Every argument is a SQL expression or none (rule not applicable to the cell). Rules, in order:
      n_respondents < min_respondents                              -> 'min_respondents'
      n_companies   < min_companies, or fewer than 2 companies left unknown to a reader who knows known_companies of
                    them                                           -> 'min_companies' (leave-one-out: OTHER companies)
      largest_n / total_n > max_company_share                      -> 'dominance'  (every profile)
      total_n - largest_n - second_n < p/100 * largest_n           -> 'p_percent'  (p_percent profile)
    largest_n, second_n and total_n are the respondents of the largest and second-largest company and of all
    companies in the pool. known_companies: how many of the pool's companies one reader may know (a coalition of
    colluding_companies participants pooling their packages: a benchmark they are in). Returns the reason, or null
    when the cell may be published. -#}
{% macro suppression_reason(
    n_respondents=none,
    n_companies=none,
    largest_n=none,
    second_n=none,
    total_n=none,
    max_company_share=none,
    known_companies=0
) -%}
    {%- set max_share = disclosure_setting('max_company_share') -%}
    {%- set p = disclosure_setting('p_percent') -%}
    case
        {%- if n_respondents is not none %}
        when coalesce({{ n_respondents }}, 0) < {{ disclosure_setting('min_respondents') }} then 'min_respondents'
        {%- endif %}
        {%- if n_companies is not none %}
        when coalesce({{ n_companies }}, 0) < {{ disclosure_setting('min_companies') }} then 'min_companies'
        when coalesce({{ n_companies }}, 0) - ({{ known_companies }}) < 2 then 'min_companies'
        {%- endif %}
        {%- if largest_n is not none %}
        when coalesce({{ largest_n }}, 0) > {{ max_share }} * coalesce({{ total_n }}, 0) then 'dominance'
        {%- elif max_company_share is not none %}
        when {{ max_company_share }} > {{ max_share }} then 'dominance'
        {%- endif %}
        {%- if p is not none and largest_n is not none %}
        when coalesce({{ total_n }}, 0) - coalesce({{ largest_n }}, 0) - coalesce({{ second_n }}, 0)
            < {{ p / 100.0 }} * coalesce({{ largest_n }}, 0) then 'p_percent'
        {%- endif %}
    end
{%- endmacro %}

{#- Whether a company cell (company x year x measure with n_respondents respondents) enters the benchmarks of its
    measure: only publishable company cells are pooled, so that no benchmark minus the published companies is a
    company whose own cell is suppressed (methodology §6). The ONE home of that rule. -#}
{% macro enters_benchmarks(n_respondents) -%}
    coalesce({{ n_respondents }}, 0) >= {{ disclosure_setting('min_respondents') }}
{%- endmacro %}

{#- A value column of a published cell: null when the cell is suppressed (the row stays, with no value and no count).
-#}
{% macro disclosed(column, reason_column='suppression_reason') -%}
    case when {{ reason_column }} is null then {{ column }} end
{%- endmacro %}

{#- A share column of a published cell: null also where the cell's shares are withheld (withheld_share_measures). -#}
{% macro disclosed_share(column, withheld_column='shares_withheld') -%}
    case when not coalesce({{ withheld_column }}, false) then {{ disclosed(column) }} end
{%- endmacro %}

{#- Theme and index shares (favourable, neutral, unfavourable, don't know) count every item answer in the measure, so
    a published theme share minus the published item shares of the same group is the count of an item cell that is
    withheld. item_cells: a relation with year, the group_columns, item_id and item_withheld (true where that item
    cell of the group is not published or, for a benchmark, not pooled like the theme, and holds answers). Returns one
    row per group x theme (and the overall index) whose shares must be withheld: group columns, year, measure_type,
    measure_id (year must be one of the group columns). -#}
{% macro withheld_share_measures(item_cells, group_columns) -%}
    {%- set groups = 'item_cells.' ~ (group_columns | join(', item_cells.')) -%}
    select distinct
        {{ groups }},
        'theme' as measure_type,
        items_asked.theme_id as measure_id
    from {{ item_cells }} as item_cells
    inner join {{ ref('int_items_asked') }} as items_asked
        on item_cells.year = items_asked.year
            and item_cells.item_id = items_asked.item_id
    where item_cells.item_withheld and items_asked.theme_id is not null
    union all
    select distinct
        {{ groups }},
        'index' as measure_type,
        'overall' as measure_id
    from {{ item_cells }} as item_cells
    inner join {{ ref('int_items_asked') }} as items_asked
        on item_cells.year = items_asked.year
            and item_cells.item_id = items_asked.item_id
    where item_cells.item_withheld and items_asked.theme_id is not null
{%- endmacro %}
