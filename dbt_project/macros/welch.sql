{#- Welch's t-test (methodology §4), in three pieces so that every step can be tested:
    welch_t / welch_df: the statistic and the Welch-Satterthwaite degrees of freedom from two groups' means, sample
    variances and sizes (null unless both groups have n >= 2 and a positive pooled variance);
    student_t_p_value_ctes: CTEs that turn (t, df) rows into two-sided p-values
    p = I_{df/(df+t^2)}(df/2, 1/2), the regularized incomplete beta function evaluated with the continued fraction of
    Numerical Recipes (betacf, modified Lentz) iterated a fixed 200 times in a recursive CTE (DuckDB has no t
    distribution). Checked against scipy.stats.t.sf to 1e-6 in tests/test_dbt_build.py and, over df 1..1e5 and t 0..50, in
    tests/test_welch_p_value.py. -#}

{% macro welch_t(mean_1, variance_1, n_1, mean_2, variance_2, n_2) -%}
    case
        when {{ n_1 }} >= 2 and {{ n_2 }} >= 2
            and {{ variance_1 }} / {{ n_1 }} + {{ variance_2 }} / {{ n_2 }} > 0
            then ({{ mean_1 }} - {{ mean_2 }}) / sqrt({{ variance_1 }} / {{ n_1 }} + {{ variance_2 }} / {{ n_2 }})
    end
{%- endmacro %}

{% macro welch_df(variance_1, n_1, variance_2, n_2) -%}
    case
        when {{ n_1 }} >= 2 and {{ n_2 }} >= 2
            and {{ variance_1 }} / {{ n_1 }} + {{ variance_2 }} / {{ n_2 }} > 0
            then power({{ variance_1 }} / {{ n_1 }} + {{ variance_2 }} / {{ n_2 }}, 2) / (
                power({{ variance_1 }} / {{ n_1 }}, 2) / ({{ n_1 }} - 1)
                + power({{ variance_2 }} / {{ n_2 }}, 2) / ({{ n_2 }} - 1)
            )
    end
{%- endmacro %}

{#- Lentz guard: keep a denominator away from zero. -#}
{% macro _lentz_guard(expression) -%}
    case when abs({{ expression }}) < 1e-300 then cast(1e-300 as double) else {{ expression }} end
{%- endmacro %}

{#- CTEs (to follow "with recursive" or a comma) named <prefix>_p_values with key column test_key and p_value.
    relation must have columns test_key (unique), t_statistic and degrees_of_freedom. -#}
{% macro student_t_p_value_ctes(relation, prefix='t_test', iterations=200) -%}
    {{ prefix }}_inputs as (

        select
            test_key,
            t_statistic,
            degrees_of_freedom,
            cast(degrees_of_freedom as double) / 2.0 as a_0,
            cast(0.5 as double) as b_0,
            cast(degrees_of_freedom as double) / (degrees_of_freedom + t_statistic * t_statistic) as x_0,
            -- 1 - x_0 computed directly: for a tiny t against a large df, 1.0 - x_0 would round to 0
            t_statistic * t_statistic / (degrees_of_freedom + t_statistic * t_statistic) as y_0
        from {{ relation }}
        where t_statistic is not null
            and degrees_of_freedom > 0
            and t_statistic != 0

    ),

    {{ prefix }}_prepared as (

        select
            test_key,
            a_0,
            b_0,
            x_0,
            x_0 >= (a_0 + 1.0) / (a_0 + b_0 + 2.0) as is_swapped,
            case when x_0 >= (a_0 + 1.0) / (a_0 + b_0 + 2.0) then b_0 else a_0 end as a,
            case when x_0 >= (a_0 + 1.0) / (a_0 + b_0 + 2.0) then a_0 else b_0 end as b,
            case when x_0 >= (a_0 + 1.0) / (a_0 + b_0 + 2.0) then y_0 else x_0 end as x
        from {{ prefix }}_inputs

    ),

    {{ prefix }}_lentz as (

        select
            test_key,
            a,
            b,
            x,
            0 as m,
            cast(1.0 as double) as c,
            cast(1.0 / ({{ _lentz_guard('1.0 - (a + b) * x / (a + 1.0)') }}) as double) as d,
            cast(1.0 / ({{ _lentz_guard('1.0 - (a + b) * x / (a + 1.0)') }}) as double) as h
        from {{ prefix }}_prepared
        union all
        select
            test_key,
            a,
            b,
            x,
            m,
            {{ _lentz_guard('1.0 + aa_odd / c_even') }} as c,
            1.0 / ({{ _lentz_guard('1.0 + aa_odd * d_even') }}) as d,
            h_even * (1.0 / ({{ _lentz_guard('1.0 + aa_odd * d_even') }})) * ({{ _lentz_guard('1.0 + aa_odd / c_even') }})
            as h
        from (
            select
                test_key,
                a,
                b,
                x,
                m,
                c_even,
                d_even,
                h * d_even * c_even as h_even,
                -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 1.0 + 2.0 * m)) as aa_odd
            from (
                select
                    test_key,
                    a,
                    b,
                    x,
                    m,
                    h,
                    {{ _lentz_guard('1.0 + aa_even / c') }} as c_even,
                    1.0 / ({{ _lentz_guard('1.0 + aa_even * d') }}) as d_even
                from (
                    select
                        test_key,
                        a,
                        b,
                        x,
                        c,
                        d,
                        h,
                        m + 1 as m,
                        (m + 1) * (b - (m + 1)) * x / ((a - 1.0 + 2.0 * (m + 1)) * (a + 2.0 * (m + 1))) as aa_even
                    from {{ prefix }}_lentz
                    where m < {{ iterations }}
                ) as step_input
            ) as even_step
        ) as odd_step

    ),

    {{ prefix }}_p_values as (

        select
            {{ prefix }}_inputs.test_key,
            case
                when {{ prefix }}_prepared.is_swapped then cast(1.0 - converged.incomplete_beta as double)
                else cast(converged.incomplete_beta as double)
            end as p_value
        from {{ prefix }}_inputs
        inner join {{ prefix }}_prepared
            on {{ prefix }}_inputs.test_key = {{ prefix }}_prepared.test_key
        inner join (
            select
                test_key,
                -- x rounds to 0 when t is tiny against df (df / (df + t^2) = 1 in doubles): I_0 = 0, so p = 1
                case
                    when x <= 0 then 0.0
                    when x >= 1 then 1.0
                    else exp(
                        lgamma(a + b) - lgamma(a) - lgamma(b) + a * ln(x) + b * ln(1.0 - x)
                    ) * h / a
                end as incomplete_beta
            from {{ prefix }}_lentz
            where m = {{ iterations }}
        ) as converged
            on {{ prefix }}_inputs.test_key = converged.test_key
        union all
        select
            test_key,
            cast(1.0 as double) as p_value
        from {{ relation }}
        where t_statistic = 0
            and degrees_of_freedom > 0

    )
{%- endmacro %}
