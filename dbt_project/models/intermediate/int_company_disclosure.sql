-- Disclosure decision (methodology §6) for every company cell (company x year x measure), and the decision of the
-- same cell in the company's previous survey year. Consistency across years: a published row may show a value of
-- another year (previous_index, yoy_change) only when that year's cell is published under the rules of this run,
-- so that this year's and last year's published cells cannot be combined to reveal a cell suppressed in either.
with

company_stats as (

    select * from {{ ref('int_company_measure_stats') }}

),

decided as (

    select
        year,
        company_id,
        industry_id,
        measure_type,
        measure_id,
        n_respondents,
        {{ suppression_reason(n_respondents='n_respondents') }} as suppression_reason
    from company_stats

),

final as (

    select
        decided.*,
        lag(decided.year) over w as previous_year,
        lag(decided.suppression_reason) over w as previous_suppression_reason,
        lag(decided.year) over w is not null and lag(decided.suppression_reason) over w is null as previous_published
    from decided
    window w as (partition by decided.company_id, decided.measure_type, decided.measure_id order by decided.year)

)

select * from final
