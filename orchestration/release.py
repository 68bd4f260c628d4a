"""Writing a yearly release: one package per audience (orchestration/packages.py), published atomically.

A release is first staged aside, under ``releases/.versions/<year>/<release_id>.staged/``: every package (a
standalone DuckDB file, Parquet, CSV and the package's manifest). Only after the disclosure audit has passed on the
staged packages is it published: the release manifest is written, the folder renamed to its final name and the
``releases/<year>`` symlink swapped to it atomically. A run that dies half-way, or an audit that fails, leaves the
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

from orchestration.packages import ABSENT, SUPPRESSION_SUMMARY, Package, packages_for
from orchestration.settings import REPO_ROOT

PUBLISHED_SCHEMA = "published"
# A published table must never carry these (methodology §6: no respondent-level rows or identifiers).
FORBIDDEN_COLUMNS = frozenset({"respondent_id", "comment", "comments", "email", "name", "ip_address"})


class ReleaseError(RuntimeError):
    """The release could not be written; the previous release is untouched."""


@dataclass(frozen=True)
class StagedRelease:
    """Packages written aside, not yet visible: ``path`` is the staging folder."""

    release_id: str
    year: int
    path: Path
    packages: dict[str, dict[str, Any]]
    created_at: str


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


def _published_tables(con: duckdb.DuckDBPyConnection, warehouse_path: str) -> dict[str, dict[str, str]]:
    """The warehouse's published tables and their column types; refuses respondent-level columns."""
    columns = con.execute(
        "select table_name, column_name, data_type from duckdb_columns() "
        "where database_name = 'warehouse' and schema_name = ? order by table_name, column_index",
        [PUBLISHED_SCHEMA],
    ).fetchall()
    tables: dict[str, dict[str, str]] = {}
    for table, column, data_type in columns:
        tables.setdefault(table, {})[column] = data_type
    if not tables:
        raise ReleaseError(f"the warehouse {warehouse_path} has no tables in schema '{PUBLISHED_SCHEMA}'")
    for name, table_columns in tables.items():
        if leaked := set(table_columns) & FORBIDDEN_COLUMNS:
            raise ReleaseError(f"published.{name} carries respondent-level columns {sorted(leaked)}")
        if "year" not in table_columns:
            raise ReleaseError(f"published.{name} has no year column")
    # the writer derives each package's suppression summary from the package's own tables
    tables.pop(SUPPRESSION_SUMMARY, None)
    return tables


def _write_suppression_summary(con: duckdb.DuckDBPyConnection, year: int) -> None:
    """How many cells of each of the package's tables are suppressed, and why: counted in this package only."""
    tables = [
        row[0]
        for row in con.execute(
            "select table_name from duckdb_columns() where database_name = current_database() "
            "and schema_name = ? and column_name = 'suppressed' order by table_name",
            [PUBLISHED_SCHEMA],
        ).fetchall()
    ]
    cells = " union all ".join(
        f"select '{t}' as table_name, suppression_reason from {PUBLISHED_SCHEMA}.{t} where suppressed" for t in tables
    )
    con.execute(
        f"create table {PUBLISHED_SCHEMA}.{SUPPRESSION_SUMMARY} as "
        "select cast($year as integer) as year, cast(table_name as varchar) as table_name, "
        "cast(suppression_reason as varchar) as suppression_reason, cast(count(*) as integer) as n_cells "
        f"from ({cells or 'select null as table_name, null as suppression_reason where false'}) "
        "group by all order by table_name, suppression_reason",
        {"year": year},
    )


def _write_package(warehouse_path: str, year: int, package: Package, out_dir: Path) -> dict[str, Any]:
    """One audience package: its rows of every published table as DuckDB (schema published), Parquet and CSV."""
    out_dir.mkdir(parents=True)
    (out_dir / "parquet").mkdir()
    (out_dir / "csv").mkdir()
    database = out_dir / f"medarbeiderindeks_{year}.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute(f"attach {_sql_string(warehouse_path)} as warehouse (read_only)")
        con.execute(f"create schema {PUBLISHED_SCHEMA}")
        for name, columns in _published_tables(con, warehouse_path).items():
            rows = package.rows(name)
            if rows == ABSENT:
                continue
            masked = [c for c in package.masked_columns(name) if c in columns]
            replace = f" replace ({', '.join(f'cast(null as {columns[c]}) as {c}' for c in masked)})" if masked else ""
            parameters: dict[str, Any] = {"year": year}
            if rows and "$company_id" in rows:
                parameters["company_id"] = package.company_id
            con.execute(
                f"create table {PUBLISHED_SCHEMA}.{name} as select *{replace} "
                f"from warehouse.{PUBLISHED_SCHEMA}.{name} where year = $year" + (f" and ({rows})" if rows else ""),
                parameters,
            )
        con.execute("detach warehouse")
        _write_suppression_summary(con, year)
        tables: dict[str, Any] = {}
        names = con.execute(
            "select table_name from duckdb_tables() where schema_name = ? order by table_name", [PUBLISHED_SCHEMA]
        ).fetchall()
        for (name,) in names:
            tables[name] = {
                "rows": con.execute(f"select count(*) from {PUBLISHED_SCHEMA}.{name}").fetchone()[0],
                "files": [f"parquet/{name}.parquet", f"csv/{name}.csv"],
            }
            parquet, csv = out_dir / "parquet" / f"{name}.parquet", out_dir / "csv" / f"{name}.csv"
            con.execute(f"copy {PUBLISHED_SCHEMA}.{name} to {_sql_string(parquet)} (format parquet)")
            con.execute(f"copy {PUBLISHED_SCHEMA}.{name} to {_sql_string(csv)} (header, delimiter ',')")
    manifest = {
        "package": package.name,
        "audience": package.audience,
        "company_id": package.company_id,
        "year": year,
        "tables": tables,
        "files": _checksums(out_dir),
    }
    _write_json(out_dir / "manifest.json", manifest)
    return manifest


