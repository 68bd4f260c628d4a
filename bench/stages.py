"""One benchmark stage in its own process, so its peak memory is its own: `python -m bench.stages STAGE DIR`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from orchestration.settings import DBT_PROJECT_DIR, SEEDS_DIR

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


def dbt(work: Path) -> None:
    from orchestration.assets.dbt import dbt_build_args
    from orchestration.resources import DisclosureThresholds

    env = {**os.environ, "MEDARBEIDERINDEKS_WAREHOUSE": str(work / "warehouse.duckdb")}
    # The seeded invited headcounts fit the demo's company sizes, not N synthetic respondents, so response rates
    # (and their 0-100 test) are left out of the benchmark.
    args = dbt_build_args(DisclosureThresholds().as_dict()) + [
        "--exclude",
        "response_rates",
        "--target-path",
        str(work / "target"),
        "--quiet",
    ]
    subprocess.run([str(Path(sys.executable).parent / "dbt"), *args], cwd=DBT_PROJECT_DIR, env=env, check=True)


def checks(work: Path) -> None:
    from orchestration.checks.gx_runner import validate_frame
    from orchestration.resources import DisclosureThresholds

    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        answers = (
            con.execute(
                f"select a.*, i.scale_min, i.scale_max from raw.answers a "
                f"left join read_csv('{SEEDS_DIR / 'items.csv'}') i using (item_id)"
            )
            .to_arrow_table()
            .to_pandas()
        )
        marts = {
            m: con.execute(f"select * from published.{m}").to_arrow_table().to_pandas()
            for m in ("company_scores", "benchmarks", "company_vs_benchmark")
        }
    outcomes = [validate_frame(answers, "raw_answers")]
    parameters = DisclosureThresholds().check_parameters()
    outcomes += [validate_frame(frame, f"published_{m}", parameters) for m, frame in marts.items()]
    failed = [o.suite for o in outcomes if not o.success]
    if failed:
        raise SystemExit(f"checks failed: {failed}")


def release(work: Path) -> None:
    from orchestration.release import write_release
    from orchestration.resources import DisclosureThresholds

    write_release(
        warehouse_path=str(work / "warehouse.duckdb"),
        releases_dir=str(work / "releases"),
        year=YEAR,
        thresholds=DisclosureThresholds().as_dict(),
        checks=[],
    )


def duckdb_baseline(work: Path) -> None:
    """The floor: DuckDB alone, one aggregate pass over the same answers."""
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        con.execute(
            "select company_id, item_id, count(*), avg(answer_value), stddev_samp(answer_value) "
            "from raw.answers group by all"
        ).fetchall()


STAGES = {f.__name__: f for f in (ingest, dbt, checks, release, duckdb_baseline)}

if __name__ == "__main__":
    stage, work = sys.argv[1], Path(sys.argv[2])
    started = time.perf_counter()
    STAGES[stage](work)
    print(json.dumps({"stage": stage, "seconds_in_process": time.perf_counter() - started}))
