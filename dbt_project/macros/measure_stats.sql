{#- Group statistics of methodology §3, the ONE place they are computed, for any grouping.

    relation:        a relation or CTE name with the columns of int_respondent_measures (one row per respondent x
                     measure: measure_type, measure_id, score_0_100, n_valid_answers, n_favorable, n_neutral,
                     n_unfavorable, n_dont_know) plus the group columns and, optionally, population_column.
    group_columns:   list of column names that identify a group (e.g. ['year', 'company_id']).
    measures:        relation with year, measure_type, measure_id, scale_min, scale_max (int_questionnaire_measures):
                     mean_score is the 0-100 mean mapped back onto the measure's own scale where it has one.
    population_column: optional column with the invited headcount N of the group; when set, the standard error
                     uses the finite population correction sqrt((N - n) / (N - 1)) (only where N >= n and N > 1).
    breakdowns:      optional list of columns of relation, each a breakdown of the groups into subgroups (its values;
                     a null value is in no subgroup). The statistics are then those of each group x breakdown x
                     subgroup, in one pass over relation (grouping sets), returned in the columns breakdown (the
                     column's name) and subgroup (its value) after the group columns.

    Returns: group columns (then breakdown and subgroup), measure_type, measure_id, n_respondents, sum_score,
    sum_sq_score, mean_score, index_0_100, sd, se, ci_low, ci_high (on the 0-100 scale; Student's t with n - 1 df,
    normal beyond df 200), favorable_pct, neutral_pct, unfavorable_pct (over all valid item answers in the measure)
    and dont_know_pct (don't-knows among all answers, valid or don't-know, to the measure's items).
-#}
{% macro measure_stats(relation, group_columns, measures, population_column=none, breakdowns=none) -%}
    {%- set groups = group_columns | join(', ') -%}
    {%- set output_columns = group_columns + (['breakdown', 'subgroup'] if breakdowns else []) -%}
    with

    stats_aggregated as (

        select
            {{ groups }},
            {%- if breakdowns %}
            case
                {%- for breakdown in breakdowns %}
                when grouping({{ breakdown }}) = 0 then '{{ breakdown }}'
                {%- endfor %}
            end as breakdown,
            coalesce({{ breakdowns | join(', ') }}) as subgroup,
            {%- endif %}
            measure_type,
            measure_id,
            {%- if population_column %}
            max({{ population_column }}) as population_size,
            {%- else %}
            cast(null as integer) as population_size,
            {%- endif %}
            count(score_0_100) as n_respondents,
            sum(score_0_100) as sum_score,
            sum(score_0_100 * score_0_100) as sum_sq_score,
            avg(score_0_100) as index_0_100,
            stddev_samp(score_0_100) as sd,
            sum(n_valid_answers) as n_valid_answers,
            sum(n_favorable) as n_favorable,
            sum(n_neutral) as n_neutral,
            sum(n_unfavorable) as n_unfavorable,
            sum(n_dont_know) as n_dont_know
        from {{ relation }}
        {%- if breakdowns %}
        group by grouping sets (
            {%- for breakdown in breakdowns %}
            ({{ groups }}, measure_type, measure_id, {{ breakdown }}){{ ',' if not loop.last }}
            {%- endfor %}
        )
        having coalesce({{ breakdowns | join(', ') }}) is not null
        {%- else %}
        group by {{ groups }}, measure_type, measure_id
        {%- endif %}

    ),

    stats_with_se as (

        select
            stats_aggregated.*,
            stats_aggregated.sd / sqrt(stats_aggregated.n_respondents)
            * case
                when stats_aggregated.population_size > 1
                    and stats_aggregated.population_size >= stats_aggregated.n_respondents
                    then sqrt(
                        (stats_aggregated.population_size - stats_aggregated.n_respondents)
                        / (stats_aggregated.population_size - 1.0)
                    )
                else 1.0
            end as se,
            {{ t_975('stats_aggregated.n_respondents - 1') }} as t_975
        from stats_aggregated

    ),

    stats_final as (

        select
            {%- for column in output_columns %}
            stats_with_se.{{ column }},
            {%- endfor %}
            stats_with_se.measure_type,
            stats_with_se.measure_id,
            stats_with_se.n_respondents,
            stats_with_se.population_size,
            stats_with_se.sum_score,
            stats_with_se.sum_sq_score,
            measure_scales.scale_min
            + stats_with_se.index_0_100 * (measure_scales.scale_max - measure_scales.scale_min) / 100.0 as mean_score,
            stats_with_se.index_0_100,
            stats_with_se.sd,
            stats_with_se.se,
            stats_with_se.index_0_100 - stats_with_se.t_975 * stats_with_se.se as ci_low,
            stats_with_se.index_0_100 + stats_with_se.t_975 * stats_with_se.se as ci_high,
            100.0 * stats_with_se.n_favorable / nullif(stats_with_se.n_valid_answers, 0) as favorable_pct,
            100.0 * stats_with_se.n_neutral / nullif(stats_with_se.n_valid_answers, 0) as neutral_pct,
            100.0 * stats_with_se.n_unfavorable / nullif(stats_with_se.n_valid_answers, 0) as unfavorable_pct,
            100.0 * stats_with_se.n_dont_know
            / nullif(stats_with_se.n_valid_answers + stats_with_se.n_dont_know, 0) as dont_know_pct
        from stats_with_se
        left join {{ measures }} as measure_scales
            on stats_with_se.year = measure_scales.year
            and stats_with_se.measure_type = measure_scales.measure_type
            and stats_with_se.measure_id = measure_scales.measure_id

    )

    select * from stats_final
{%- endmacro %}