def _participants(warehouse_path: str, year: int) -> list[str]:
    """The year's participating companies (published.companies): one company package each; none without the table."""
    with duckdb.connect(warehouse_path, read_only=True) as con:
        has_table = con.execute(
            "select count(*) from duckdb_tables() where schema_name = ? and table_name = 'companies'",
            [PUBLISHED_SCHEMA],
        ).fetchone()[0]
        if not has_table:
            return []
        return [
            row[0]
            for row in con.execute(
                f"select distinct company_id from {PUBLISHED_SCHEMA}.companies where year = ? order by 1", [year]
            ).fetchall()
        ]


def _checksums(root: Path) -> dict[str, str]:
    return {str(path.relative_to(root)): sha256_of(path) for path in sorted(root.rglob("*")) if path.is_file()}


def _write_json(path: Path, document: Mapping[str, Any]) -> None:
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")


def _fsync_tree(root: Path) -> None:
    for path in sorted(root.rglob("*")):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())


def stage_release(*, warehouse_path: str, releases_dir: str, year: int, run_id: str | None = None) -> StagedRelease:
    """Write every audience package of ``year`` aside (not visible): public, one per participant, internal."""
    created = datetime.now(UTC)
    release_id = f"{year}-{created:%Y%m%dT%H%M%SZ}-{(run_id or uuid.uuid4().hex)[:8]}"
    root = Path(releases_dir)
    link = root / str(year)
    if link.exists() and not link.is_symlink():
        raise ReleaseError(f"{link} exists and is not a release link; move it away before publishing")
    staged = root / ".versions" / str(year) / f"{release_id}.staged"
    staged.parent.mkdir(parents=True, exist_ok=True)
    try:
        staged.mkdir()
        packages = {
            package.name: _write_package(warehouse_path, year, package, staged / package.name)
            for package in packages_for(_participants(warehouse_path, year))
        }
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    return StagedRelease(release_id, year, staged, packages, created.isoformat())


def discard_staged(staged: StagedRelease) -> None:
    """A staged release that must not be published (a failed audit) leaves nothing behind."""
    shutil.rmtree(staged.path, ignore_errors=True)


def publish_release(
    staged: StagedRelease,
    *,
    thresholds: Mapping[str, float | str],
    checks: Sequence[Mapping[str, Any]],
    audit: Mapping[str, Any] | None = None,
    evidence: Mapping[str, bytes] | None = None,
    run_id: str | None = None,
    demo: bool = False,
) -> Release:
    """Make a staged release visible: write its manifest (thresholds, checks, audit, evidence), then swap the link."""
    root = staged.path.parent.parent.parent
    final = staged.path.with_name(staged.release_id)
    try:
        for relative, content in (evidence or {}).items():
            if Path(relative).is_absolute() or ".." in Path(relative).parts:
                raise ReleaseError(f"evidence path {relative!r} leaves the release folder")
            target = staged.path / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        manifest = {
            "release_id": staged.release_id,
            "year": staged.year,
            "created_at": staged.created_at,
            "code_version": code_version(),
            "run_id": run_id,
            "demo": demo,
            "thresholds": dict(thresholds),
            "packages": {
                name: {"audience": m["audience"], "tables": m["tables"]} for name, m in staged.packages.items()
            },
            "checks": list(checks),
            "audit": dict(audit or {}),
            "evidence": sorted(evidence or {}),
            "files": _checksums(staged.path),
        }
        _write_json(staged.path / "manifest.json", manifest)
        _fsync_tree(staged.path)
        staged.path.rename(final)
    except BaseException:
        discard_staged(staged)
        raise
    # The one step that makes the release visible: an atomic rename of a fresh symlink over the old one.
    link = root / str(staged.year)
    staged_link = root / f".{staged.year}.{uuid.uuid4().hex[:8]}.link"
    staged_link.symlink_to(final.relative_to(root), target_is_directory=True)
    os.replace(staged_link, link)
    return Release(release_id=staged.release_id, year=staged.year, path=link, manifest=manifest)


def write_release(
    *,
    warehouse_path: str,
    releases_dir: str,
    year: int,
    thresholds: Mapping[str, float | str],
    checks: Sequence[Mapping[str, Any]],
    audit: Mapping[str, Any] | None = None,
    evidence: Mapping[str, bytes] | None = None,
    run_id: str | None = None,
    demo: bool = False,
) -> Release:
    """Stage and publish ``year`` in one step (the audit, where it gates, runs between the two)."""
    staged = stage_release(warehouse_path=warehouse_path, releases_dir=releases_dir, year=year, run_id=run_id)
    return publish_release(
        staged, thresholds=thresholds, checks=checks, audit=audit, evidence=evidence, run_id=run_id, demo=demo
    )
