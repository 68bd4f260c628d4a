"""`make release` and `make demo`: the yearly release as a person reads it.

Runs `yearly_index_release` in this process against the project's Dagster instance (so the run shows in the UI),
reads the run's events as they are stored and prints one line per stage and year with the elapsed seconds, then a
summary of the releases, read from their manifests. Everything Dagster, dbt and Great Expectations print goes to one
log file per run (``logs/``); ``VERBOSE=1`` shows it live as well. A failure prints what failed, where, and what to do
before anything else.

    python -m orchestration.cli 2025            # one year (make release YEAR=2025)
    python -m orchestration.cli 2023 2024 2025  # one run per year, stopping at the first failure (make demo)
    python -m orchestration.cli --rebuild-all-years 2025   # recompute every year's marts (make release REBUILD=1)

A release builds its own year's models and keeps the other years' stored rows (orchestration/build_years.py);
``--rebuild-all-years`` rebuilds every loaded year (dbt --full-refresh), e.g. after a change of methodology.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster._core.events import DagsterEventType
from dagster._core.utils import make_new_run_id

from orchestration import release_inputs
from orchestration.ingest.loader import ERROR_SUFFIX
from orchestration.packages import COMPANY, SUPPRESSION_SUMMARY
from orchestration.partitions import survey_years
from orchestration.resources import WarehousePaths
from orchestration.settings import REPO_ROOT

JOB = "yearly_index_release"
LOG_DIR = REPO_ROOT / "logs"
RAW_STEP = "raw_survey_tables"
DBT_STEP = "medarbeiderindeks_dbt"
RELEASE_STEP = "published_release"
REPORTS_STEP = "release_reports"
_POLL_SECONDS = 0.5
_DRAIN_SECONDS = 1.0
_DETAIL_WIDTH = 160
_ERRORS_SHOWN = 5


def shown(path: str | Path) -> str:
    """A path as the person typed it: relative to the working directory when it lies below it."""
    path = Path(path)
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


class Terminal:
    """Where the runner's own lines go. Every other byte written to this process's stdout and stderr (and by dbt,
    which inherits them) goes to the current run's log file, and to the terminal too when ``verbose``."""

    def __init__(self, verbose: bool) -> None:
        self.verbose = verbose
        self.log_path: Path | None = None
        self._log = None
        self._lock = threading.Lock()

    @contextmanager
    def capturing(self) -> Iterator[None]:
        sys.stdout.flush()
        sys.stderr.flush()
        self._terminal = os.dup(1)
        saved_stderr = os.dup(2)
        read_end, write_end = os.pipe()
        pump = threading.Thread(target=self._pump, args=(read_end,), daemon=True)
        pump.start()
        os.dup2(write_end, 1)
        os.dup2(write_end, 2)
        os.close(write_end)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(self._terminal, 1)
            os.dup2(saved_stderr, 2)
            os.close(saved_stderr)
            # What was written is in the pipe already; a helper process (multiprocessing's resource tracker) may
            # hold the pipe open until this process exits, so the pump gets a moment to drain, not an end of file.
            pump.join(timeout=_DRAIN_SECONDS)
            self.start_log(None)

    def _pump(self, read_end: int) -> None:
        while chunk := os.read(read_end, 1 << 16):
            with self._lock:
                if self._log is not None:
                    self._log.write(chunk)
                    self._log.flush()
                if self.verbose:
                    os.write(self._terminal, chunk)

    def start_log(self, path: Path | None) -> None:
        """From now on the captured output goes to ``path`` (None: nowhere)."""
        sys.stdout.flush()
        sys.stderr.flush()
        with self._lock:
            if self._log is not None:
                self._log.close()
            self._log = None
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._log = open(path, "ab")  # noqa: SIM115 (closed by the next start_log)
            self.log_path = path

    def say(self, line: str = "") -> None:
        data = (line + "\n").encode()
        with self._lock:
            if self._log is not None:
                self._log.write(data)
                self._log.flush()
            os.write(self._terminal, data)


@dataclass
class YearResult:
    year: str
    succeeded: bool = False
    respondents: int | None = None
    release_path: Path | None = None
    manifest: dict[str, Any] = field(default_factory=dict)


