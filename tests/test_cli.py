"""The release runner as a person meets it (`make release`, `make demo`): short progress on success, the bad file
named in the first lines on failure, the full output in the run's log, and the project's instance left offering
the years it offered before a release against another landing folder."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.settings import REPO_ROOT
from tests.survey_fixtures import NINE_COMPANIES, small_survey, write_landing

YEAR = 2025  # a year the test's instance does not offer before the run (it has KNOWN_YEAR only)
SIZES = NINE_COMPANIES
KNOWN_YEAR = "2024"  # offered by the instance before the run: the UI's landing folder has it


def _environment(tmp_path: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "MEDARBEIDERINDEKS_LANDING": str(tmp_path / "landing"),
        "MEDARBEIDERINDEKS_WAREHOUSE": str(tmp_path / "warehouse.duckdb"),
        "MEDARBEIDERINDEKS_RELEASES": str(tmp_path / "releases"),
        "MEDARBEIDERINDEKS_PSEUDONYM_KEY": "cli-test-key",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    env.pop("VERBOSE", None)
    return env


def _run_release(tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """`python -m orchestration.cli YEAR` (what `make release` runs) against another landing folder, with an
    instance that already offers KNOWN_YEAR; returns the run and the instance's partitions afterwards."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO_ROOT / ".dagster" / "dagster.yaml", home / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.add_dynamic_partitions("survey_year", [KNOWN_YEAR])
    env = _environment(tmp_path)
    run = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", str(YEAR)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    with dg.DagsterInstance.from_config(str(home)) as instance:
        partitions = instance.get_dynamic_partitions("survey_year")
    return run, partitions


def _log_of(stdout: str, cwd: Path) -> Path:
    (path,) = re.findall(r"full log in (\S+\.log)", stdout)
    return cwd / path if not Path(path).is_absolute() else Path(path)


def test_a_planted_bad_file_is_named_with_row_and_column_in_the_first_lines(tmp_path: Path) -> None:
    survey = small_survey(YEAR, SIZES, seed=3)
    write_landing(tmp_path / "landing", YEAR, survey)
    bad = tmp_path / "landing" / str(YEAR) / "fjelltele.csv"
    lines = bad.read_text(encoding="utf-8").splitlines()
    cells = lines[3].split(",")  # data row 3 (the header is not counted)
    cells[lines[0].split(",").index("Q07")] = "9"  # off the 1–6 scale
    lines[3] = ",".join(cells)
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")

    run, partitions = _run_release(tmp_path)

    assert run.returncode == 1, run.stdout + run.stderr
    first = run.stdout.splitlines()[:10]
    failure = next(line for line in first if "fjelltele.csv" in line and "row" in line)
    assert "data row 3" in failure and "'Q07'" in failure, first
    assert any("What to do" in line for line in first), first
    assert not (tmp_path / "releases" / str(YEAR)).exists()
    # Dagster's own output is in the run's log, not on the terminal.
    assert "STEP_START" not in run.stdout and "STEP_START" in _log_of(run.stdout, tmp_path).read_text()
    assert partitions == [KNOWN_YEAR]


def _suppressed_cells(database: Path) -> int:
    """Counted from the package's tables themselves, not from the suppression summary the release writes."""
    with duckdb.connect(str(database), read_only=True) as con:
        tables = con.execute(
            "select table_name from duckdb_columns() where schema_name = 'published' and column_name = 'suppressed'"
        ).fetchall()
        return sum(
            con.execute(f"select count(*) from published.{table} where suppressed").fetchone()[0] for (table,) in tables
        )


def test_a_release_prints_one_line_per_stage_and_a_summary(tmp_path: Path) -> None:
    survey = small_survey(YEAR, SIZES, seed=7)
    write_landing(tmp_path / "landing", YEAR, survey)

    run, partitions = _run_release(tmp_path)

    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert len(lines) < 20, run.stdout  # three years of the demo stay well under 60 lines
    stages = [line.split()[1] for line in lines if line.startswith(f"{YEAR}  ") and not line.split()[1][0].isdigit()]
    assert stages[:3] == ["release:", "loaded", "built"] and stages[-2:] == ["release", "reports"], lines
    assert f"loaded {len(SIZES)} files: {len(survey)} respondents" in run.stdout
    release = tmp_path / "releases" / str(YEAR)
    (row,) = [line for line in lines if re.match(rf"{YEAR}\s+[\d,]+\s+\d+\s+[\d,]+\s", line)]
    respondents, companies, suppressed = (int(v.replace(",", "")) for v in row.split()[1:4])
    assert respondents == len(survey)
    assert companies == len(SIZES)
    assert suppressed == _suppressed_cells(release / "internal" / f"medarbeiderindeks_{YEAR}.duckdb") > 0
    assert "public" in row and "companies/" in row and "internal" in row
    assert "STEP_START" not in run.stdout
    assert partitions == [KNOWN_YEAR]

    # the release recorded its inputs: the same `make release` again has nothing to do, until a landing file changes
    check = [sys.executable, "-m", "orchestration.release_inputs", str(YEAR)]
    again = subprocess.run(check, cwd=tmp_path, env=_environment(tmp_path), capture_output=True, text=True)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"release {release.resolve().name} is current" in again.stdout
    landed = next((tmp_path / "landing" / str(YEAR)).iterdir())
    landed.touch()
    changed = subprocess.run(check, cwd=tmp_path, env=_environment(tmp_path), capture_output=True, text=True)
    assert (changed.returncode, changed.stdout) == (
        1,
        f"{YEAR}  to be released: changed since its release: the landing files\n",
    )


_CAPTURE = """
import subprocess, sys
from pathlib import Path
from orchestration.cli import Terminal

terminal = Terminal(verbose=sys.argv[2] == "1")
with terminal.capturing():
    terminal.start_log(Path(sys.argv[1]))
    terminal.say("2031  progress line")
    print("dagster event line", flush=True)
    print("a warning", file=sys.stderr, flush=True)
    subprocess.run(["echo", "dbt child line"], check=True)
"""


@pytest.mark.parametrize("verbose", ["0", "1"])
def test_everything_else_goes_to_the_log_and_to_the_terminal_only_when_verbose(tmp_path: Path, verbose: str) -> None:
    log = tmp_path / "run.log"
    run = subprocess.run(
        [sys.executable, "-c", _CAPTURE, str(log), verbose], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    others = ["dagster event line", "a warning", "dbt child line"]
    assert all(line in log.read_text() for line in ["2031  progress line", *others])
    shown = (run.stdout + run.stderr).splitlines()
    assert shown.count("2031  progress line") == 1
    assert all((line in shown) == (verbose == "1") for line in others), shown
