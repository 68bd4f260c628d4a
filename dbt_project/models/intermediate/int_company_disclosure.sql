-- Disclosure decision (methodology §6) for every company cell (company x year x measure), and the decision of the
-- same cell in the company's previous survey year. Consistency across years: a published row may show a value of
-- another year (previous_index, yoy_change) only when that year's cell is published under the rules of this run,
-- so that this year's and last year's published cells cannot be combined to reveal a cell suppressed in either.
-- shares_withheld: a theme or index cell whose shares would reveal a withheld item cell of the company (macro
-- withheld_share_measures).
with

company_stats as (

    select * from {{ ref('int_company_measure_stats') }}
    where {{ year_read_this_run() }}

),

decided as (

    select
        year,
        company_id,
        industry_id,
        measure_type,
        measure_id,
        n_respondents,
        {{ suppression_reason(n_respondents='n_respondents') }} as suppression_reason,
        n_respondents > 0 or coalesce(dont_know_pct, 0) > 0 as has_answers
    from company_stats

),

item_cells as (

    select
        year,
        company_id,
        measure_id as item_id,
        suppression_reason is not null and has_answers as item_withheld
    from decided
    where measure_type = 'item'

),

withheld_shares as (

    {{ withheld_share_measures('item_cells', ['year', 'company_id']) }}

),

final as (

    select
        decided.* exclude (has_answers),
        withheld_shares.measure_id is not null as shares_withheld,
        lag(decided.year) over w as previous_year,
        lag(decided.suppression_reason) over w as previous_suppression_reason,
        lag(decided.year) over w is not null and lag(decided.suppression_reason) over w is null as previous_published
    from decided
    left join withheld_shares
        on decided.year = withheld_shares.year
            and decided.company_id = withheld_shares.company_id
            and decided.measure_type = withheld_shares.measure_type
            and decided.measure_id = withheld_shares.measure_id
    window w as (partition by decided.company_id, decided.measure_type, decided.measure_id order by decided.year)

)

-- earlier years are read (their decisions under this run's rules give previous_published); only the built years
-- are written
select * from final
where {{ year_built_this_run() }}