class RunProgress:
    """Turns a run's stored events into the lines a person reads, as they arrive."""

    def __init__(self, result: YearResult, paths: WarehousePaths, say: Callable[[str], None]) -> None:
        self.result = result
        self.paths = paths
        self.say = say
        self.started = time.monotonic()
        self.n_files = 0
        self.dbt_models = 0
        self.dbt_tests = 0
        self.failed_checks: list[str] = []
        self.failed_step: str | None = None
        self.rejected_files: list[str] = []  # where rejected exports were moved, relative to the year folder
        self.ended = False

    def line(self, text: str) -> None:
        self.say(f"{self.result.year}  {text:<66} {time.monotonic() - self.started:6.1f} s")

    def handle(self, event: dg.DagsterEvent) -> None:
        data = event.event_specific_data
        if event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
            self._materialized(event.step_key, data.materialization)
        elif event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            if event.step_key == DBT_STEP:
                self.dbt_tests += 1
            if not data.passed:
                self._check_failed(data)
        elif event.event_type == DagsterEventType.STEP_SUCCESS and event.step_key == RAW_STEP:
            self.line(f"loaded {self.n_files} files: {self.result.respondents:,} respondents")
        elif event.event_type == DagsterEventType.STEP_SUCCESS and event.step_key == DBT_STEP:
            self.line(f"built marts: {self.dbt_models} dbt models, {self.dbt_tests} dbt tests passed")
        elif event.event_type == DagsterEventType.STEP_FAILURE and not (self.failed_checks or self.failed_step):
            self._step_failed(event.step_key, data.error)
        elif event.event_type == DagsterEventType.RUN_SUCCESS:
            self.ended = True
        elif event.event_type == DagsterEventType.RUN_FAILURE:
            self.ended = True
            if not (self.failed_checks or self.failed_step):
                self._step_failed(None, data.error if data is not None else None)
            self.advise()

    def _materialized(self, step_key: str | None, materialization: dg.AssetMaterialization) -> None:
        key = materialization.asset_key.to_user_string()
        metadata = {name: value.value for name, value in materialization.metadata.items()}
        if key == "raw_survey_exports":
            self.n_files = sum(1 for f in metadata["files"] if f["status"] != "withdrawn")
        elif key == "raw_respondents":
            self.result.respondents = int(metadata["respondents"])
        elif step_key == DBT_STEP:
            self.dbt_models += 1
        elif key == RELEASE_STEP:
            self._released(Path(metadata["path"]))
        elif key == REPORTS_STEP:
            self.line(
                f"reports written: {metadata['html']} HTML, {metadata['pdf']} PDF: {shown(Path(metadata['index']))}"
            )

    def _released(self, link: Path) -> None:
        manifest = json.loads((link / "manifest.json").read_text(encoding="utf-8"))
        checks = manifest["checks"]
        self.line(f"{sum(c['passed'] for c in checks)} of {len(checks)} checks passed (dbt tests, Great Expectations)")
        audit = manifest.get("audit") or {}
        if not audit:
            self.line("disclosure audit: none recorded in the manifest")
        elif audit.get("passed", True):
            self.line(
                f"disclosure audit passed: {audit.get('pool_intervals', 0):,} protected values, "
                f"{audit.get('subgroup_audits', 0):,} subgroup audits, {audit.get('packages', 0)} packages"
            )
        self.line(f"release written: {shown(link)} ({manifest['release_id']})")
        self.result.succeeded = True
        self.result.release_path = link
        self.result.manifest = manifest

    def _check_failed(self, evaluation: Any) -> None:
        """The failing check, with the rows or files it names (all of them are in the log and the UI)."""
        asset = evaluation.asset_key.to_user_string()
        metadata = {name: value.value for name, value in evaluation.metadata.items()}
        self.failed_checks.append(evaluation.check_name)
        if evaluation.check_name == "all_exports_loaded":
            failed = [f for f in metadata["files"] if f["status"] == "failed"]
            self.line(f"FAILED: {len(failed)} of {len(metadata['files'])} export files rejected (all_exports_loaded)")
            for message in metadata["rejected"][:_ERRORS_SHOWN]:
                self.say(f"  {message}")
            self.rejected_files += [f["quarantined"] for f in failed if f["quarantined"]]
            return
        self.line(f"FAILED: check {evaluation.check_name} on {asset}")
        for name, value in metadata.items():
            if isinstance(value, list) and value:  # the failing rows; scalars are the thresholds it used
                for item in value[:2]:
                    text = json.dumps(item, ensure_ascii=False, default=str)
                    self.say(f"  {name}: {text[:_DETAIL_WIDTH]}{'…' if len(text) > _DETAIL_WIDTH else ''}")

    def _step_failed(self, step_key: str | None, error: Any) -> None:
        self.failed_step = step_key or "run"
        message = (error.message if error is not None else "").strip().splitlines() or ["(no message)"]
        self.line(f"FAILED in {step_key}")
        for text in message[:_ERRORS_SHOWN]:
            self.say(f"  {text[:_DETAIL_WIDTH]}")

    def advise(self) -> None:
        """What to do after a failed run: said once, after every failure of the run is shown."""
        year = self.result.year
        self.say(f"  Nothing was published: {shown(Path(self.paths.releases_dir) / year)} is as it was.")
        if self.rejected_files:
            year_dir = shown(self.paths.year_dir(year))
            for quarantined in self.rejected_files:
                self.say(f"  The file is now in {year_dir}/{quarantined}, why beside it in {ERROR_SUFFIX}.")
            self.say(f"  What to do: put a corrected file of the same name in {year_dir}/ (it clears the quarantine")
            self.say(f"  entry), or delete the quarantined file and its {ERROR_SUFFIX} to withdraw it.")
        elif self.failed_checks:
            self.say("  What to do: the check names the failing rows (all of them in the log, or in the UI: make ui")
            self.say("  → Runs); correct the data or the thresholds.")
        else:
            self.say("  What to do: the log has the full error; fix its cause.")
        self.say(f"  Then run `make release YEAR={year}` again.")


