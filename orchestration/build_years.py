"""Which survey years a release's dbt build computes (issue 10, "a year at a time").

The intermediate and mart models are incremental (delete+insert on ``year``): a build computes the years listed in
the warehouse's ``control.build_years`` and replaces only those years' rows; every other year keeps the rows its own
release stored, and year-over-year figures read the previous year from them (dbt macros ``year_built_this_run`` /
``year_read_this_run``, ``dbt_project/macros/build_years.sql``). Before dbt runs, the release writes that table: the
partition's year, plus every loaded year never built (a year loaded by the landing sensor but not yet released, or
every year of a warehouse built before this scheme). A rebuild (``rebuild_all_years``: dbt ``--full-refresh``, a
changed methodology) lists every loaded year. After a successful build, ``control.built_years`` records the years
built, with when and by which run.

The control tables are the warehouse's own, so they travel with it: a new or deleted warehouse rebuilds every year.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import duckdb

CONTROL_SCHEMA = "control"
BUILD_YEARS = f"{CONTROL_SCHEMA}.build_years"
BUILT_YEARS = f"{CONTROL_SCHEMA}.built_years"

_DDL = f"""
create schema if not exists {CONTROL_SCHEMA};
create table if not exists {BUILT_YEARS} (
    year integer primary key,
    built_at timestamp not null,
    run_id varchar
);
"""


def _tables(con: duckdb.DuckDBPyConnection, schema: str) -> set[str]:
    rows = con.execute(
        "select table_name from duckdb_tables() where database_name = current_database() and schema_name = ?", [schema]
    ).fetchall()
    return {name for (name,) in rows}


def loaded_years(con: duckdb.DuckDBPyConnection) -> list[int]:
    """The survey years the raw tables hold (what dbt's staging models read); none before the first load."""
    raw = _tables(con, "raw")
    parts = [f"select distinct year from raw.{table}" for table in ("respondents", "answers") if table in raw]
    if not parts:
        return []
    return [int(year) for (year,) in con.execute(" union ".join(parts) + " order by 1").fetchall()]


def built_years(con: duckdb.DuckDBPyConnection) -> list[int]:
    """The years a successful build has computed and stored (control.built_years)."""
    if "built_years" not in _tables(con, CONTROL_SCHEMA):
        return []
    return [int(year) for (year,) in con.execute(f"select year from {BUILT_YEARS} order by 1").fetchall()]


def years_to_build(year: int, loaded: Iterable[int], built: Iterable[int], rebuild_all: bool = False) -> list[int]:
    """The release's year and every loaded year never built; with ``rebuild_all``, every loaded year."""
    loaded = set(loaded)
    chosen = {year} | (loaded if rebuild_all else loaded - set(built))
    return sorted(chosen)


def write_build_years(warehouse_path: str, year: int | str, *, rebuild_all: bool = False) -> list[int]:
    """Write ``control.build_years`` for a build serving ``year``'s release (before dbt runs); returns the years."""
    with duckdb.connect(warehouse_path) as con:
        con.execute(_DDL)
        years = years_to_build(int(year), loaded_years(con), built_years(con), rebuild_all=rebuild_all)
        con.execute(f"create or replace table {BUILD_YEARS} (year integer primary key)")
        con.executemany(f"insert into {BUILD_YEARS} values (?)", [[y] for y in years])
    return years


def record_built_years(warehouse_path: str, years: Iterable[int], run_id: str | None = None) -> None:
    """After a successful build: ``years`` are computed and stored (control.built_years)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    with duckdb.connect(warehouse_path) as con:
        con.execute(_DDL)
        con.executemany(
            f"insert or replace into {BUILT_YEARS} (year, built_at, run_id) values (?, ?, ?)",
            [[int(y), now, run_id] for y in years],
        )
