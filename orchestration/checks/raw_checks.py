"""Blocking Great Expectations checks on the raw tables of one survey year, before dbt reads them."""

from pathlib import Path

import dagster as dg
import duckdb

from orchestration.checks.gx_runner import to_check_result, validate_frame
from orchestration.partitions import survey_years
from orchestration.resources import WarehousePaths


def _fetch(paths: WarehousePaths, sql: str, year: int):
    with duckdb.connect(paths.warehouse_path, read_only=True) as con:
        return con.execute(sql, [year]).to_arrow_table().to_pandas()


@dg.asset_check(
    asset="raw_answers",
    blocking=True,
    partitions_def=survey_years,
    description="Answers within their item's scale (suite raw_answers).",
)
def raw_answers_valid(context: dg.AssetCheckExecutionContext, paths: WarehousePaths) -> dg.AssetCheckResult:
    items_csv = str(Path(paths.seeds_dir) / "items.csv")
    frame = _fetch(
        paths,
        f"""
        select a.year, a.respondent_id, a.company_id, a.item_id, a.answer_value, a.is_dont_know, a.file_name,
               a.source_column, i.scale_min, i.scale_max
        from raw.answers as a
        left join read_csv('{items_csv}', header = true) as i using (item_id)
        where a.year = ?
        """,
        int(context.partition_key),
    )
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
    description="Respondent ids unique per company and year.",
)
def raw_respondents_valid(context: dg.AssetCheckExecutionContext, paths: WarehousePaths) -> dg.AssetCheckResult:
    frame = _fetch(paths, "select * from raw.respondents where year = ?", int(context.partition_key))
    return to_check_result(validate_frame(frame, "raw_respondents", id_columns=["file_name", "company_id"]))
