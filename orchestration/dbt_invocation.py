"""The arguments of the release's dbt build, and `make manifest`: the manifest parsed exactly as that build parses.

dbt reuses its last parse (partial parsing) only when the command-line vars and the profile's connection (the
warehouse path among them) are the ones it was parsed with; otherwise every release re-parses the whole project.
So `make manifest` parses with the release's vars and the configured warehouse, and the release's build (which
dagster-dbt starts from a copy of target/partial_parse.msgpack) skips the parse. This module needs no manifest, so
it can write the first one.

    python -m orchestration.dbt_invocation    # make manifest
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from orchestration.resources import DisclosureThresholds
from orchestration.settings import DBT_PROJECT_DIR, configured_path


def dbt_vars(thresholds: Mapping[str, float | str]) -> list[str]:
    """The thresholds always go in as --vars, in one order, so a parse with the same thresholds is reused."""
    return ["--vars", json.dumps(dict(thresholds), sort_keys=True)]


def dbt_build_args(thresholds: Mapping[str, float | str], *, full_refresh: bool = False) -> list[str]:
    """dbt's unit tests check the models' SQL on fixed inputs, not the year's data: they run in `make test`
    (tests/test_dbt_build.py), not in every release. The data tests, which guard the release, stay.

    Which years the build computes is not an argument: the release writes it to the warehouse (control.build_years,
    orchestration/build_years.py), so the vars, and with them `make manifest`'s parse, stay the same every year.
    ``full_refresh`` (rebuild every year, make release REBUILD=1) adds ``--full-refresh``, which the parse ignores."""
    return [
        "build",
        "--exclude-resource-type",
        "unit_test",
        *dbt_vars(thresholds),
        *(["--full-refresh"] if full_refresh else []),
    ]


def parse_manifest(warehouse_path: str, target_path: Path | None = None) -> subprocess.CompletedProcess:
    """`dbt parse` with the default thresholds' vars and ``warehouse_path``, as a release with them will build."""
    env = {**os.environ, "MEDARBEIDERINDEKS_WAREHOUSE": warehouse_path}
    command = [str(Path(sys.executable).parent / "dbt"), "parse", "--quiet", "--profiles-dir", "."]
    command += dbt_vars(DisclosureThresholds().as_dict())
    if target_path is not None:
        command += ["--target-path", str(target_path)]
    return subprocess.run(command, cwd=DBT_PROJECT_DIR, env=env, check=False)


if __name__ == "__main__":
    sys.exit(parse_manifest(configured_path("MEDARBEIDERINDEKS_WAREHOUSE")).returncode)