@contextmanager
def partition_for_run(instance: dg.DagsterInstance, year: str) -> Iterator[None]:
    """The year as a partition for the run's duration. A year this run added is removed again afterwards, so a
    release against another landing folder leaves the instance offering what it offered before (the landing sensor
    and `register_years` keep the UI's list to the landing folder the UI is configured with)."""
    added = not instance.has_dynamic_partition(survey_years.name, year)
    if added:
        instance.add_dynamic_partitions(survey_years.name, [year])
    try:
        yield
    finally:
        if added:
            instance.delete_dynamic_partition(survey_years.name, year)


def rebuild_run_config(rebuild_all_years: bool) -> dict[str, Any] | None:
    """The run config that makes the dbt asset rebuild every loaded year (dbt --full-refresh); None otherwise."""
    if not rebuild_all_years:
        return None
    return {"ops": {DBT_STEP: {"config": {"rebuild_all_years": True}}}}


def release_year(
    year: str,
    *,
    job: dg.JobDefinition,
    instance: dg.DagsterInstance,
    paths: WarehousePaths,
    terminal: Terminal,
    rebuild_all_years: bool = False,
) -> YearResult:
    """One run of the release job for ``year``, its progress printed as its events are stored."""
    result = YearResult(year)
    progress = RunProgress(result, paths, terminal.say)
    run_id = make_new_run_id()  # known before the run starts, so its events can be followed from the first
    finished = threading.Event()

    def follow() -> None:
        cursor = None
        while True:
            done = finished.is_set()  # read before fetching: the last fetch then sees every stored event
            connection = instance.get_records_for_run(run_id=run_id, cursor=cursor)
            for record in connection.records:
                if record.event_log_entry.dagster_event is None:
                    continue
                try:
                    progress.handle(record.event_log_entry.dagster_event)
                except Exception as error:  # a display problem must not hide the rest of the run's progress
                    terminal.say(f"  (could not show an event: {error!r}; the log has it)")
            cursor = connection.cursor
            if done and not connection.has_more:
                return
            if not connection.has_more:
                time.sleep(_POLL_SECONDS)

    follower = threading.Thread(target=follow, daemon=True)
    follower.start()
    try:
        with partition_for_run(instance, year):
            job.execute_in_process(
                partition_key=year,
                instance=instance,
                run_id=run_id,
                run_config=rebuild_run_config(rebuild_all_years),
                raise_on_error=False,
            )
    finally:
        finished.set()
        follower.join()
    if not progress.ended:  # the run never started, or stopped without saying so
        progress.line("FAILED: the run did not end normally")
        progress.advise()
    return result


