"""Writing a yearly release: a standalone DuckDB file, Parquet, CSV and a manifest, published atomically.

A release is written aside, under ``releases/.versions/<year>/<release_id>/``, and becomes visible only when
complete, by atomically swapping the ``releases/<year>`` symlink to it. A run that dies half-way leaves the
previous release exactly as it was; earlier versions stay on disk, unchanged, for audit.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from orchestration.settings import REPO_ROOT

PUBLISHED_SCHEMA = "published"
# A published table must never carry these (methodology §6: no respondent-level rows or identifiers).
FORBIDDEN_COLUMNS = frozenset({"respondent_id", "comment", "comments", "email", "name", "ip_address"})


class ReleaseError(RuntimeError):
    """The release could not be written; the previous release is untouched."""


@dataclass(frozen=True)
class Release:
    release_id: str
    year: int
    path: Path
    manifest: dict[str, Any]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def code_version() -> str:
    try:
        return subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _sql_string(value: object) -> str:
    """A path as a SQL string literal (ATTACH and COPY take no bound parameters)."""
    return "'" + str(value).replace("'", "''") + "'"


def _write_tables(warehouse_path: str, year: int, out_dir: Path) -> dict[str, dict[str, Any]]:
    database = out_dir / f"medarbeiderindeks_{year}.duckdb"
    (out_dir / "parquet").mkdir()
    (out_dir / "csv").mkdir()
    tables: dict[str, dict[str, Any]] = {}
    with duckdb.connect(str(database)) as con:
        con.execute(f"attach {_sql_string(warehouse_path)} as warehouse (read_only)")
        names = [
            row[0]
            for row in con.execute(
                "select table_name from duckdb_tables() where database_name = 'warehouse' and schema_name = ? "
                "order by table_name",
                [PUBLISHED_SCHEMA],
            ).fetchall()
        ]
        if not names:
            raise ReleaseError(f"the warehouse {warehouse_path} has no tables in schema '{PUBLISHED_SCHEMA}'")
        con.execute(f"create schema {PUBLISHED_SCHEMA}")
        for name in names:
            columns = {
                row[0]
                for row in con.execute(
                    "select column_name from duckdb_columns() where database_name = 'warehouse' "
                    "and schema_name = ? and table_name = ?",
                    [PUBLISHED_SCHEMA, name],
                ).fetchall()
            }
            if leaked := columns & FORBIDDEN_COLUMNS:
                raise ReleaseError(f"published.{name} carries respondent-level columns {sorted(leaked)}")
            if "year" not in columns:
                raise ReleaseError(f"published.{name} has no year column")
            con.execute(
                f"create table {PUBLISHED_SCHEMA}.{name} as "
                f"select * from warehouse.{PUBLISHED_SCHEMA}.{name} where year = ?",
                [year],
            )
            rows = con.execute(f"select count(*) from {PUBLISHED_SCHEMA}.{name}").fetchone()[0]
            con.execute(f"copy {PUBLISHED_SCHEMA}.{name} to '{out_dir / 'parquet' / name}.parquet' (format parquet)")
            con.execute(f"copy {PUBLISHED_SCHEMA}.{name} to '{out_dir / 'csv' / name}.csv' (header, delimiter ',')")
            tables[name] = {"rows": rows, "files": [f"parquet/{name}.parquet", f"csv/{name}.csv"]}
        con.execute("detach warehouse")
    return tables


def _fsync_tree(root: Path) -> None:
    for path in sorted(root.rglob("*")):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())


def write_release(
    *,
    warehouse_path: str,
    releases_dir: str,
    year: int,
    thresholds: Mapping[str, float | str],
    checks: Sequence[Mapping[str, Any]],
    run_id: str | None = None,
    demo: bool = False,
    evidence: Mapping[str, bytes] | None = None,
) -> Release:
    """Publish ``year`` from the warehouse's ``published`` schema to ``releases_dir/<year>``, atomically.
    ``evidence`` (relative path → bytes: the gate's validation results) is written beside the tables."""
    created = datetime.now(UTC)
    release_id = f"{year}-{created:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    root = Path(releases_dir)
    versions = root / ".versions" / str(year)
    versions.mkdir(parents=True, exist_ok=True)
    partial = versions / f"{release_id}.partial"
    final = versions / release_id
    link = root / str(year)
    if link.exists() and not link.is_symlink():
        raise ReleaseError(f"{link} exists and is not a release link; move it away before publishing")
    try:
        partial.mkdir()
        tables = _write_tables(warehouse_path, year, partial)
        for relative, content in (evidence or {}).items():
            target = partial / relative
            if Path(relative).is_absolute() or ".." in Path(relative).parts:
                raise ReleaseError(f"evidence path {relative!r} leaves the release folder")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        files = {
            str(path.relative_to(partial)): sha256_of(path) for path in sorted(partial.rglob("*")) if path.is_file()
        }
        manifest = {
            "release_id": release_id,
            "year": year,
            "created_at": created.isoformat(),
            "code_version": code_version(),
            "run_id": run_id,
            "demo": demo,
            "thresholds": dict(thresholds),
            "tables": tables,
            "files": files,
            "checks": list(checks),
            "evidence": sorted(evidence or {}),
        }
        (partial / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", "utf-8")
        _fsync_tree(partial)
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    # The one step that makes the release visible: an atomic rename of a fresh symlink over the old one.
    staged_link = root / f".{year}.{uuid.uuid4().hex[:8]}.link"
    staged_link.symlink_to(final.relative_to(root), target_is_directory=True)
    os.replace(staged_link, link)
    return Release(release_id=release_id, year=year, path=link, manifest=manifest)
