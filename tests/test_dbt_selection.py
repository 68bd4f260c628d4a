"""What a production `dbt build` runs (orchestration/assets/dbt.py dbt_build_args): every model, seed and data test of
the manifest, and none of the unit tests, which run in `make test` instead (tests/test_dbt_build.py)."""

from __future__ import annotations

import json
import subprocess
import sys

from orchestration.assets.dbt import dbt_build_args
from orchestration.resources import DisclosureThresholds
from orchestration.settings import DBT_PROJECT_DIR

MANIFEST = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text(encoding="utf-8"))


def _listed_by_production_build(tmp_path) -> dict[str, str]:
    """`dbt ls` with the production build's arguments: the resources that build would run, by unique id."""
    args = dbt_build_args(DisclosureThresholds().as_dict())
    assert args[0] == "build"
    command = [sys.executable, "-m", "dbt.cli.main", "ls", *args[1:], "--output", "json"]
    command += ["--output-keys", "unique_id", "resource_type", "--profiles-dir", ".", "--target", "lint"]
    command += ["--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs"), "--quiet"]
    listed = subprocess.run(command, cwd=DBT_PROJECT_DIR, capture_output=True, text=True, timeout=600, check=True)
    rows = [json.loads(line) for line in listed.stdout.splitlines() if line.startswith("{")]
    return {row["unique_id"]: row["resource_type"] for row in rows}


def test_production_build_runs_every_data_test_and_no_unit_test(tmp_path) -> None:
    listed = _listed_by_production_build(tmp_path)
    unit_tests = set(MANIFEST["unit_tests"])
    data_tests = {k for k, n in MANIFEST["nodes"].items() if n["resource_type"] == "test"}
    models = {k for k, n in MANIFEST["nodes"].items() if n["resource_type"] in {"model", "seed"}}
    assert len(unit_tests) > 0 and len(data_tests) > 0
    assert not unit_tests & set(listed), "unit tests run in make test, not in a release's dbt build"
    assert data_tests <= set(listed), "every data test guards the release"
    assert models <= set(listed)
