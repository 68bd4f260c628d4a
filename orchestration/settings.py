"""Where things live, and the disclosure thresholds' defaults: read once, from one place each.

Paths come from the environment (``MEDARBEIDERINDEKS_*``) with repository-relative defaults, so the same code serves
the demo, a test fixture and a real deployment. Threshold defaults live in ``dbt_project/dbt_project.yml`` ``vars``
(their one home); Dagster shows them as run config and passes the chosen values back to dbt.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
# The reference seeds (questionnaire, companies, answer labels, headcounts): dbt's seed folder and ingestion's
# questionnaire. MEDARBEIDERINDEKS_SEEDS_DIR names another folder of the same files for both, relative to dbt_project/
# as dbt_project.yml's seed-paths reads it (dbt lays out compiled tests by that path, which an absolute one breaks);
# `make bench` uses it for a longer questionnaire.
SEEDS_DIR_VARIABLE = "MEDARBEIDERINDEKS_SEEDS_DIR"
SEEDS_DIR = (DBT_PROJECT_DIR / (os.environ.get(SEEDS_DIR_VARIABLE) or "../seeds")).resolve()


def seeds_dir_setting(folder: Path) -> dict[str, str]:
    """The environment setting that points a process (ingestion, dbt, the checks) at ``folder`` as its seeds."""
    return {SEEDS_DIR_VARIABLE: os.path.relpath(folder, DBT_PROJECT_DIR)}


EXPECTATIONS_DIR = REPO_ROOT / "expectations"

# DuckDB's memory on the connections our Python opens (ingest, raw checks): beyond it DuckDB spills to disk, and the
# process's pandas and Great Expectations need the rest. dbt's connections have their own (profiles.yml).
PYTHON_DUCKDB_MEMORY_LIMIT = "1GB"

DEMO_PSEUDONYM_KEY = "medarbeiderindeks-demo-key"
PSEUDONYM_KEY_VARIABLE = "MEDARBEIDERINDEKS_PSEUDONYM_KEY"

_PATH_DEFAULTS = {
    "MEDARBEIDERINDEKS_LANDING": "data/landing",
    "MEDARBEIDERINDEKS_WAREHOUSE": "data/warehouse/medarbeiderindeks.duckdb",
    "MEDARBEIDERINDEKS_RELEASES": "releases",
}


def configured_path(variable: str) -> str:
    """An absolute path from the environment variable, or the repository-relative default."""
    value = os.environ.get(variable) or _PATH_DEFAULTS[variable]
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else REPO_ROOT / path)


def pseudonym_key_is_set() -> bool:
    """Whether the deployment sets its own key in ``MEDARBEIDERINDEKS_PSEUDONYM_KEY`` (else the demo key is used)."""
    return bool(os.environ.get(PSEUDONYM_KEY_VARIABLE))


def configured_demo() -> bool:
    """``MEDARBEIDERINDEKS_DEMO=1`` says this deployment serves demo data (``make demo`` sets it)."""
    return os.environ.get("MEDARBEIDERINDEKS_DEMO", "").lower() in {"1", "true", "yes"}


def audit_workers() -> int:
    """Processes the release's disclosure audit runs side by side: ``MEDARBEIDERINDEKS_AUDIT_WORKERS``, by default one
    per core this process may use (1 audits in-process)."""
    configured = os.environ.get("MEDARBEIDERINDEKS_AUDIT_WORKERS")
    if configured:
        if not configured.isdigit() or int(configured) < 1:
            raise ValueError(
                f"MEDARBEIDERINDEKS_AUDIT_WORKERS={configured!r}: expected a whole number of processes >= 1"
            )
        return int(configured)
    return len(os.sched_getaffinity(0))


@cache
def threshold_defaults() -> dict[str, float | str]:
    """The disclosure thresholds as declared in dbt_project.yml ``vars``."""
    with open(DBT_PROJECT_DIR / "dbt_project.yml", encoding="utf-8") as handle:
        project = yaml.safe_load(handle)
    return dict(project["vars"])
