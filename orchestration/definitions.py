"""The Dagster definitions: this module only assembles."""

import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.assets.dbt import dbt_project, medarbeiderindeks_dbt
from orchestration.assets.ingestion import raw_survey_tables
from orchestration.assets.release import published_release
from orchestration.assets.reports import release_reports
from orchestration.checks.mart_checks import mart_checks
from orchestration.checks.raw_checks import raw_answers_valid, raw_respondents_valid
from orchestration.jobs import load_raw_exports, yearly_index_release
from orchestration.resources import DisclosureThresholds, WarehousePaths
from orchestration.sensors import landing_folder_sensor
from orchestration.settings import (
    DEMO_PSEUDONYM_KEY,
    PSEUDONYM_KEY_VARIABLE,
    SEEDS_DIR,
    configured_demo,
    configured_path,
    pseudonym_key_is_set,
)


def configured_paths() -> WarehousePaths:
    """The deployment's paths, from MEDARBEIDERINDEKS_* or the repository-relative defaults."""
    return WarehousePaths(
        landing_dir=configured_path("MEDARBEIDERINDEKS_LANDING"),
        warehouse_path=configured_path("MEDARBEIDERINDEKS_WAREHOUSE"),
        releases_dir=configured_path("MEDARBEIDERINDEKS_RELEASES"),
        seeds_dir=str(SEEDS_DIR),
        # A deployment's key goes in by reference: the launchpad and the stored run config show the variable's
        # name, never the key (the demo key is public).
        pseudonym_key=dg.EnvVar(PSEUDONYM_KEY_VARIABLE) if pseudonym_key_is_set() else DEMO_PSEUDONYM_KEY,
        demo=configured_demo(),
    )


def build_definitions(paths: WarehousePaths) -> dg.Definitions:
    return dg.Definitions(
        assets=[raw_survey_tables, medarbeiderindeks_dbt, published_release, release_reports],
        asset_checks=[raw_answers_valid, raw_respondents_valid, *mart_checks],
        jobs=[yearly_index_release, load_raw_exports],
        sensors=[landing_folder_sensor],
        resources={
            "paths": paths,
            # Configured at launch, so the launchpad shows the thresholds with their defaults.
            "disclosure": DisclosureThresholds.configure_at_launch(),
            # dbt from this environment, whether or not the environment is on PATH.
            "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=str(Path(sys.executable).parent / "dbt")),
        },
        # DuckDB takes one writer at a time: the steps of a run go one after another.
        executor=dg.in_process_executor,
    )


defs = build_definitions(configured_paths())
