"""One benchmark stage in its own process, so its peak memory is its own: `python -m bench.stages STAGE DIR`."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from orchestration.settings import DBT_PROJECT_DIR, SEEDS_DIR, threshold_defaults

YEAR = 2025


def ingest(work: Path) -> None:
    from orchestration.ingest import Reference, sync_year

    sync_year(
        warehouse_path=work / "warehouse.duckdb",
        year_dir=work / "landing" / str(YEAR),
        year=YEAR,
        reference=Reference.from_seeds(SEEDS_DIR),
        pseudonym_key=b"bench-key",
    )


# The seeded invited headcounts fit the demo's company sizes, not N synthetic respondents: the bench invites its own
# (`write_headcount`, beside the exports), so response rates, their tests, suite and reports run as in a release.
HEADCOUNT = "invited_headcount.csv"
RESPONSE_RATE = 0.8


def write_headcount(work: Path) -> None:
    """``<work>/invited_headcount.csv``: each company's respondents in the landing folder / RESPONSE_RATE."""
    rows = ["year,company_id,invited"]
    for export in sorted((work / "landing" / str(YEAR)).glob("*.csv")):
        respondents = export.read_bytes().count(b"\n") - 1  # one line per respondent after the header
        rows.append(f"{YEAR},{export.stem},{math.ceil(respondents / RESPONSE_RATE)}")
    (work / HEADCOUNT).write_text("\n".join(rows) + "\n", encoding="utf-8")


def dbt(work: Path) -> None:
    from orchestration.dbt_invocation import dbt_build_args
    from orchestration.resources import DisclosureThresholds

    warehouse = work / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:  # the seed the build leaves out (see HEADCOUNT)
        con.execute("create schema if not exists reference")
        con.execute(
            f"create or replace table reference.invited_headcount as select * from read_csv('{work / HEADCOUNT}', "
            "header = true, columns = {'year': 'INTEGER', 'company_id': 'VARCHAR', 'invited': 'INTEGER'})"
        )
    env = {**os.environ, "MEDARBEIDERINDEKS_WAREHOUSE": str(warehouse)}
    args = dbt_build_args(DisclosureThresholds().as_dict()) + [
        "--exclude",
        "invited_headcount",
        "--target-path",
        str(work / "target"),
        "--quiet",
    ]
    subprocess.run([str(Path(sys.executable).parent / "dbt"), *args], cwd=DBT_PROJECT_DIR, env=env, check=True)


def checks(work: Path) -> None:
    """The release's blocking Great Expectations suites over the frames its asset checks fetch (orchestration/checks/:
    the raw answers and respondents of the year, every published mart); the outcomes go to the publish stage."""
    from orchestration.checks.gx_runner import fetch_frame, validate_frame
    from orchestration.checks.mart_checks import _published_tables
    from orchestration.checks.raw_checks import RAW_ANSWERS_SQL, RAW_RESPONDENTS_SQL
    from orchestration.resources import DisclosureThresholds

    parameters = DisclosureThresholds().check_parameters()
    frames = {
        "raw_answers": (RAW_ANSWERS_SQL.format(items_csv=f"'{SEEDS_DIR / 'items.csv'}'"), None),
        "raw_respondents": (
            RAW_RESPONDENTS_SQL.format(headcount_csv=f"'{work / HEADCOUNT}'"),
            None,
        ),
    }
    frames |= {
        f"published_{mart}": (f"select * from published.{table} where year = ?", parameters)
        for mart, table in _published_tables().items()
    }
    outcomes = [
        validate_frame(fetch_frame(work / "warehouse.duckdb", sql, YEAR), suite, suite_parameters)
        for suite, (sql, suite_parameters) in frames.items()
    ]
    failed = [o.suite for o in outcomes if not o.success]
    if failed:
        raise SystemExit(f"checks failed: {failed}")
    (work / "checks.json").write_text(json.dumps([{"check": o.suite, "passed": o.success} for o in outcomes]))


# The release as the release asset makes it: stage the packages aside, audit them, publish (orchestration/assets/
# release.py, whose functions these are). The staged release passes from stage to stage as JSON.
def _staged(work: Path):
    from orchestration.release import StagedRelease

    fields = json.loads((work / "staged.json").read_text())
    return StagedRelease(**{**fields, "path": Path(fields["path"])})


def stage(work: Path) -> None:
    from orchestration.release import stage_release

    staged = stage_release(
        warehouse_path=str(work / "warehouse.duckdb"), releases_dir=str(work / "releases"), year=YEAR
    )
    (work / "staged.json").write_text(json.dumps({**dataclasses.asdict(staged), "path": str(staged.path)}))


def audit(work: Path) -> None:
    from orchestration.checks.disclosure_audit import audit_staged_release
    from orchestration.release import discard_staged
    from orchestration.resources import DisclosureThresholds

    staged = _staged(work)
    result = audit_staged_release(staged, str(work / "warehouse.duckdb"), DisclosureThresholds().check_parameters())
    if not result.passed:
        discard_staged(staged)
        raise SystemExit(f"disclosure audit failed: {result.describe()}")
    (work / "audit.json").write_text(json.dumps(result.summary()))


def publish(work: Path) -> None:
    from orchestration.gate import built_thresholds
    from orchestration.release import publish_release

    publish_release(
        _staged(work),
        thresholds=built_thresholds(str(work / "warehouse.duckdb")),
        checks=json.loads((work / "checks.json").read_text()),
        audit=json.loads((work / "audit.json").read_text()),
    )


def reports(work: Path) -> None:
    from orchestration.reports import build_reports

    build_reports(work / "releases" / str(YEAR))


def pandas(work: Path) -> None:
    """The baseline: the company and benchmark figures by a plain pandas script from the raw answers."""
    import pandas as pd

    from bench.pandas_baseline import company_and_benchmark_figures
    from orchestration.resources import DisclosureThresholds

    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        answers = con.execute(
            "select year, company_id, respondent_id, item_id, answer_value, is_dont_know from raw.answers"
        ).df()
    company_and_benchmark_figures(
        answers,
        pd.read_csv(SEEDS_DIR / "items.csv"),
        pd.read_csv(SEEDS_DIR / "companies.csv"),
        YEAR,
        int(DisclosureThresholds().check_parameters()["min_respondents"]),
        str(threshold_defaults()["enps_item_id"]),
    )


def duckdb_pass(work: Path) -> None:
    """The floor: DuckDB alone, one aggregate pass over the same answers."""
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        con.execute(
            "select company_id, item_id, count(*), avg(answer_value), stddev_samp(answer_value) "
            "from raw.answers group by all"
        ).fetchall()


# In the order they run; the release stages need the ones before them, the baselines only the ingested answers.
STAGES = {f.__name__: f for f in (ingest, dbt, checks, stage, audit, publish, reports, pandas, duckdb_pass)}

if __name__ == "__main__":
    name, work = sys.argv[1], Path(sys.argv[2])
    started = time.perf_counter()
    STAGES[name](work)
    print(json.dumps({"stage": name, "seconds_in_process": time.perf_counter() - started}))
