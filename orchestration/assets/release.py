"""The yearly release asset: stages a checked year's audience packages, audits them, and publishes them to
releases/<year>/ (see orchestration/release.py and orchestration/packages.py)."""

from collections.abc import Iterator

import dagster as dg
from dagster._core.events import DagsterEventType
from dagster_dbt import get_asset_key_for_model

from orchestration.assets.dbt import medarbeiderindeks_dbt, published_mart_names
from orchestration.checks.disclosure_audit import audit_staged_release
from orchestration.ingest import PseudonymKeyRefused, usable_pseudonym_key
from orchestration.partitions import survey_years
from orchestration.release import discard_staged, publish_release, stage_release
from orchestration.resources import DisclosureThresholds, WarehousePaths


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
    check_specs=[
        dg.AssetCheckSpec(
            "disclosure_audit",
            asset="published_release",
            blocking=True,
            description="An attacker in the gate: every audience package's published relations (counts, sums, sums of "
            "squares, shares, answer counts, benchmark = sum of companies) are searched by linear programming for any "
            "protected value they pin down narrower than the protection margin. Runs on the staged packages; a "
            "finding withholds the whole release.",
        )
    ],
    description="The yearly release: one package per audience (`public/`, `companies/<company_id>/`, `internal/`), "
    "each a standalone DuckDB file (schema published), Parquet, CSV and manifest.json; staged aside, audited, and "
    "swapped into `releases/<year>/` atomically.",
)
def published_release(
    context: dg.AssetExecutionContext, paths: WarehousePaths, disclosure: DisclosureThresholds
) -> Iterator[dg.AssetCheckResult | dg.MaterializeResult]:
    try:
        usable_pseudonym_key(paths.pseudonym_key, demo=paths.demo)
    except PseudonymKeyRefused as e:
        raise dg.Failure(f"Nothing published: {e}") from e
    checks = gating_checks(context)
    if not checks:
        raise dg.Failure("No checks ran in this run: launch the release with the yearly_index_release job.")
    if failed := [c for c in checks if not c["passed"]]:
        raise dg.Failure("Checks failed, nothing published.", metadata={"failed_checks": dg.MetadataValue.json(failed)})
    year = int(context.partition_key)
    staged = stage_release(
        warehouse_path=paths.warehouse_path, releases_dir=paths.releases_dir, year=year, run_id=context.run.run_id
    )
    audit = audit_staged_release(staged, paths.warehouse_path, disclosure.check_parameters())
    yield dg.AssetCheckResult(
        check_name="disclosure_audit",
        passed=audit.passed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=audit.describe(),
        metadata=audit.metadata(),
    )
    if not audit.passed:
        discard_staged(staged)
        raise dg.Failure(f"Disclosure audit failed, nothing published: {audit.describe()}", metadata=audit.metadata())
    release = publish_release(
        staged,
        thresholds=disclosure.as_dict(),
        checks=checks,
        audit=audit.summary(),
        run_id=context.run.run_id,
        demo=paths.demo,
    )
    yield dg.MaterializeResult(
        metadata={
            "release_id": release.release_id,
            "path": dg.MetadataValue.path(str(release.path)),
            "packages": dg.MetadataValue.json(sorted(release.manifest["packages"])),
            "rows": dg.MetadataValue.json(
                {t: v["rows"] for t, v in release.manifest["packages"]["internal"]["tables"].items()}
            ),
            "checks_passed": len(checks),
        }
    )
