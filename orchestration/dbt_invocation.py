"""The arguments of the release's dbt build, and `make manifest`: the manifest parsed exactly as that build parses.

dbt reuses its last parse (partial parsing) only when the command-line vars and the profile's connection (the
warehouse path among them) are the ones it was parsed with; otherwise every release re-parses the whole project.
So `make manifest` parses with the release's vars and the configured warehouse, and the release's build (which
dagster-dbt starts from a copy of target/partial_parse.msgpack) skips the parse. This module needs no manifest, so
it can write the first one.

`make manifest` runs before every release, and a `dbt parse` costs ~6 s even when it reuses everything. So it
records what the parse read (target/manifest_inputs.json: the dbt project's files, the seeds and the code choosing
the vars by content, the locked environment, the warehouse path, the environment variables the dbt project reads
and dbt's DBT_* settings) and the files it wrote (by size and time, so a `dbt` command run by hand that rewrote them
counts as a change), and parses again only when one of them differs.

    python -m orchestration.dbt_invocation    # make manifest
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from orchestration.release_inputs import project_digest, seeds_digest, stat_digest
from orchestration.settings import DBT_PROJECT_DIR, REPO_ROOT, SEEDS_DIR, configured_path

#: What `dbt parse` reads of the repository besides the seeds: the dbt project, the locked environment (dbt's
#: version and its adapter's) and the code that chooses the parse's vars (the thresholds' defaults).
PARSE_INPUTS = (
    "orchestration/dbt_invocation.py",
    "orchestration/resources.py",
    "orchestration/settings.py",
    "dbt_project/models",
    "dbt_project/macros",
    "dbt_project/tests",
    "dbt_project/dbt_project.yml",
    "dbt_project/profiles.yml",
    "uv.lock",
)
PARSE_OUTPUTS = ("manifest.json", "partial_parse.msgpack")
PARSE_RECORD = "manifest_inputs.json"
# The environment variables the dbt project reads (its env_var() calls), beside dbt's own DBT_* settings.
_ENV_VAR = re.compile(r"""env_var\(\s*['"]([A-Za-z0-9_]+)['"]""")


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
    # imported here: Dagster's import (~0.8 s) is not needed to find the manifest current
    from orchestration.resources import DisclosureThresholds

    env = {**os.environ, "MEDARBEIDERINDEKS_WAREHOUSE": warehouse_path}
    command = [str(Path(sys.executable).parent / "dbt"), "parse", "--quiet", "--profiles-dir", "."]
    command += dbt_vars(DisclosureThresholds().as_dict())
    if target_path is not None:
        command += ["--target-path", str(target_path)]
    return subprocess.run(command, cwd=DBT_PROJECT_DIR, env=env, check=False)


def _settings_read() -> list[tuple[str, str | None]]:
    """The environment variables the dbt project's files name in env_var(), and DBT_*, with their values."""
    names = {name for name in os.environ if name.startswith("DBT_")}
    for entry in PARSE_INPUTS:
        path = REPO_ROOT / entry
        for file in [path] if path.is_file() else sorted(path.rglob("*")):
            if file.suffix in {".yml", ".sql"}:
                names.update(_ENV_VAR.findall(file.read_text(encoding="utf-8")))
    return [(name, os.environ.get(name)) for name in sorted(names)]


def _parse_inputs(warehouse_path: str) -> dict[str, str]:
    return {
        "project": project_digest(REPO_ROOT, PARSE_INPUTS),
        "seeds": seeds_digest(SEEDS_DIR),
        "warehouse": warehouse_path,
        "settings": hashlib.sha256(json.dumps(_settings_read()).encode()).hexdigest(),
    }


def _parse_outputs(target_path: Path) -> str | None:
    outputs = [target_path / name for name in PARSE_OUTPUTS]
    return stat_digest(outputs, target_path) if all(path.is_file() for path in outputs) else None


def ensure_manifest(warehouse_path: str, target_path: Path = DBT_PROJECT_DIR / "target") -> bool:
    """`make manifest`: parse unless ``target_path`` holds the parse of the same inputs. True when it parsed;
    raises CalledProcessError when the parse fails."""
    record = target_path / PARSE_RECORD
    inputs = _parse_inputs(warehouse_path)
    try:
        recorded = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        recorded = None
    outputs = _parse_outputs(target_path)
    if outputs is not None and recorded == {"inputs": inputs, "outputs": outputs}:
        return False
    record.unlink(missing_ok=True)
    parse_manifest(warehouse_path, target_path).check_returncode()
    record.write_text(json.dumps({"inputs": inputs, "outputs": _parse_outputs(target_path)}), encoding="utf-8")
    return True


if __name__ == "__main__":
    try:
        ensure_manifest(configured_path("MEDARBEIDERINDEKS_WAREHOUSE"))
    except subprocess.CalledProcessError as error:
        sys.exit(error.returncode)
