"""The release's dbt build (orchestration/dbt_invocation.py): it runs every model, seed and data test of the
manifest and none of the unit tests (they run in `make test`, tests/test_dbt_build.py), and it reuses the parse
`make manifest` made instead of parsing the project again; `make manifest` parses only when what the parse reads
changed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from orchestration import dbt_invocation
from orchestration.dbt_invocation import dbt_build_args, ensure_manifest, parse_manifest
from orchestration.resources import DisclosureThresholds
from orchestration.settings import DBT_PROJECT_DIR, SEEDS_DIR

MANIFEST = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def listed(tmp_path_factory) -> tuple[dict[str, str], str]:
    """`make manifest`'s parse, then `dbt ls` with the release build's arguments on the same warehouse path (as
    dagster-dbt runs it: no --target, the profile from dbt_project/): what that build would run, by unique id, and
    dbt's log lines."""
    tmp = tmp_path_factory.mktemp("dbt_selection")
    warehouse = str(tmp / "warehouse.duckdb")
    assert parse_manifest(warehouse, target_path=tmp / "target").returncode == 0
    args = dbt_build_args(DisclosureThresholds().as_dict())
    assert args[0] == "build"
    command = [sys.executable, "-m", "dbt.cli.main", "ls", *args[1:], "--output", "json"]
    command += ["--output-keys", "unique_id", "resource_type", "--profiles-dir", "."]
    command += ["--target-path", str(tmp / "target"), "--log-path", str(tmp / "logs")]
    env = {**os.environ, "MEDARBEIDERINDEKS_WAREHOUSE": warehouse}
    result = subprocess.run(command, cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    lines = result.stdout.splitlines()
    rows = [json.loads(line) for line in lines if line.startswith("{")]
    log = "\n".join(line for line in lines if not line.startswith("{"))
    return {row["unique_id"]: row["resource_type"] for row in rows}, log


def test_release_build_runs_every_data_test_and_no_unit_test(listed) -> None:
    resources, _ = listed
    unit_tests = set(MANIFEST["unit_tests"])
    data_tests = {k for k, n in MANIFEST["nodes"].items() if n["resource_type"] == "test"}
    models = {k for k, n in MANIFEST["nodes"].items() if n["resource_type"] in {"model", "seed"}}
    assert len(unit_tests) > 0 and len(data_tests) > 0
    assert not unit_tests & set(resources), "unit tests run in make test, not in a release's dbt build"
    assert data_tests <= set(resources), "every data test guards the release"
    assert models <= set(resources)


def test_release_build_reuses_the_parse_of_make_manifest(listed) -> None:
    _, log = listed
    assert "Found " in log  # dbt's log lines are there to read
    assert "Unable to do partial parsing" not in log, log


def test_make_manifest_parses_only_when_what_the_parse_reads_changed(tmp_path, monkeypatch) -> None:
    seeds = tmp_path / "seeds"  # a copy whose content the test changes; the parse itself reads the project's seeds
    shutil.copytree(SEEDS_DIR, seeds)
    monkeypatch.setattr(dbt_invocation, "SEEDS_DIR", seeds)
    target, warehouse = tmp_path / "target", str(tmp_path / "warehouse.duckdb")
    assert ensure_manifest(warehouse, target)  # no parse yet
    assert (target / "manifest.json").is_file() and (target / "partial_parse.msgpack").is_file()
    assert not ensure_manifest(warehouse, target)  # nothing changed: no parse
    monkeypatch.setenv("MEDARBEIDERINDEKS_DEMO", "1")  # a setting the dbt project does not read
    assert not ensure_manifest(warehouse, target)

    monkeypatch.setenv("MEDARBEIDERINDEKS_DUCKDB_MEMORY_LIMIT", "1GB")  # a setting profiles.yml reads
    assert ensure_manifest(warehouse, target)
    with open(seeds / "themes.csv", "a", encoding="utf-8") as themes:
        themes.write("new_theme,Ny,New,99\n")
    assert ensure_manifest(warehouse, target)
    assert ensure_manifest(str(tmp_path / "another.duckdb"), target)
    manifest = target / "manifest.json"  # rewritten by a dbt command run by hand
    manifest.write_text(manifest.read_text(encoding="utf-8") + " ", encoding="utf-8")
    assert ensure_manifest(str(tmp_path / "another.duckdb"), target)
    assert not ensure_manifest(str(tmp_path / "another.duckdb"), target)
