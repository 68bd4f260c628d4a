"""`make bench`: N respondents through ingestion → dbt → checks → release, each stage's seconds and peak memory,
next to the time DuckDB alone takes for one aggregate pass over the same answers (the ratio is what to watch)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from orchestration.demo_data import write_synthetic_year
from orchestration.settings import REPO_ROOT

STAGES = ["ingest", "dbt", "checks", "release", "duckdb_baseline"]


def run_stage(stage: str, work: Path) -> tuple[float, float]:
    """Wall seconds of the stage (its own process) and that process's peak resident memory in MiB."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.stages", stage, str(work)], cwd=REPO_ROOT, stdout=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"stage {stage} failed")
    return seconds, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--respondents", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    args = parser.parse_args()
    results = []
    print(f"{'respondents':>11} | " + " | ".join(f"{s:>24}" for s in STAGES[:-1]) + f" | {'duckdb pass':>11}")
    for n in args.respondents:
        with tempfile.TemporaryDirectory(prefix=f"bench-{n}-") as tmp:
            work = Path(tmp)
            write_synthetic_year(work / "landing", 2025, n, seed=1)
            row = {"respondents": n}
            for stage in STAGES:
                row[stage] = run_stage(stage, work)
            results.append(row)
        base = row["duckdb_baseline"][0]
        cells = [f"{row[s][0]:7.2f}s {row[s][1]:6.0f}MiB x{row[s][0] / base:5.0f}" for s in STAGES[:-1]]
        print(f"{n:>11} | " + " | ".join(f"{c:>24}" for c in cells) + f" | {base:10.3f}s", flush=True)
    print("\nxN = the stage's seconds / one DuckDB aggregate pass over the same answers (process start included).")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
