"""The yearly release asset: publishes a checked year to releases/<year>/ (see orchestration/release.py)."""

import dagster as dg
from dagster._core.events import DagsterEventType
from dagster_dbt import get_asset_key_for_model

from orchestration.assets.dbt import medarbeiderindeks_dbt, published_mart_names
from orchestration.partitions import survey_years
from orchestration.release import write_release
from orchestration.resources import DisclosureThresholds, WarehousePaths
from orchestration.settings import DEMO_PSEUDONYM_KEY


def gating_checks(context: dg.AssetExecutionContext) -> list[dict]:
    """Every asset check evaluated in this run (dbt tests and Great Expectations suites), for the manifest."""
    records = context.instance.get_records_for_run(
        run_id=context.run.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    evaluations = [r.event_log_entry.dagster_event.event_specific_data for r in records]
    return sorted(
        ({"asset": e.asset_key.to_user_string(), "check": e.check_name, "passed": bool(e.passed)} for e in evaluations),
        key=lambda c: (c["asset"], c["check"]),
    )


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
    checks = gating_checks(context)
    if not checks:
        raise dg.Failure("No checks ran in this run: launch the release with the yearly_index_release job.")
    if failed := [c for c in checks if not c["passed"]]:
        raise dg.Failure("Checks failed, nothing published.", metadata={"failed_checks": dg.MetadataValue.json(failed)})
    release = write_release(
        warehouse_path=paths.warehouse_path,
        releases_dir=paths.releases_dir,
        year=int(context.partition_key),
        thresholds=disclosure.as_dict(),
        checks=checks,
        run_id=context.run.run_id,
        demo=paths.demo,
    )
    return dg.MaterializeResult(
        metadata={
            "release_id": release.release_id,
            "path": dg.MetadataValue.path(str(release.path)),
            "database": dg.MetadataValue.path(str(release.path / f"medarbeiderindeks_{release.year}.duckdb")),
            "packages": dg.MetadataValue.json(sorted(release.manifest["packages"])),
            "checks_passed": len(checks),
        }
    )
