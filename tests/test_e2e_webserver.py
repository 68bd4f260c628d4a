"""End to end through the UI as a person uses it: start it (`make ui`: `dg dev` with its daemon and the landing
sensor), open it in headless Chromium, go to Jobs → yearly_index_release → Materialize all…, pick the survey year,
launch one run, watch the run page until it ends, and read the release folder. One UI serves two years: 2024 (nine
companies) releases; 2023 (three companies) is refused by a blocking check, which the run page names, and nothing
is published. The UI always stops, with its whole process group.

Set UPDATE_DOCS_SCREENSHOTS=1 to rewrite docs/ui-launch.png (the README's picture of the launch dialog)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from orchestration.settings import REPO_ROOT
from tests.survey_fixtures import NINE_COMPANIES, small_survey, write_landing

pytestmark = pytest.mark.e2e
RELEASED_YEAR = 2024  # nine companies: every check passes
REFUSED_YEAR = 2023
# Three companies: any two colluding participants know all but one company of a benchmark, so the benchmarks'
# suite refuses the year.
THREE_COMPANIES = {"nordlys_bank": 8, "fjelltele": 7, "nordreiser": 6}
REFUSING_ASSET, REFUSING_CHECK = "published/benchmarks", "benchmarks_publishable"
# Queued behind the sensor's loads and the other year's release on a shared 2-core machine.
RUN_TIMEOUT_S = 1800

_GRAPH_QUERY = """
{
  workspaceOrError {
    ... on Workspace {
      locationEntries {
        name
        locationOrLoadError { __typename ... on PythonError { message } }
      }
    }
  }
  assetNodes {
    assetKey { path }
    groupName
    assetChecksOrError { ... on AssetChecks { checks { name blocking } } }
  }
}
"""


@dataclass
class UI:
    """The running `make ui` and the folders it was started with."""

    url: str
    home: Path
    releases: Path
    log: Path
    graph: dict


@dataclass
class Session:
    """One browser tab on the UI, with every console error it logged."""

    page: Page
    shots: Path
    console_errors: list[str] = field(default_factory=list)

    def shot(self, name: str) -> Path:
        path = self.shots / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"`make ui` exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise TimeoutError(f"the UI is not serving on port {port} after {timeout}s")


def _stop_group(process: subprocess.Popen) -> None:
    """`dg dev` ignores SIGTERM for a long while: end the whole group, then make sure nothing is left."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            continue
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, signal.SIGKILL)  # code server and daemon outlive `make` for a moment
        except ProcessLookupError:
            return
        time.sleep(0.5)
    raise AssertionError("processes of the UI's group are still alive")


def _graph(port: int) -> dict:
    """The workspace, asset graph and asset checks as the UI reads them; waits while the code location loads."""
    deadline = time.monotonic() + 120
    while True:
        data = requests.post(f"http://127.0.0.1:{port}/graphql", json={"query": _GRAPH_QUERY}, timeout=60).json()[
            "data"
        ]
        locations = data["workspaceOrError"]["locationEntries"]
        if all(entry["locationOrLoadError"] for entry in locations) or time.monotonic() > deadline:
            return data
        time.sleep(2)


