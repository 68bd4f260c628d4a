"""`make bench`: N respondents through ingestion → dbt → checks → release, each stage's seconds and peak memory,
next to the time DuckDB alone takes for one aggregate pass over the same answers (the ratio is what to watch);
then one ~50 MB canonical export through ingestion: its load's seconds and peak memory, and an unchanged resync's
seconds (measured here, not asserted in a test: a shared machine makes time and memory bounds flaky)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.exports import RESPONDENTS_50_MB, write_canonical_export
from bench.stages import YEAR
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


def large_export_row(n: int) -> dict:
    """One canonical export of n respondents (~50 MB at the default) loaded into an empty warehouse, then synced
    again unchanged (skipped: the file is hashed, not read)."""
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        work = Path(tmp)
        export = work / "landing" / str(YEAR) / "stor.csv"
        export.parent.mkdir(parents=True)
        write_canonical_export(export, n, "s", seed=1)
        size_mb = export.stat().st_size / 2**20
        load_seconds, load_mib = run_stage("ingest", work)
        resync_seconds, _ = run_stage("ingest", work)
    print(
        f"\n{size_mb:.0f} MB export ({n} respondents): load {load_seconds:.2f}s, peak {load_mib:.0f}MiB; "
        f"unchanged resync {resync_seconds:.2f}s",
        flush=True,
    )
    return {
        "export_mb": round(size_mb, 1),
        "respondents": n,
        "load": [load_seconds, load_mib],
        "resync_seconds": resync_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--respondents", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument(
        "--export-respondents",
        type=int,
        default=RESPONDENTS_50_MB,
        help="respondents of the one large export (default: ~50 MB); 0 leaves that row out",
    )
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
    export = large_export_row(args.export_respondents) if args.export_respondents else None
    print(json.dumps({"pipeline": results, "large_export": export}))


if __name__ == "__main__":
    main()
