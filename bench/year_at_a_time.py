"""The dbt stage of a third year's release: a year at a time (after issue 10) against every year at once (before).

    python -m bench.year_at_a_time /tmp/year_at_a_time     # MEDARBEIDERINDEKS_DEMO=1: the demo exports, demo key

Writes the demo exports of 2023-2025, releases 2023 and 2024 one at a time as the dbt asset does (ingest,
``write_build_years``, the release's ``dbt build``, ``record_built_years``), ingests 2025, then times 2025's dbt stage
twice: on the warehouse (builds 2025 only) and on a copy without ``control.build_years`` (builds every year, as every
release did before). Prints one JSON line per dbt build: wall seconds and the CPU seconds of dbt and its children.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from orchestration.build_years import record_built_years, write_build_years
from orchestration.dbt_invocation import dbt_build_args
from orchestration.demo_data import write_demo_landing
from orchestration.ingest import Reference, sync_year
from orchestration.resources import DisclosureThresholds
from orchestration.settings import DBT_PROJECT_DIR, SEEDS_DIR

YEARS = (2023, 2024, 2025)


def timed_build(work: Path, warehouse: Path, label: str) -> dict:
    env = {**os.environ, "MEDARBEIDERINDEKS_WAREHOUSE": str(warehouse)}
    args = dbt_build_args(DisclosureThresholds().as_dict()) + ["--target-path", str(work / "target"), "--quiet"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    subprocess.run([str(Path(sys.executable).parent / "dbt"), *args], cwd=DBT_PROJECT_DIR, env=env, check=True)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    row = {"label": label, "wall_s": round(wall, 1), "cpu_s": round(cpu, 1)}
    print(json.dumps(row), flush=True)
    return row


def main(work: Path) -> None:
    work.mkdir(parents=True, exist_ok=True)
    landing, warehouse = work / "landing", work / "warehouse.duckdb"
    write_demo_landing(landing, YEARS)
    reference = Reference.from_seeds(SEEDS_DIR)

    def ingest(year: int) -> None:
        sync_year(
            warehouse_path=warehouse,
            year_dir=landing / str(year),
            year=year,
            reference=reference,
            pseudonym_key=b"bench-key",
            demo=True,
        )

    *earlier, last = YEARS
    for year in earlier:
        ingest(year)
        years = write_build_years(str(warehouse), year)
        timed_build(work, warehouse, f"{year}: a year at a time, builds {years}")
        record_built_years(str(warehouse), years)
    ingest(last)
    every_year = work / "every_year.duckdb"
    shutil.copy(warehouse, every_year)
    with duckdb.connect(str(every_year)) as con:
        con.execute("drop schema control cascade")
    years = write_build_years(str(warehouse), last)
    timed_build(work, warehouse, f"after: {last} a year at a time, builds {years}")
    timed_build(work, every_year, f"before: {last} with every year at once, builds {list(YEARS)}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
