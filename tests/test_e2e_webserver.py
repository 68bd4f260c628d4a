"""End to end through the UI: start it as a user does (`make ui`: `dg dev` with its daemon and the landing
sensor), check that it shows the asset graph and the blocking checks, launch the yearly release over GraphQL (what
the launch button does), and read the release folder. The UI always stops, with its whole process group."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import dagster as dg
import pytest
import requests
from dagster_graphql import DagsterGraphQLClient, DagsterGraphQLClientError

from orchestration.settings import REPO_ROOT
from tests.survey_fixtures import NINE_COMPANIES, small_survey, write_landing

pytestmark = pytest.mark.e2e
YEAR = 2024

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


def _wait_for_run(client: DagsterGraphQLClient, run_id: str, timeout: float) -> dg.DagsterRunStatus:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get_run_status(run_id)
        if status in (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED):
            return status
        time.sleep(2)
    raise TimeoutError(f"run {run_id} still {status} after {timeout}s")


def _launch_release(client: DagsterGraphQLClient) -> str:
    deadline = time.monotonic() + 60
    while True:  # the partition may still be registering when the location has loaded
        try:
            return client.submit_job_execution(
                "yearly_index_release", tags={"dagster/partition": str(YEAR)}, run_config={}
            )
        except DagsterGraphQLClientError:
            if time.monotonic() > deadline:
                raise
            time.sleep(2)


def _sensor_load_runs(home: Path, timeout: float) -> list[dg.RunRecord]:
    """The landing sensor's load of the year (it needs two ticks 30 s apart), once it has ended."""
    finished = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}
    deadline = time.monotonic() + timeout
    with dg.DagsterInstance.from_config(str(home)) as instance:
        while time.monotonic() < deadline:
            records = instance.get_run_records(dg.RunsFilter(job_name="load_raw_exports"))
            if records and all(r.dagster_run.status in finished for r in records):
                return records
            time.sleep(2)
    raise TimeoutError(f"no finished load_raw_exports run after {timeout}s")


def test_release_launched_from_the_ui(tmp_path: Path) -> None:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO_ROOT / ".dagster" / "dagster.yaml", home / "dagster.yaml")
    write_landing(tmp_path / "landing", YEAR, small_survey(YEAR, NINE_COMPANIES, 3))
    port = _free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "MEDARBEIDERINDEKS_LANDING": str(tmp_path / "landing"),
        "MEDARBEIDERINDEKS_WAREHOUSE": str(tmp_path / "warehouse.duckdb"),
        "MEDARBEIDERINDEKS_RELEASES": str(tmp_path / "releases"),
        "MEDARBEIDERINDEKS_PSEUDONYM_KEY": "e2e-test-key",
    }
    with open(tmp_path / "ui.log", "wb") as log:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "ui", f"PORT={port}"],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so the whole group can be ended
        )
        try:
            _wait_for_port(port, process, timeout=180)
            graph = _graph(port)
            (location,) = graph["workspaceOrError"]["locationEntries"]
            assert location["locationOrLoadError"]["__typename"] == "RepositoryLocation", location
            client = DagsterGraphQLClient("127.0.0.1", port_number=port)
            run_id = _launch_release(client)
            status = _wait_for_run(client, run_id, timeout=600)
            load_runs = _sensor_load_runs(home, timeout=180)
        finally:
            _stop_group(process)

    assets = {"/".join(node["assetKey"]["path"]): node for node in graph["assetNodes"]}
    assert {"raw_survey_exports", "raw_answers", "published_release"} <= set(assets)
    assert assets["staging/stg_survey__answers"]["groupName"] == "staging"
    assert assets["published/company_scores"]["groupName"] == "marts"
    checks = {
        (key, check["name"]): check["blocking"]
        for key, node in assets.items()
        for check in (node["assetChecksOrError"] or {}).get("checks", [])
    }
    assert checks[("raw_answers", "raw_answers_valid")] is True
    assert checks[("published/benchmarks", "benchmarks_publishable")] is True

    assert status == dg.DagsterRunStatus.SUCCESS, (tmp_path / "ui.log").read_text()[-3000:]
    release = tmp_path / "releases" / str(YEAR)
    manifest = json.loads((release / "manifest.json").read_text())
    assert manifest["year"] == YEAR and manifest["run_id"] == run_id
    assert all((release / p / f"medarbeiderindeks_{YEAR}.duckdb").is_file() for p in ("public", "internal"))
    assert (release / "reports" / "index.html").is_file()  # the reports follow the release in the same job
    assert all(check["passed"] for check in manifest["checks"])

    # The sensor's load and the release both write the warehouse: the run queue ran them one after the other.
    with dg.DagsterInstance.from_config(str(home)) as instance:
        (release_run,) = instance.get_run_records(dg.RunsFilter(run_ids=[run_id]))
    assert all(r.dagster_run.status == dg.DagsterRunStatus.SUCCESS for r in load_runs)
    for load in load_runs:
        assert load.end_time <= release_run.start_time or release_run.end_time <= load.start_time
