"""Shared fixtures. The Dagster harness imports the definitions lazily: they need dbt's manifest, which
`make test` builds before pytest runs, and tests that do not use the harness must not depend on it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest
from hypothesis import settings
from playwright.sync_api import Browser, sync_playwright

from orchestration.resources import WarehousePaths
from orchestration.settings import SEEDS_DIR

# Hypothesis profiles: property tests whose examples are dbt builds run "ci" by default (a capped count of random
# examples); HYPOTHESIS_PROFILE=thorough runs many more. Health checks stay on in both.
settings.register_profile("ci", max_examples=8)
settings.register_profile("thorough", max_examples=100)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@dataclass
class Harness:
    paths: WarehousePaths
    instance: dg.DagsterInstance

    def release(
        self, year: int, reports: bool = False, rebuild_all_years: bool = False, **thresholds: float
    ) -> dg.ExecuteInProcessResult:
        """The yearly release job for ``year``; without the reports unless asked (tests/test_reports.py covers
        them, and printing PDFs costs a browser per report). ``rebuild_all_years``: the dbt build rebuilds every
        loaded year (--full-refresh), as `make release REBUILD=1`."""
        self.instance.add_dynamic_partitions("survey_year", [str(year)])
        from orchestration.definitions import build_definitions

        definitions = build_definitions(self.paths)
        job = definitions.get_job_def("yearly_index_release")
        selection = (
            None if reports else [k for k in job.asset_layer.executable_asset_keys if k.path != ["release_reports"]]
        )
        run_config: dict = {"resources": {"disclosure": {"config": thresholds}}} if thresholds else {}
        if rebuild_all_years:
            run_config["ops"] = {"medarbeiderindeks_dbt": {"config": {"rebuild_all_years": True}}}
        return job.execute_in_process(
            partition_key=str(year),
            instance=self.instance,
            run_config=run_config or None,
            raise_on_error=False,
            asset_selection=selection,
        )

    def release_dir(self, year: int) -> Path:
        return Path(self.paths.releases_dir) / str(year)


def paths_under(root: Path, **settings) -> WarehousePaths:
    """A test's landing folder, warehouse and releases under ``root`` (the test pseudonym key unless ``settings``
    say otherwise)."""
    return WarehousePaths(
        landing_dir=str(root / "landing"),
        warehouse_path=str(root / "warehouse.duckdb"),
        releases_dir=str(root / "releases"),
        seeds_dir=str(SEEDS_DIR),
        **{"pseudonym_key": "test-key", **settings},
    )


@pytest.fixture
def harness(tmp_path: Path) -> Harness:
    with dg.DagsterInstance.ephemeral() as instance:
        yield Harness(paths_under(tmp_path), instance)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's headless Chromium under Playwright (Playwright's own browser download does not work here)."""
    chromium = shutil.which("chromium")
    assert chromium, "no chromium on PATH: run `make browser`"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield browser
        browser.close()
