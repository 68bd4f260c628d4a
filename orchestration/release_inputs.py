"""Whether a year's release is current, so that `make release` of a year nothing has changed for does nothing.

A release is a function of its inputs: the landing files (every year's: a year's figures compare with the year
before), the project's code, dbt project and expectations, the reference seeds (wherever MEDARBEIDERINDEKS_SEEDS_DIR
puts them), the locked environment (uv.lock), the ``MEDARBEIDERINDEKS_*`` settings, and the warehouse the run built
(a run launched from the UI, or another year's release, changes it). After each successful `make release`, the
runner records their fingerprint beside the releases (``<releases>/.inputs/<year>.json``) with the release version
it wrote. A later `make release` of the year whose inputs have the same fingerprint, and whose ``releases/<year>``
is still that complete version (manifest and reports), has nothing to do: it says so and exits without starting
Dagster or dbt (``FORCE=1`` releases anyway).

Landing files and the warehouse are fingerprinted by path, size and modification time, as make does (hashing a
national year's exports would cost more than the check saves); the project's own files by content. Anything this
module cannot read makes the year not current: when in doubt the release runs. This module imports neither Dagster
nor dbt, so the check costs well under a second.

    python -m orchestration.release_inputs 2025   # exit 0: current (says so); exit 1: to be released (says why)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from orchestration.settings import REPO_ROOT, SEEDS_DIR, configured_path

SETTINGS_PREFIX = "MEDARBEIDERINDEKS_"
RECORDS_DIR = ".inputs"
# The project's files a release depends on, by content (caches and build output are not inputs).
PROJECT_INPUTS = (
    "orchestration",
    "dbt_project/models",
    "dbt_project/macros",
    "dbt_project/tests",
    "dbt_project/dbt_project.yml",
    "dbt_project/profiles.yml",
    "expectations",
    "pyproject.toml",
    "uv.lock",
)
_NOT_INPUTS = {"__pycache__", ".pytest_cache"}


def _files(path: Path) -> Iterator[Path]:
    if path.is_file():
        yield path
    elif path.is_dir():
        for folder, names, files in os.walk(path):
            names[:] = sorted(name for name in names if name not in _NOT_INPUTS)
            for name in sorted(files):
                yield Path(folder) / name


def project_digest(root: Path = REPO_ROOT, inputs: Iterable[str] = PROJECT_INPUTS) -> str:
    """SHA-256 over the relative path and content of every project file a release depends on."""
    digest = hashlib.sha256()
    for entry in inputs:
        for path in _files(root / entry):
            digest.update(str(path.relative_to(root)).encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def seeds_digest(seeds_dir: Path) -> str:
    """The reference seeds' files by content (the top-level seeds/, or MEDARBEIDERINDEKS_SEEDS_DIR's folder)."""
    return project_digest(seeds_dir.parent, (seeds_dir.name,))


def stat_digest(paths: Iterable[Path], root: Path) -> str:
    """Each file's path (relative to ``root``), size and modification time, as make compares files."""
    digest = hashlib.sha256()
    for path in paths:
        stat = path.stat()
        digest.update(f"{path.relative_to(root)}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
    return digest.hexdigest()


def landing_digest(landing: Path) -> str:
    """Every landing file's path, size and modification time (every year's folder)."""
    return stat_digest(_files(landing), landing)


def warehouse_digest(warehouse: Path) -> str:
    """The warehouse file and its write-ahead log, by size and modification time (absent: a digest of nothing)."""
    parts = [p for p in (warehouse, warehouse.with_name(warehouse.name + ".wal")) if p.is_file()]
    return stat_digest(parts, warehouse.parent)


def settings_digest(environment: dict[str, str]) -> str:
    """The MEDARBEIDERINDEKS_* settings (the pseudonym key among them: only its digest is kept)."""
    chosen = sorted((name, value) for name, value in environment.items() if name.startswith(SETTINGS_PREFIX))
    return hashlib.sha256(json.dumps(chosen).encode()).hexdigest()


def inputs_before_run() -> dict[str, str]:
    """The inputs a run reads, taken before it starts (a file landing during the run is then not counted as in)."""
    return {
        "project": project_digest(),
        "seeds": seeds_digest(SEEDS_DIR),
        "landing": landing_digest(Path(configured_path("MEDARBEIDERINDEKS_LANDING"))),
        "settings": settings_digest(dict(os.environ)),
    }


def _warehouse() -> Path:
    return Path(configured_path("MEDARBEIDERINDEKS_WAREHOUSE"))


def _releases() -> Path:
    return Path(configured_path("MEDARBEIDERINDEKS_RELEASES"))


def _record_path(year: str) -> Path:
    return _releases() / RECORDS_DIR / f"{year}.json"


def released_version(year: str) -> str | None:
    """The version ``releases/<year>`` points to, when it is complete (its manifest and reports are written)."""
    link = _releases() / str(year)
    if not link.is_symlink():
        return None
    target = link.resolve()
    if not (target / "manifest.json").is_file() or not (target / "reports" / "index.html").is_file():
        return None
    return target.name


def record(year: str, before: dict[str, str]) -> None:
    """After a successful release of ``year``: its inputs (``before`` the run, the warehouse as the run left it)."""
    version = released_version(year)
    if version is None:
        return
    entry = {
        **before,
        "warehouse": warehouse_digest(_warehouse()),
        "version": version,
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    path = _record_path(year)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = path.with_suffix(".json.tmp")
    written.write_text(json.dumps(entry, indent=2, sort_keys=True), encoding="utf-8")
    written.replace(path)


def why_not_current(year: str) -> str | None:
    """None when the year's release is current; else what changed since it was built (or that it never was)."""
    try:
        recorded = json.loads(_record_path(year).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "no release of it recorded by `make release`"
    if released_version(year) != recorded.get("version"):
        return f"releases/{year} is no longer the complete release {recorded.get('version')}"
    try:
        now = {**inputs_before_run(), "warehouse": warehouse_digest(_warehouse())}
    except OSError as error:
        return f"an input could not be read ({error})"
    names = {
        "project": "the project's code, dbt models or expectations",
        "seeds": "the reference seeds",
        "landing": "the landing files",
        "settings": "the MEDARBEIDERINDEKS_* settings",
        "warehouse": "the warehouse (another run wrote it)",
    }
    changed = [label for key, label in names.items() if recorded.get(key) != now[key]]
    return None if not changed else "changed since its release: " + ", ".join(changed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.release_inputs", description=__doc__.split("\n")[0])
    parser.add_argument("year", help="the survey year whose release to check")
    year = parser.parse_args(argv).year
    reason = why_not_current(year)
    if reason is None:
        version = released_version(year)
        print(f"{year}  release {version} is current: nothing has changed since it was built (FORCE=1 releases again)")
        return 0
    print(f"{year}  to be released: {reason}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
