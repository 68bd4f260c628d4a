"""Blocking Great Expectations checks on the raw tables of one survey year, before dbt reads them.

They check what the tables' DDL cannot: that the year has rows at all, that respondents belong to companies invited
that year, that answers belong to known respondents and to items asked that year, and answers within their scale.
"""

from pathlib import Path

import dagster as dg

from orchestration.checks.gx_runner import (
    fetch_frame,
    missing_suite_result,
    suite_path,
    to_check_result,
    validate_frame,
)
from orchestration.partitions import survey_years
from orchestration.resources import WarehousePaths


def _sql_string(value: object) -> str:
    """A seed path as a SQL string literal (read_csv takes no bound parameter for its file)."""
    return "'" + str(value).replace("'", "''") + "'"


# Both queries count the rows that share every value a suite judges (`rows_alike`, the suites' `count_column`): the
# frames stay as small as files x items x values however many respondents answered, and GX still judges every
# distinct case. A respondent is never a row of them.
RAW_ANSWERS_SQL = """
with repeated_pair_hashes as (
    -- one 64-bit hash per answer is cheaper to group than two strings; the pairs behind a repeated hash are then
    -- counted exactly (a hash collision costs a second look, never a missed repeat)
    select hash(respondent_id, item_id) as pair_hash
    from raw.answers
    where year = $1
    group by pair_hash
    having count(*) > 1
),

answered_more_than_once as (
    select respondent_id, item_id, count(*) as times_answered
    from raw.answers
    where year = $1 and hash(respondent_id, item_id) in (select pair_hash from repeated_pair_hashes)
    group by respondent_id, item_id
    having count(*) > 1
)

select a.year, a.company_id, a.item_id, a.answer_value, a.is_dont_know, a.file_name, a.source_column,
       i.scale_min, i.scale_max,
       coalesce(i.first_year <= a.year and a.year <= coalesce(i.last_year, a.year), false) as asked_that_year,
       r.respondent_id is not null as respondent_known,
       coalesce(m.times_answered, 1) as times_answered,
       count(*) as rows_alike
from raw.answers as a
left join read_csv(
    {items_csv}, header = true, types = {{'first_year': 'INTEGER', 'last_year': 'INTEGER'}}
) as i using (item_id)
left join raw.respondents as r
    on a.year = r.year and a.respondent_id = r.respondent_id and a.company_id = r.company_id
left join answered_more_than_once as m
    on a.respondent_id = m.respondent_id and a.item_id = m.item_id
where a.year = $1
group by all
order by all
"""

RAW_RESPONDENTS_SQL = """
with answers_per_respondent as (
    select respondent_id, count(*) as n_answers
    from raw.answers
    where year = $1
    group by respondent_id
)

select r.year, r.company_id, r.file_name, h.invited, coalesce(a.n_answers, 0) as n_answers, count(*) as rows_alike
from raw.respondents as r
left join read_csv(
    {headcount_csv}, header = true, types = {{'year': 'INTEGER', 'company_id': 'VARCHAR'}}
) as h
    on r.year = h.year and r.company_id = h.company_id
left join answers_per_respondent as a using (respondent_id)
where r.year = $1
group by all
order by all
"""


@dg.asset_check(
    asset="raw_answers",
    blocking=True,
    partitions_def=survey_years,
    description="The year has answers; each belongs to a known respondent and an item asked that year, within the "
    "item's scale (suite raw_answers).",
)
def raw_answers_valid(context: dg.AssetCheckExecutionContext, paths: WarehousePaths) -> dg.AssetCheckResult:
    if not suite_path("raw_answers").is_file():
        return missing_suite_result("raw_answers")
    items_csv = _sql_string(Path(paths.seeds_dir) / "items.csv")
    frame = fetch_frame(paths.warehouse_path, RAW_ANSWERS_SQL.format(items_csv=items_csv), int(context.partition_key))
    # Failing rows are named by file, company, item and column: never by respondent or answer text.
    outcome = validate_frame(
        frame,
        "raw_answers",
        id_columns=["file_name", "company_id", "item_id", "source_column", "answer_value"],
    )
    return to_check_result(outcome)


@dg.asset_check(
    asset="raw_respondents",
    blocking=True,
    partitions_def=survey_years,
    description="The year has respondents; each belongs to a company invited that year and answered something "
    "(suite raw_respondents).",
)
def raw_respondents_valid(context: dg.AssetCheckExecutionContext, paths: WarehousePaths) -> dg.AssetCheckResult:
    if not suite_path("raw_respondents").is_file():
        return missing_suite_result("raw_respondents")
    headcount_csv = _sql_string(Path(paths.seeds_dir) / "invited_headcount.csv")
    frame = fetch_frame(
        paths.warehouse_path, RAW_RESPONDENTS_SQL.format(headcount_csv=headcount_csv), int(context.partition_key)
    )
    return to_check_result(validate_frame(frame, "raw_respondents", id_columns=["file_name", "company_id"]))
