"""dbt enters Dagster here: one DbtProject, one @dbt_assets that streams `dbt build` (dbt tests become checks)."""

import json
from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

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
) -> Iterator[Any]:
    # The models compute every year at once (year-over-year needs the previous year); the partition says which
    # year's release this run serves.
    with paths.dbt_environment():
        yield from dbt.cli(dbt_build_args(disclosure.as_dict()), context=context).stream()