def _sensor_load_runs(home: Path, years: set[str], timeout: float) -> list[dg.RunRecord]:
    """The landing sensor's loads of the years (it needs two ticks 30 s apart), once they have ended."""
    finished = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}
    deadline = time.monotonic() + timeout
    with dg.DagsterInstance.from_config(str(home)) as instance:
        while time.monotonic() < deadline:
            records = instance.get_run_records(dg.RunsFilter(job_name="load_raw_exports"))
            loaded = {r.dagster_run.tags.get("dagster/partition") for r in records}
            if loaded >= years and all(r.dagster_run.status in finished for r in records):
                return records
            time.sleep(2)
    raise TimeoutError(f"no finished load_raw_exports runs of {sorted(years)} after {timeout}s")


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UI]:
    """`make ui` once for the module (it takes minutes to serve on a busy machine), on two landed years."""
    root = tmp_path_factory.mktemp("ui")
    home = root / "dagster_home"
    home.mkdir()
    shutil.copy(REPO_ROOT / ".dagster" / "dagster.yaml", home / "dagster.yaml")
    with open(home / "dagster.yaml", "a") as config:  # the code server's start outlasts Dagster's 180 s when busy
        config.write("code_servers:\n  local_startup_timeout: 900\n")
    write_landing(root / "landing", RELEASED_YEAR, small_survey(RELEASED_YEAR, NINE_COMPANIES, 3))
    write_landing(root / "landing", REFUSED_YEAR, small_survey(REFUSED_YEAR, THREE_COMPANIES, 3))
    port = _free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "MEDARBEIDERINDEKS_LANDING": str(root / "landing"),
        "MEDARBEIDERINDEKS_WAREHOUSE": str(root / "warehouse.duckdb"),
        "MEDARBEIDERINDEKS_RELEASES": str(root / "releases"),
        "MEDARBEIDERINDEKS_PSEUDONYM_KEY": "e2e-test-key",
    }
    with open(root / "ui.log", "wb") as log:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "ui", f"PORT={port}"],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so the whole group can be ended
        )
        try:
            _wait_for_port(port, process, timeout=900)
            yield UI(f"http://127.0.0.1:{port}", home, root / "releases", root / "ui.log", _graph(port))
        finally:
            _stop_group(process)


@pytest.fixture
def session(ui: UI, browser: Browser, tmp_path: Path) -> Iterator[Session]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    # The UI answers slowly while a run builds dbt on the same two cores: clicks and expectations wait up to 2 min.
    page.set_default_timeout(120_000)
    expect.set_options(timeout=120_000)
    session = Session(page, tmp_path)
    page.on("console", lambda message: message.type == "error" and session.console_errors.append(message.text))
    # A fresh instance's first visit opens "Join the Dagster community"; a person skips it.
    page.add_locator_handler(page.get_by_role("button", name="Skip"), lambda skip: skip.click())
    page.goto(ui.url)
    yield session
    context.close()


def _launch_release_from_the_ui(session: Session, year: int) -> str:
    """Jobs → yearly_index_release → Materialize all…, pick the survey year, Launch 1 run, then the run's page
    (Runs → the id the note "Launched run …" gave). Returns the run id."""
    page = session.page
    page.get_by_role("navigation").get_by_role("link", name="Jobs").click()
    page.get_by_role("link", name="yearly_index_release").click()
    page.get_by_role("button", name="Materialize all…").click()
    dialog = page.get_by_role("dialog").filter(has_text="Launch runs to materialize")
    dialog.get_by_text("Select a partition or create one").click()
    page.get_by_role("menuitem", name=f"{year} {year}").click()  # the partition picker's entry of the year
    dialog.get_by_text("Launch runs to materialize").click()  # closes the picker, keeps the dialog
    expect(dialog.get_by_text("1 partition", exact=True)).to_be_visible()
    session.shot(f"launch-{year}")
    dialog.get_by_role("button", name="Launch 1 run").click()
    toast = page.get_by_text(re.compile(r"^Launched run [0-9a-f]{8}$"))
    expect(toast).to_be_visible()
    short_id = toast.inner_text().split()[-1]
    # The note's own View button is gone after a few seconds; the Runs page lists the run by the same short id.
    page.get_by_role("navigation").get_by_role("link", name="Runs").click()
    page.locator(f'a[href^="/runs/{short_id}"]').first.click()  # the id column's link to the run
    run_url = re.compile(rf"/runs/({short_id}[0-9a-f-]{{28}})")
    expect(page).to_have_url(run_url)
    return run_url.search(page.url).group(1)


def _run_status_in_the_ui(session: Session, run_id: str) -> str:
    """The run page's status once the run has ended; the page updates itself while the run goes on."""
    header = session.page.get_by_text(run_id[:8], exact=True).locator("xpath=../..")  # "Runs / <id>" and the status
    ended = header.get_by_text(re.compile(r"^(Success|Failure|Canceled)$"))
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while not ended.is_visible():
        if time.monotonic() > deadline:
            raise TimeoutError(f"run {run_id} still '{header.inner_text()}' after {RUN_TIMEOUT_S}s")
        session.page.wait_for_timeout(5000)
    return ended.inner_text()


