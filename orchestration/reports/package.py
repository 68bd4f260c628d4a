"""Reading a release's audience packages: the only input of a report (never the warehouse).

A release ``releases/<year>/`` holds ``public/``, ``companies/<company_id>/`` and ``internal/`` (see
docs/architecture.md); each package folder has ``medarbeiderindeks_<year>.duckdb`` with schema ``published``. A
package is opened read-only and its tables are read whole: they hold one year and are small.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

PUBLISHED_SCHEMA = "published"


class PackageError(RuntimeError):
    """A package folder is missing or lacks what a report needs."""


@dataclass(frozen=True)
class Package:
    """One audience package of one year: its published tables as data frames."""

    path: Path
    year: int
    tables: dict[str, pd.DataFrame] = field(repr=False)

    def __getitem__(self, table: str) -> pd.DataFrame:
        try:
            return self.tables[table]
        except KeyError:
            raise PackageError(
                f"{self.path}: the package has no table published.{table} (it has {sorted(self.tables)})"
            ) from None

    def has(self, table: str) -> bool:
        return table in self.tables


def package_database(path: Path) -> Path:
    found = sorted(Path(path).glob("medarbeiderindeks_*.duckdb"))
    if len(found) != 1:
        raise PackageError(f"{path}: expected one medarbeiderindeks_<year>.duckdb in the package, found {len(found)}")
    return found[0]


def load_package(path: Path) -> Package:
    """Every table of the package's ``published`` schema, read from its DuckDB file opened read-only."""
    database = package_database(path)
    year = int(database.stem.rsplit("_", 1)[1])
    with duckdb.connect(str(database), read_only=True) as con:
        names = [
            row[0]
            for row in con.execute(
                "select table_name from duckdb_tables() where schema_name = ? order by table_name", [PUBLISHED_SCHEMA]
            ).fetchall()
        ]
        tables = {name: con.execute(f'select * from {PUBLISHED_SCHEMA}."{name}"').fetch_df() for name in names}
    for name, frame in tables.items():
        if "year" in frame.columns and not frame.empty and set(frame["year"].unique()) != {year}:
            raise PackageError(f"{database}: published.{name} holds years {sorted(frame['year'].unique())}, not {year}")
    return Package(path=Path(path), year=year, tables=tables)


@dataclass(frozen=True)
class ReleaseLayout:
    """Where a release's packages are, and the packages of the same audience in the other years beside it."""

    release_dir: Path

    @property
    def year(self) -> int:
        return int(self.manifest["year"])

    @property
    def manifest(self) -> dict[str, Any]:
        path = self.release_dir / "manifest.json"
        if not path.is_file():
            raise PackageError(f"{self.release_dir}: no manifest.json; is this a release folder?")
        return json.loads(path.read_text(encoding="utf-8"))

    @property
    def public_dir(self) -> Path:
        return self.release_dir / "public"

    def company_dirs(self) -> dict[str, Path]:
        root = self.release_dir / "companies"
        return {path.name: path for path in sorted(root.iterdir()) if path.is_dir()} if root.is_dir() else {}

    def earlier_years(self, audience: str) -> list[Path]:
        """Package folders of ``audience`` (``public`` or ``companies/<id>``) in the releases of earlier years."""
        releases = self.release_dir.parent
        found = []
        for candidate in sorted(releases.glob("[0-9][0-9][0-9][0-9]")):
            folder = candidate / audience
            if int(candidate.name) < self.year and folder.is_dir():
                found.append(folder)
        return found
