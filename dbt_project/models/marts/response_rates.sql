-- Response rate per company and survey year (methodology §5): respondents (with at least one answer or don't-know)
-- / invited employees (seeds/invited_headcount.csv) x 100. A company invited but without respondents has rate 0; a
-- company without a known headcount has invited and response_rate null. A company with fewer than min_respondents
-- respondents is suppressed like its cells: neither its count nor its rate (which gives the count) is published.
with

respondent_index as (

    select * from {{ ref('int_respondent_index') }}
    where {{ year_built_this_run() }}

),

invited_headcount as (

    select * from {{ ref('stg_participants__invited_headcount') }}
    where {{ year_built_this_run() }}

),

survey_years as (

    select distinct year
    from respondent_index

),

respondent_counts as (

    select
        year,
        company_id,
        count(*) as n_respondents
    from respondent_index
    group by year, company_id

),

invited as (

    select invited_headcount.*
    from invited_headcount
    inner join survey_years
        on invited_headcount.year = survey_years.year

),

joined as (

    select
        coalesce(respondent_counts.year, invited.year) as year,
        coalesce(respondent_counts.company_id, invited.company_id) as company_id,
        invited.invited,
        coalesce(respondent_counts.n_respondents, 0) as n_respondents
    from respondent_counts
    full outer join invited
        on respondent_counts.year = invited.year
            and respondent_counts.company_id = invited.company_id

),

decided as (

    select
        *,
        {{ suppression_reason(n_respondents='n_respondents') }} as suppression_reason
    from joined

),

final as (

    select
        cast(year as integer) as year,
        cast(company_id as varchar) as company_id,
        cast(invited as integer) as invited,
        cast({{ disclosed('n_respondents') }} as integer) as n_respondents,
        cast({{ disclosed('100.0 * n_respondents / nullif(invited, 0)') }} as double) as response_rate,
        suppression_reason is not null as suppressed,
        cast(suppression_reason as varchar) as suppression_reason
    from decided
    order by year, company_id

)

select * from final
