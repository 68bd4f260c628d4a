"""Blocking Great Expectations checks on the published marts, run on exactly the year about to be released.

One check per mart that has a suite `expectations/published_<mart>.json`; thresholds come from the run's
DisclosureThresholds, so the check proves the rules the release was built with.
"""

import dagster as dg
import duckdb
from dagster_dbt import get_asset_key_for_model

from orchestration.assets.dbt import medarbeiderindeks_dbt, published_mart_names
from orchestration.checks.gx_runner import to_check_result, validate_frame
from orchestration.partitions import survey_years
from orchestration.resources import DisclosureThresholds, WarehousePaths
from orchestration.settings import EXPECTATIONS_DIR

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


def _mart_check(mart: str) -> dg.AssetChecksDefinition:
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
        with duckdb.connect(paths.warehouse_path, read_only=True) as con:
            frame = (
                con.execute(f"select * from published.{mart} where year = ?", [int(context.partition_key)])
                .to_arrow_table()
                .to_pandas()
            )
        id_columns = [c for c in _CELL_COLUMNS if c in frame.columns]
        outcome = validate_frame(frame, f"published_{mart}", disclosure.check_parameters(), id_columns=id_columns)
        return to_check_result(outcome, **disclosure.as_dict())

    return _check


mart_checks = [
    _mart_check(mart) for mart in published_mart_names() if (EXPECTATIONS_DIR / f"published_{mart}.json").exists()
]
