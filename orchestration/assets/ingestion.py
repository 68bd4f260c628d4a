"""Raw survey exports of one year → the warehouse's raw tables (orchestration/ingest does the work)."""

from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import dagster as dg

from orchestration.ingest import PseudonymKeyRefused, Reference, sync_year
from orchestration.partitions import survey_years
from orchestration.resources import WarehousePaths


@dg.multi_asset(
    specs=[
        dg.AssetSpec("raw_survey_exports", description="One row per loaded export file of the year's landing folder."),
        dg.AssetSpec("raw_respondents", description="One row per respondent (pseudonymised id, company, groups)."),
        dg.AssetSpec("raw_answers", description="One row per respondent × item answered or marked don't-know."),
    ],
    check_specs=[
        dg.AssetCheckSpec(
            "all_exports_loaded",
            asset="raw_survey_exports",
            blocking=True,
            description="Every export in the landing folder loaded; a rejected file blocks the year's release.",
        )
    ],
    partitions_def=survey_years,
    group_name="raw",
    can_subset=False,
)
def raw_survey_tables(context: dg.AssetExecutionContext, paths: WarehousePaths) -> Iterator[object]:
    year = int(context.partition_key)
    try:
        report = sync_year(
            warehouse_path=Path(paths.warehouse_path),
            year_dir=paths.year_dir(year),
            year=year,
            reference=Reference.from_seeds(Path(paths.seeds_dir)),
            pseudonym_key=paths.pseudonym_key.encode("utf-8"),
            demo=paths.demo,
        )
    except PseudonymKeyRefused as e:
        raise dg.Failure(f"Nothing ingested for {year}: {e}") from e
    context.log.info(report.summary())
    for error in report.errors():
        context.log.error(error)
    files = dg.MetadataValue.json([asdict(f) for f in report.files])
    yield dg.MaterializeResult(
        asset_key="raw_survey_exports", metadata={"summary": dg.MetadataValue.md(report.summary()), "files": files}
    )
    yield dg.MaterializeResult(asset_key="raw_respondents", metadata={"respondents": report.n_respondents})
    yield dg.MaterializeResult(asset_key="raw_answers", metadata={"answers": report.n_answers})
    yield dg.AssetCheckResult(
        asset_key="raw_survey_exports",
        check_name="all_exports_loaded",
        passed=not report.errors(),
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "rejected": dg.MetadataValue.json(report.errors()),
            "quarantined": dg.MetadataValue.json([f.quarantined for f in report.failed if f.quarantined]),
            "files": files,
        },
    )