def test_release_launched_from_the_ui(ui: UI, session: Session) -> None:
    (location,) = ui.graph["workspaceOrError"]["locationEntries"]
    assert location["locationOrLoadError"]["__typename"] == "RepositoryLocation", location
    assets = {"/".join(node["assetKey"]["path"]): node for node in ui.graph["assetNodes"]}
    assert {"raw_survey_exports", "raw_answers", "published_release"} <= set(assets)
    assert assets["staging/stg_survey__answers"]["groupName"] == "staging"
    assert assets["published/company_scores"]["groupName"] == "marts"
    checks = {
        (key, check["name"]): check["blocking"]
        for key, node in assets.items()
        for check in (node["assetChecksOrError"] or {}).get("checks", [])
    }
    assert checks[("raw_answers", "raw_answers_valid")] is True
    assert checks[(REFUSING_ASSET, REFUSING_CHECK)] is True
    assert checks[("published_release", "disclosure_audit")] is True

    run_id = _launch_release_from_the_ui(session, RELEASED_YEAR)
    if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
        shutil.copy(session.shots / f"launch-{RELEASED_YEAR}.png", REPO_ROOT / "docs" / "ui-launch.png")
    status = _run_status_in_the_ui(session, run_id)
    session.shot("run-succeeded")
    assert status == "Success", ui.log.read_text()[-3000:]
    assert session.console_errors == []

    release = ui.releases / str(RELEASED_YEAR)
    manifest = json.loads((release / "manifest.json").read_text())
    assert manifest["year"] == RELEASED_YEAR and manifest["run_id"] == run_id
    assert all((release / p / f"medarbeiderindeks_{RELEASED_YEAR}.duckdb").is_file() for p in ("public", "internal"))
    assert (release / "reports" / "index.html").is_file()  # the reports follow the release in the same job
    assert all(check["passed"] for check in manifest["checks"])

    # The sensor's loads and the release all write the warehouse: the run queue ran them one after the other.
    load_runs = _sensor_load_runs(ui.home, {str(RELEASED_YEAR), str(REFUSED_YEAR)}, timeout=300)
    with dg.DagsterInstance.from_config(str(ui.home)) as instance:
        (release_run,) = instance.get_run_records(dg.RunsFilter(run_ids=[run_id]))
    assert all(r.dagster_run.status == dg.DagsterRunStatus.SUCCESS for r in load_runs)
    for load in load_runs:
        assert load.end_time <= release_run.start_time or release_run.end_time <= load.start_time


def test_a_failed_blocking_check_shows_in_the_ui_and_nothing_is_published(ui: UI, session: Session) -> None:
    run_id = _launch_release_from_the_ui(session, REFUSED_YEAR)
    status = _run_status_in_the_ui(session, run_id)
    assert status == "Failure", ui.log.read_text()[-3000:]
    # The run page's "Errored" steps: the check's step; clicked, its events say which check failed, and why the run
    # stopped.
    page = session.page
    page.get_by_text(f"{REFUSING_ASSET.replace('/', '__')}_{REFUSING_CHECK}", exact=True).click()
    expect(page.get_by_role("link", name=REFUSING_CHECK, exact=True)).to_be_visible()  # to the check's page
    evaluation = f"Check {REFUSING_CHECK} failed for materialization of {REFUSING_ASSET.replace('/', ' / ')}"
    expect(page.get_by_text(evaluation)).to_be_visible()
    blocked = f"blocking asset check failed with ERROR severity: {REFUSING_ASSET}: {REFUSING_CHECK}"
    expect(page.get_by_text(blocked)).to_be_visible()
    session.shot("run-refused")
    assert session.console_errors == []

    assert not (ui.releases / str(REFUSED_YEAR)).exists()
    assert not (ui.releases / ".versions" / str(REFUSED_YEAR)).exists()  # no half-written version either
