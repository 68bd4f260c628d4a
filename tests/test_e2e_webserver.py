"""End to end through the UI's API: start the Dagster webserver, launch the yearly release over GraphQL (what the
launch button does), wait for it, and read the release folder. The server always stops, with its whole group."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster_graphql import DagsterGraphQLClient, DagsterGraphQLClientError

from orchestration.settings import REPO_ROOT
from tests.survey_fixtures import small_survey, write_landing

pytestmark = pytest.mark.e2e
YEAR = 2024


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"webserver exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise TimeoutError(f"webserver not serving on port {port} after {timeout}s")


def _stop_group(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


def _launch_and_wait(port: int, process: subprocess.Popen) -> str:
    """Launch the yearly release as the UI's launch button does (GraphQL), and wait for it to succeed."""
    _wait_for_port(port, process, timeout=120)
    client = DagsterGraphQLClient("127.0.0.1", port_number=port)
    deadline = time.monotonic() + 60
    while True:  # the code location may still be loading when the port opens
        try:
            run_id = client.submit_job_execution(
                "yearly_index_release", tags={"dagster/partition": str(YEAR)}, run_config={}
            )
            break
        except DagsterGraphQLClientError:
            if time.monotonic() > deadline:
                raise
            time.sleep(2)
    status = None
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        status = client.get_run_status(run_id)
        if status in (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED):
            break
        time.sleep(2)
    assert status == dg.DagsterRunStatus.SUCCESS, f"run {run_id} ended {status}"
    return run_id


def test_release_launched_through_the_webserver(tmp_path: Path) -> None:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO_ROOT / ".dagster" / "dagster.yaml", home / "dagster.yaml")
    write_landing(
        tmp_path / "landing", YEAR, small_survey(YEAR, {"nordlys_bank": 8, "fjelltele": 7, "nordreiser": 6}, 3)
    )
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "MEDARBEIDERINDEKS_LANDING": str(tmp_path / "landing"),
        "MEDARBEIDERINDEKS_WAREHOUSE": str(tmp_path / "warehouse.duckdb"),
        "MEDARBEIDERINDEKS_RELEASES": str(tmp_path / "releases"),
        "MEDARBEIDERINDEKS_PSEUDONYM_KEY": "e2e-test-key",
    }
    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.add_dynamic_partitions("survey_year", [str(YEAR)])

    port = _free_port()
    webserver = Path(sys.executable).parent / "dagster-webserver"
    with open(tmp_path / "webserver.log", "wb") as log:
        process = subprocess.Popen(
            [str(webserver), "-m", "orchestration.definitions", "-h", "127.0.0.1", "-p", str(port)],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so the whole group can be ended
        )
        try:
            run_id = _launch_and_wait(port, process)
        finally:
            _stop_group(process)

    release = tmp_path / "releases" / str(YEAR)
    manifest = json.loads((release / "manifest.json").read_text())
    assert manifest["year"] == YEAR and manifest["run_id"] == run_id
    assert (release / f"medarbeiderindeks_{YEAR}.duckdb").is_file()
    assert all(check["passed"] for check in manifest["checks"])
