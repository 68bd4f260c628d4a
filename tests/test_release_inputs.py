"""`make release` of a year nothing has changed for does nothing: each input, changed alone, makes it run again."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration import release_inputs
from orchestration.settings import REPO_ROOT, seeds_dir_setting

YEAR = "2025"


@pytest.fixture
def released(tmp_path: Path, monkeypatch) -> Path:
    """A landing folder, a warehouse and a complete release of YEAR, with its inputs recorded."""
    landing = tmp_path / "landing"
    (landing / YEAR).mkdir(parents=True)
    (landing / YEAR / "bank.csv").write_text("respondent,Q1\nr1,4\n", encoding="utf-8")
    (landing / "2024").mkdir()
    (landing / "2024" / "bank.csv").write_text("respondent,Q1\nr1,5\n", encoding="utf-8")
    warehouse = tmp_path / "warehouse.duckdb"
    warehouse.write_bytes(b"warehouse")
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "items.csv").write_text("item_id\nQ01\n", encoding="utf-8")
    # the seeds folder, for this process and for the command the test runs
    monkeypatch.setattr(release_inputs, "SEEDS_DIR", tmp_path / "seeds")
    for variable, value in seeds_dir_setting(tmp_path / "seeds").items():
        monkeypatch.setenv(variable, value)
    releases = tmp_path / "releases"
    _write_version(releases, "2025-a")
    monkeypatch.setenv("MEDARBEIDERINDEKS_LANDING", str(landing))
    monkeypatch.setenv("MEDARBEIDERINDEKS_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("MEDARBEIDERINDEKS_RELEASES", str(releases))
    release_inputs.record(YEAR, release_inputs.inputs_before_run())
    return tmp_path


def _write_version(releases: Path, version: str) -> None:
    folder = releases / ".versions" / YEAR / version
    (folder / "reports").mkdir(parents=True)
    (folder / "manifest.json").write_text("{}", encoding="utf-8")
    (folder / "reports" / "index.html").write_text("<html></html>", encoding="utf-8")
    link = releases / YEAR
    if link.is_symlink():
        link.unlink()
    link.symlink_to(folder.relative_to(releases), target_is_directory=True)


def _later(path: Path) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_a_release_whose_inputs_are_unchanged_is_current(released: Path) -> None:
    assert release_inputs.why_not_current(YEAR) is None
    recorded = (released / "releases" / ".inputs" / f"{YEAR}.json").read_text(encoding="utf-8")
    assert '"version": "2025-a"' in recorded


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda root: _later(root / "landing" / YEAR / "bank.csv"), "the landing files"),
        (lambda root: _later(root / "landing" / "2024" / "bank.csv"), "the landing files"),  # the year before
        (lambda root: (root / "landing" / YEAR / "insurer.csv").write_text("respondent\n"), "the landing files"),
        (lambda root: (root / "landing" / YEAR / "bank.csv").unlink(), "the landing files"),
        (
            lambda root: (root / "warehouse.duckdb").write_bytes(b"warehouse, rebuilt"),
            "the warehouse (another run wrote it)",
        ),
        (lambda root: (root / "warehouse.duckdb.wal").write_bytes(b"log"), "the warehouse (another run wrote it)"),
        (lambda root: (root / "seeds" / "items.csv").write_text("item_id\nQ02\n"), "the reference seeds"),
    ],
)
def test_each_changed_input_is_named(released: Path, change, named: str) -> None:
    change(released)
    assert release_inputs.why_not_current(YEAR) == f"changed since its release: {named}"


def test_a_changed_setting_or_pseudonym_key_makes_it_run(released: Path, monkeypatch) -> None:
    monkeypatch.setenv("MEDARBEIDERINDEKS_PSEUDONYM_KEY", "another-key")
    assert release_inputs.why_not_current(YEAR) == "changed since its release: the MEDARBEIDERINDEKS_* settings"
    monkeypatch.delenv("MEDARBEIDERINDEKS_PSEUDONYM_KEY")
    assert release_inputs.why_not_current(YEAR) is None
    monkeypatch.setenv("PATH_UNRELATED_TO_THE_RELEASE", "x")
    assert release_inputs.why_not_current(YEAR) is None


def test_a_release_replaced_or_left_incomplete_is_not_current(released: Path) -> None:
    releases = released / "releases"
    (releases / ".versions" / YEAR / "2025-a" / "reports" / "index.html").unlink()
    assert release_inputs.why_not_current(YEAR) == f"releases/{YEAR} is no longer the complete release 2025-a"
    _write_version(releases, "2025-b")  # e.g. released from the UI since
    assert release_inputs.why_not_current(YEAR) == f"releases/{YEAR} is no longer the complete release 2025-a"
    assert release_inputs.why_not_current("2024") == "no release of it recorded by `make release`"


def test_the_project_digest_follows_every_file_by_content(tmp_path: Path) -> None:
    (tmp_path / "orchestration" / "__pycache__").mkdir(parents=True)
    (tmp_path / "orchestration" / "gate.py").write_text("MIN = 5\n", encoding="utf-8")
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "items.csv").write_text("item_id\nQ1\n", encoding="utf-8")
    inputs = ("orchestration", "seeds", "uv.lock")  # uv.lock absent: nothing to read
    first = release_inputs.project_digest(tmp_path, inputs)
    (tmp_path / "orchestration" / "__pycache__" / "gate.cpython-311.pyc").write_bytes(b"cache")
    assert release_inputs.project_digest(tmp_path, inputs) == first
    (tmp_path / "seeds" / "items.csv").write_text("item_id\nQ2\n", encoding="utf-8")
    second = release_inputs.project_digest(tmp_path, inputs)
    assert second != first
    (tmp_path / "seeds" / "items.csv").rename(tmp_path / "seeds" / "items2.csv")
    assert release_inputs.project_digest(tmp_path, inputs) != second
    # the real project: every listed input exists
    assert all((REPO_ROOT / entry).exists() for entry in release_inputs.PROJECT_INPUTS)


def test_the_command_exits_0_only_when_current(released: Path) -> None:
    command = [sys.executable, "-m", "orchestration.release_inputs", YEAR]
    current = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    assert current.returncode == 0, current.stdout + current.stderr
    assert (
        current.stdout
        == f"{YEAR}  release 2025-a is current: nothing has changed since it was built (FORCE=1 releases again)\n"
    )
    _later(released / "landing" / YEAR / "bank.csv")
    stale = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    assert stale.returncode == 1
    assert stale.stdout == f"{YEAR}  to be released: changed since its release: the landing files\n"