def suppressed_cells(release: Path, year: str) -> int:
    """Cells suppressed in the year's internal package (every table, every company): its suppression summary."""
    database = release / "internal" / f"medarbeiderindeks_{year}.duckdb"
    with duckdb.connect(str(database), read_only=True) as con:
        (total,) = con.execute(f"select coalesce(sum(n_cells), 0) from published.{SUPPRESSION_SUMMARY}").fetchone()
    return int(total)


def summary(results: list[YearResult]) -> list[str]:
    """The releases of this invocation: one row per year, and where each audience package is."""
    lines = ["", "year  respondents  companies  suppressed cells  packages"]
    for r in results:
        packages = r.manifest["packages"]
        companies = sum(1 for p in packages.values() if p["audience"] == COMPANY)
        where = shown(r.release_path)
        lines.append(
            f"{r.year}  {r.respondents or 0:>11,}  {companies:>9}  {suppressed_cells(r.release_path, r.year):>16,}  "
            f"{where}/public, {where}/companies/ ({companies}), {where}/internal"
        )
    example = shown(results[-1].release_path / "public" / f"medarbeiderindeks_{results[-1].year}.duckdb")
    lines += [
        "",
        "Each package: medarbeiderindeks_<year>.duckdb (schema published), parquet/, csv/, manifest.json.",
        "public: national and industry figures; companies/<id>: one participant's own; internal: every company.",
        "Open one read-only:",
        f"  .venv/bin/python -c \"import duckdb; print(duckdb.connect('{example}', read_only=True)"
        ".sql('from published.national_headlines limit 5'))\"",
    ]
    return lines


def _release(year: str, terminal: Terminal, rebuild_all_years: bool = False) -> YearResult:
    # Imported while output is captured: loading the definitions prints warnings that belong in the log.
    from orchestration.definitions import build_definitions, configured_paths

    paths = configured_paths()
    year_dir = shown(paths.year_dir(year))
    if not paths.year_dir(year).is_dir():
        terminal.say(f"{year}  FAILED: no landing folder {year_dir}")
        terminal.say(f"  What to do: put the year's survey exports in {year_dir}/ and run again")
        terminal.say("  (`make demo-data` writes made-up exports for the demo years).")
        return YearResult(year)
    job = build_definitions(paths).get_job_def(JOB)
    with dg.DagsterInstance.get() as instance:
        return release_year(
            year, job=job, instance=instance, paths=paths, terminal=terminal, rebuild_all_years=rebuild_all_years
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.cli", description=__doc__.split("\n")[0])
    parser.add_argument("years", nargs="+", help="survey years to release, one run each")
    parser.add_argument("--verbose", action="store_true", help="show Dagster's and dbt's output live (VERBOSE=1)")
    parser.add_argument(
        "--rebuild-all-years",
        action="store_true",
        help="rebuild every loaded year's models (dbt --full-refresh), not only the released year (REBUILD=1)",
    )
    args = parser.parse_args(argv)
    verbose = args.verbose or os.environ.get("VERBOSE", "") not in {"", "0"}
    os.environ.setdefault("DAGSTER_HOME", str(REPO_ROOT / ".dagster"))

    terminal = Terminal(verbose)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    results: list[YearResult] = []
    with terminal.capturing():
        for year in args.years:
            terminal.start_log(LOG_DIR / f"release-{year}-{stamp}.log")
            hint = "" if verbose else " (VERBOSE=1 shows it live)"
            terminal.say(f"{year}  release: full log in {shown(terminal.log_path)}{hint}")
            before = release_inputs.inputs_before_run()
            result = _release(year, terminal, rebuild_all_years=args.rebuild_all_years)
            if not result.succeeded:
                terminal.say(f"  Full log: {shown(terminal.log_path)}")
                return 1
            release_inputs.record(year, before)
            results.append(result)
        terminal.start_log(None)
    for line in summary(results):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
