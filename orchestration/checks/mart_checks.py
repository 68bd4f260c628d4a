"""Blocking Great Expectations checks on the published marts, run on exactly the year about to be released.

One check per published mart, with the suite `expectations/published_<mart>.json`: a mart without its suite file
fails its check (naming the file), so deleting a suite blocks the release instead of removing its gate. Thresholds
come from the run's DisclosureThresholds (held to their floors), so the check proves the rules the release was built
with.
"""

import json

import dagster as dg
from dagster_dbt import get_asset_key_for_model

from orchestration.assets.dbt import dbt_project, medarbeiderindeks_dbt
from orchestration.checks.gx_runner import (
    fetch_frame,
    missing_suite_result,
    suite_path,
    to_check_result,
    validate_frame,
)
from orchestration.gate import is_published_mart
from orchestration.partitions import survey_years
from orchestration.resources import DisclosureThresholds, WarehousePaths

# Columns that name a published cell in a failing check's metadata.
_CELL_COLUMNS = [
    "company_id",
    "benchmark_scope",
    "benchmark_id",
    "measure_type",
    "measure_id",
    "breakdown",
    "subgroup",
    "scope",
    "scope_id",
    "item_id",
    "n_respondents",
]


def _published_tables() -> dict[str, str]:
    """Each mart's table in schema published: its dbt alias (participating_companies is published as companies)."""
    manifest = json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))
    return {node["name"]: node["alias"] for node in manifest["nodes"].values() if is_published_mart(node)}


def _mart_check(mart: str, table: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=get_asset_key_for_model([medarbeiderindeks_dbt], mart),
        name=f"{mart}_publishable",
        partitions_def=survey_years,
        blocking=True,
        description=f"Disclosure and range rules on {mart} (suite published_{mart}).",
    )
    def _check(
        context: dg.AssetCheckExecutionContext, paths: WarehousePaths, disclosure: DisclosureThresholds
    ) -> dg.AssetCheckResult:
        suite = f"published_{mart}"
        if not suite_path(suite).is_file():
            return missing_suite_result(suite)
        frame = fetch_frame(
            paths.warehouse_path, f"select * from published.{table} where year = ?", int(context.partition_key)
        )
        id_columns = [c for c in _CELL_COLUMNS if c in frame.columns]
        outcome = validate_frame(frame, suite, disclosure.check_parameters(), id_columns=id_columns)
        return to_check_result(outcome, **disclosure.as_dict())

    return _check


mart_checks = [_mart_check(mart, table) for mart, table in sorted(_published_tables().items())]
