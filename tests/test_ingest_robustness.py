"""Loads are safe to repeat and to interrupt, and a 50 MB export loads.

The tests run ingestion in a subprocess (SIGKILL is a real crash, not an exception). How long the 50 MB load takes
and how much memory it needs is measured by `make bench` (bench/run_bench.py), not asserted here: on a shared
machine a time or memory bound is a flaky test."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from bench.exports import ITEMS, RESPONDENTS_50_MB, write_canonical_export
from orchestration.ingest import Reference, sync_year
from orchestration.ingest.loader import RAW_TABLES

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
KEY = "test-key"
YEAR = 2024

# Run in the subprocess: sync a year folder, print what it did. With PAUSE_IN_LOAD
# set, the second file's transaction stops after deleting that file's old rows (uncommitted) and waits to be killed.
RUNNER = """
import json, os, sys, time
from pathlib import Path
from orchestration.ingest import Reference, loader, sync_year

marker = os.environ.get("PAUSE_IN_LOAD")
if marker:
    real = loader._delete_file_rows
    calls = {"n": 0}
    def pausing(con, year, file_name):
        real(con, year, file_name)
        calls["n"] += 1
        if calls["n"] == 2:
            Path(marker).write_text(file_name)
            time.sleep(600)
    loader._delete_file_rows = pausing
report = sync_year(sys.argv[1], sys.argv[2], int(sys.argv[3]), Reference.from_seeds(sys.argv[4]), sys.argv[5])
print(json.dumps({
    "loaded": [f.file_name for f in report.loaded],
    "failed": report.errors(),
    "n_respondents": report.n_respondents,
    "n_answers": report.n_answers,
}))
"""


def run_sync(warehouse: Path, landing: Path, env: dict | None = None, wait: bool = True):
    command = [sys.executable, "-c", RUNNER, str(warehouse), str(landing), str(YEAR), str(SEEDS), KEY]
    process = subprocess.Popen(
        command, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    if not wait:
        return process
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


def expected_answers(export: Path) -> int:
    """Answer rows the export should give, counted by DuckDB from the file itself: its non-blank item cells."""
    non_blank = " + ".join(f"count({item})" for item in ITEMS)
    with duckdb.connect() as con:
        return con.execute(f"select {non_blank} from read_csv(?, all_varchar = true)", [str(export)]).fetchone()[0]


def content_checksum(warehouse: Path) -> dict[str, tuple[int, str]]:
    """Row count and checksum of each raw table over every column except the run's own load_id and loaded_at."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        result = {}
        for table in RAW_TABLES:
            columns = [
                c
                for (c,) in con.execute(
                    "select column_name from duckdb_columns() where schema_name = 'raw' and table_name = ? "
                    "order by column_index",
                    [table],
                ).fetchall()
                if c not in ("load_id", "loaded_at")
            ]
            row = "concat_ws('|', " + ", ".join(f"coalesce(cast({c} as varchar), '∅')" for c in columns) + ")"
            result[table] = con.execute(
                f"select count(*), coalesce(md5(string_agg({row}, chr(10) order by {row})), '') from raw.{table}"
            ).fetchone()
        return result


def test_a_50_mb_export_loads_whole_and_an_unchanged_resync_reads_nothing(tmp_path: Path) -> None:
    landing = tmp_path / "landing" / str(YEAR)
    landing.mkdir(parents=True)
    export = landing / "stor.csv"
    write_canonical_export(export, RESPONDENTS_50_MB, "s", seed=1)
    assert export.stat().st_size / 2**20 >= 50
    loaded = run_sync(tmp_path / "w.duckdb", landing)
    assert loaded["loaded"] == ["stor.csv"] and loaded["failed"] == []
    assert loaded["n_respondents"] == RESPONDENTS_50_MB
    assert loaded["n_answers"] == expected_answers(export)
    again = run_sync(tmp_path / "w.duckdb", landing)  # unchanged: skipped, nothing read
    assert again["loaded"] == [] and again["failed"] == [] and again["n_answers"] == loaded["n_answers"]


def test_a_load_killed_midway_leaves_the_raw_tables_as_one_clean_run_would(tmp_path: Path) -> None:
    landing = tmp_path / "landing" / str(YEAR)
    landing.mkdir(parents=True)
    for k in range(4):
        write_canonical_export(landing / f"del_{k}.csv", 30_000, f"v1-{k}", seed=k)
    killed = tmp_path / "killed.duckdb"
    assert run_sync(killed, landing)["failed"] == []
    # new versions of every file: the next sync replaces rows file by file
    for k in range(4):
        write_canonical_export(landing / f"del_{k}.csv", 30_000, f"v2-{k}", seed=10 + k)
    marker = tmp_path / "paused"
    process = run_sync(killed, landing, env={"PAUSE_IN_LOAD": str(marker)}, wait=False)
    deadline = time.monotonic() + 300
    while not marker.exists():
        assert process.poll() is None, process.communicate()[1]
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)  # mid-way: one file committed, the next one's transaction open
    process.communicate()
    assert process.returncode == -signal.SIGKILL
    assert marker.read_text() == "del_1.csv"

    resumed = run_sync(killed, landing)
    assert resumed["failed"] == [] and resumed["loaded"] == ["del_1.csv", "del_2.csv", "del_3.csv"]
    clean = run_sync(tmp_path / "clean.duckdb", landing)
    assert clean["loaded"] == ["del_0.csv", "del_1.csv", "del_2.csv", "del_3.csv"]
    assert content_checksum(killed) == content_checksum(tmp_path / "clean.duckdb")
    assert run_sync(killed, landing)["loaded"] == []  # and a further run changes nothing
    assert content_checksum(killed) == content_checksum(tmp_path / "clean.duckdb")


def test_in_process_resync_is_a_no_op_on_the_checksum(tmp_path: Path) -> None:
    landing = tmp_path / "landing" / str(YEAR)
    landing.mkdir(parents=True)
    write_canonical_export(landing / "a.csv", 2_000, "a", seed=3)
    reference = Reference.from_seeds(SEEDS)
    sync_year(tmp_path / "w.duckdb", landing, YEAR, reference, KEY)
    first = content_checksum(tmp_path / "w.duckdb")
    assert sync_year(tmp_path / "w.duckdb", landing, YEAR, reference, KEY).skipped
    assert content_checksum(tmp_path / "w.duckdb") == first
