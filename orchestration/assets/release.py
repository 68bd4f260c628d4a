"""The yearly release asset: publishes a checked year to releases/<year>/ (see orchestration/release.py)."""

import dagster as dg
from dagster_dbt import get_asset_key_for_model

from orchestration.assets.dbt import medarbeiderindeks_dbt, published_mart_names
from orchestration.gate import gate_release
from orchestration.partitions import survey_years
from orchestration.release import write_release
from orchestration.resources import DisclosureThresholds, WarehousePaths
from orchestration.settings import DEMO_PSEUDONYM_KEY


@dg.asset(
    partitions_def=survey_years,
    deps=[get_asset_key_for_model([medarbeiderindeks_dbt], mart) for mart in published_mart_names()],
    group_name="release",
    kinds={"duckdb", "parquet"},
    description="The yearly release: standalone DuckDB file (schema published), Parquet, CSV and manifest.json, "
    "written aside and swapped into `releases/<year>/` atomically.",
)
def published_release(
    context: dg.AssetExecutionContext, paths: WarehousePaths, disclosure: DisclosureThresholds
) -> dg.MaterializeResult:
    if paths.pseudonym_key == DEMO_PSEUDONYM_KEY and not paths.demo:
        raise dg.Failure(
            "Refusing to publish with the public demo pseudonym key: set MEDARBEIDERINDEKS_PSEUDONYM_KEY, "
            "or MEDARBEIDERINDEKS_DEMO=1 if this really is demo data."
        )
    # Every required check of this run passed, on marts built with this run's thresholds (orchestration/gate.py).
    gate = gate_release(context, paths.warehouse_path, disclosure.as_dict())
    checks = gate.checks
    release = write_release(
        warehouse_path=paths.warehouse_path,
        releases_dir=paths.releases_dir,
        year=int(context.partition_key),
        thresholds=gate.built_thresholds,
        checks=checks,
        run_id=context.run.run_id,
        demo=paths.demo,
        evidence=gate.evidence,
    )
    return dg.MaterializeResult(
        metadata={
            "release_id": release.release_id,
            "path": dg.MetadataValue.path(str(release.path)),
            "database": dg.MetadataValue.path(str(release.path / f"medarbeiderindeks_{release.year}.duckdb")),
            "rows": dg.MetadataValue.json({t: v["rows"] for t, v in release.manifest["tables"].items()}),
            "checks_passed": len(checks),
        }
    )
