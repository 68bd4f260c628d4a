"""The reports of a yearly release: built from its audience packages, after the release is published."""

from pathlib import Path

import dagster as dg

from orchestration.partitions import survey_years
from orchestration.reports import build_reports
from orchestration.resources import WarehousePaths


@dg.asset(
    partitions_def=survey_years,
    deps=[dg.AssetKey("published_release")],
    group_name="release",
    kinds={"html", "pdf"},
    description="The year's reports, read only from the release's packages: the national report and one report per "
    "company, in Norwegian and English, HTML (offline) and PDF, with `releases/<year>/reports/index.html`.",
)
def release_reports(context: dg.AssetExecutionContext, paths: WarehousePaths) -> dg.MaterializeResult:
    release_dir = Path(paths.releases_dir) / context.partition_key
    written = build_reports(release_dir)
    return dg.MaterializeResult(
        metadata={
            "index": dg.MetadataValue.path(str(written[0])),
            "html": sum(1 for p in written if p.suffix == ".html"),
            "pdf": sum(1 for p in written if p.suffix == ".pdf"),
        }
    )
