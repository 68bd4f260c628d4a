"""The yearly release asset: stages a checked year's audience packages, audits them, and publishes them to
releases/<year>/ (see orchestration/release.py and orchestration/packages.py)."""

from collections.abc import Iterator

import dagster as dg
from dagster_dbt import get_asset_key_for_model

from orchestration.assets.dbt import medarbeiderindeks_dbt, published_mart_names
from orchestration.checks.disclosure_audit import audit_staged_release
from orchestration.gate import gate_release
from orchestration.ingest import PseudonymKeyRefused, usable_pseudonym_key
from orchestration.partitions import survey_years
from orchestration.release import discard_staged, publish_release, stage_release
from orchestration.resources import DisclosureThresholds, WarehousePaths


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
    # Every required check of this run passed, on marts built with this run's thresholds (orchestration/gate.py).
    gate = gate_release(context, paths.warehouse_path, disclosure.as_dict())
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
        thresholds=gate.built_thresholds,
        checks=gate.checks,
        audit=audit.summary(),
        evidence=gate.evidence,
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
            "checks_passed": len(gate.checks),
        }
    )
