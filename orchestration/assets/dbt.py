"""dbt enters Dagster here: one DbtProject, one @dbt_assets that streams `dbt build` (dbt tests become checks)."""

import json
from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets
from pydantic import Field

from orchestration.build_years import record_built_years, write_build_years
from orchestration.dbt_invocation import dbt_build_args
from orchestration.gate import is_published_mart
from orchestration.partitions import survey_years
from orchestration.resources import DisclosureThresholds, WarehousePaths
from orchestration.settings import DBT_PROJECT_DIR

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()


class MedarbeiderindeksTranslator(DagsterDbtTranslator):
    """Groups follow the dbt layers: seeds → reference, models → their folder (staging, intermediate, marts)."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "dbt"


def published_mart_names() -> list[str]:
    """The models of the marts folder: the tables a release publishes."""
    manifest = json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))
    return sorted(node["name"] for node in manifest["nodes"].values() if is_published_mart(node))


class DbtBuildConfig(dg.Config):
    """How the release's dbt build treats the years it does not release."""

    rebuild_all_years: bool = Field(
        default=False,
        description="Rebuild every loaded year (dbt --full-refresh), e.g. after a change of methodology. Otherwise "
        "the build computes the partition's year (and any loaded year never built) and keeps the other years' "
        "stored rows.",
    )


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    partitions_def=survey_years,
    dagster_dbt_translator=MedarbeiderindeksTranslator(),
)
def medarbeiderindeks_dbt(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    paths: WarehousePaths,
    disclosure: DisclosureThresholds,
    config: DbtBuildConfig,
) -> Iterator[Any]:
    # A year at a time: the models compute the years written to control.build_years (the partition's year, and any
    # loaded year never built; every loaded year on a rebuild) and keep the other years' stored rows; year-over-year
    # figures read the previous year's stored rows (orchestration/build_years.py).
    years = write_build_years(paths.warehouse_path, context.partition_key, rebuild_all=config.rebuild_all_years)
    context.log.info(
        f"dbt builds survey years {', '.join(map(str, years))}"
        + (" (every loaded year: --full-refresh)" if config.rebuild_all_years else "")
    )
    args = dbt_build_args(disclosure.as_dict(), full_refresh=config.rebuild_all_years)
    with paths.dbt_environment():
        yield from dbt.cli(args, context=context).stream()
    # Reached only when dbt succeeded (a failed build raises): the years are stored.
    record_built_years(paths.warehouse_path, years, run_id=context.run.run_id)
