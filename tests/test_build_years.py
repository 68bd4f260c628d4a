"""A year at a time (issue 10): a release builds its own year's models and keeps earlier years' stored rows; year-over-
year figures read the previous year's stored rows; the year-by-year marts equal a rebuild of every year at once; and
the rebuild flag (run config, CLI, make REBUILD=1) recomputes every year."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from orchestration.build_years import (
    built_years,
    loaded_years,
    record_built_years,
    write_build_years,
    years_to_build,
)
from orchestration.cli import rebuild_run_config
from orchestration.dbt_invocation import dbt_build_args
from orchestration.ingest import create_raw_schema
from orchestration.resources import DisclosureThresholds
from orchestration.settings import REPO_ROOT
from tests.conftest import Harness, paths_under
from tests.survey_fixtures import NINE_COMPANIES, small_survey, write_landing

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
from dbt_run import dbt_build  # noqa: E402

FIRST, SECOND = 2023, 2024
MARKER = "stored by the 2023 release"  # planted in a stored 2023 row: only a rebuild of 2023 rewrites it


# ---------------------------------------------------------------- the control tables, without dbt


def _raw_warehouse(path: Path, years: list[int]) -> str:
    with duckdb.connect(str(path)) as con:
        create_raw_schema(con)
        for year in years:
            con.execute(
                "insert into raw.respondents (year, respondent_id, company_id, is_complete, file_name, file_sha256, "
                "load_id, loaded_at) values (?, 'r1', 'c', true, 'f.csv', 'sha', 'load', now())",
                [year],
            )
    return str(path)


def test_years_to_build_are_the_release_year_and_every_loaded_year_never_built() -> None:
    assert years_to_build(2025, loaded=[2023, 2024, 2025], built=[2023, 2024]) == [2025]
    assert years_to_build(2025, loaded=[2023, 2024, 2025], built=[2023]) == [2024, 2025]
    assert years_to_build(2024, loaded=[2023, 2024, 2025], built=[2023, 2024, 2025]) == [2024]
    assert years_to_build(2026, loaded=[], built=[]) == [2026]  # nothing loaded yet: the year itself
    assert years_to_build(2024, loaded=[2023, 2024, 2025], built=[2023, 2024, 2025], rebuild_all=True) == [
        2023,
        2024,
        2025,
    ]


def test_control_tables_in_the_warehouse(tmp_path: Path) -> None:
    warehouse = _raw_warehouse(tmp_path / "wh.duckdb", [2023, 2024])
    # a warehouse built before this scheme (no control tables): every loaded year is built once
    assert write_build_years(warehouse, "2024") == [2023, 2024]
    record_built_years(warehouse, [2023, 2024], run_id="run-1")
    assert write_build_years(warehouse, "2024") == [2024]
    with duckdb.connect(warehouse) as con:
        assert con.execute("select year from control.build_years").fetchall() == [(2024,)]
        assert loaded_years(con) == [2023, 2024] and built_years(con) == [2023, 2024]
    assert write_build_years(warehouse, 2024, rebuild_all=True) == [2023, 2024]
    record_built_years(warehouse, [2023, 2024], run_id="run-2")
    with duckdb.connect(warehouse) as con:
        assert con.execute("select year, run_id from control.built_years order by 1").fetchall() == [
            (2023, "run-2"),
            (2024, "run-2"),
        ]


def test_the_rebuild_flag_reaches_dbt_dagster_and_make() -> None:
    thresholds = DisclosureThresholds().as_dict()
    assert "--full-refresh" not in dbt_build_args(thresholds)
    assert dbt_build_args(thresholds, full_refresh=True)[-1] == "--full-refresh"
    # the vars, which `make manifest`'s parse must match, are the same either way
    assert dbt_build_args(thresholds, full_refresh=True)[:-1] == dbt_build_args(thresholds)
    assert rebuild_run_config(False) is None
    assert rebuild_run_config(True) == {"ops": {"medarbeiderindeks_dbt": {"config": {"rebuild_all_years": True}}}}
    # release-run: what `make release` runs unless the year's release is current (REBUILD=1 never counts as current)
    dry = ["make", "-n", "--no-print-directory", "release-run", "YEAR=2024"]
    plain = subprocess.run(dry, cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout
    dry[3] = "release"
    rebuild = subprocess.run([*dry, "REBUILD=1"], cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout
    assert "orchestration.cli  2024" in plain and "--rebuild-all-years" not in plain
    assert "orchestration.cli --rebuild-all-years 2024" in rebuild


# ---------------------------------------------------------------- releases, year by year


def _published_tables(warehouse: str) -> list[str]:
    with duckdb.connect(warehouse, read_only=True) as con:
        rows = con.execute(
            "select table_name from duckdb_tables() where schema_name = 'published' order by 1"
        ).fetchall()
    return [name for (name,) in rows]


def _control(warehouse: str, table: str) -> list[tuple]:
    """control.build_years (year) or control.built_years (year, run_id), by year."""
    columns = "year, run_id" if table == "built_years" else "year"
    with duckdb.connect(warehouse, read_only=True) as con:
        return con.execute(f"select {columns} from control.{table} order by year").fetchall()


def _differences(warehouse: str, other: str, table: str, year: int) -> tuple[int, int]:
    """Rows of ``year`` in one warehouse's published ``table`` and not in the other's, each way (EXCEPT ALL)."""
    with duckdb.connect(warehouse, read_only=True) as con:
        (this,) = con.execute("select current_database()").fetchone()
        con.execute(f"attach '{other}' as other (read_only)")
        this_only, other_only = (
            con.execute(
                f'select count(*) from (select * from "{a}".published.{table} where year = {year} '
                f'except all select * from "{b}".published.{table} where year = {year})'
            ).fetchone()[0]
            for a, b in ((this, "other"), ("other", this))
        )
    return this_only, other_only


def _sorted_mart(warehouse: str, table: str) -> pd.DataFrame:
    with duckdb.connect(warehouse, read_only=True) as con:
        return con.execute(f"select * from published.{table} order by all").df()


def _assert_marts_equal(warehouse: str, other: str) -> None:
    """Every published mart, all years, row for row; floats to 1e-9."""
    tables = _published_tables(warehouse)
    assert tables and tables == _published_tables(other)
    for table in tables:
        left, right = _sorted_mart(warehouse, table), _sorted_mart(other, table)
        assert len(left) > 0, table
        pd.testing.assert_frame_equal(left, right, check_exact=False, rtol=0, atol=1e-9, obj=table)


@pytest.fixture(scope="module")
def year_by_year(tmp_path_factory) -> Iterator[dict]:
    """2023 released, then 2024 (its landing folder written after 2023's release); a copy of the warehouse right
    after 2023's release (with the marker planted in a stored 2023 row) and one after 2024's."""
    tmp = tmp_path_factory.mktemp("year_by_year")
    paths = paths_under(tmp)
    with dg.DagsterInstance.ephemeral() as instance:
        harness = Harness(paths, instance)
        warehouse = paths.warehouse_path
        write_landing(Path(paths.landing_dir), FIRST, small_survey(FIRST, NINE_COMPANIES, seed=7))
        first = harness.release(FIRST)
        assert first.success, [e.message for e in first.all_events if e.is_failure]
        state = {"harness": harness, "warehouse": warehouse, "after_first_control": _control(warehouse, "build_years")}
        with duckdb.connect(warehouse) as con:
            con.execute(f"update published.themes set theme_name_en = '{MARKER}' where year = {FIRST}")
        state["after_first"] = str(tmp / "after_first.duckdb")
        shutil.copy(warehouse, state["after_first"])

        write_landing(Path(paths.landing_dir), SECOND, small_survey(SECOND, NINE_COMPANIES, seed=3))
        second = harness.release(SECOND)
        assert second.success, [e.message for e in second.all_events if e.is_failure]
        state["second_run_id"] = second.run_id
        state["after_second_control"] = _control(warehouse, "build_years")
        state["after_second_built"] = _control(warehouse, "built_years")
        state["after_second"] = str(tmp / "after_second.duckdb")
        shutil.copy(warehouse, state["after_second"])
        state["tmp"] = tmp
        yield state


def test_releasing_2024_leaves_every_2023_mart_row_as_2023s_release_stored_it(year_by_year) -> None:
    state = year_by_year
    assert state["after_first_control"] == [(FIRST,)]
    assert state["after_second_control"] == [(SECOND,)]  # 2024's build computed 2024 only
    assert [year for year, _ in state["after_second_built"]] == [FIRST, SECOND]
    assert dict(state["after_second_built"])[SECOND] == state["second_run_id"]
    tables = _published_tables(state["after_second"])
    assert "company_scores" in tables and "company_vs_benchmark" in tables and len(tables) >= 13
    for table in tables:
        with duckdb.connect(state["after_first"], read_only=True) as con:
            (n_first,) = con.execute(f"select count(*) from published.{table} where year = {FIRST}").fetchone()
        assert n_first > 0, table
        assert _differences(state["after_second"], state["after_first"], table, FIRST) == (0, 0), table
    themes = _sorted_mart(state["after_second"], "themes")
    assert set(themes.loc[themes["year"] == FIRST, "theme_name_en"]) == {MARKER}  # the stored row, not recomputed
    assert MARKER not in set(themes.loc[themes["year"] == SECOND, "theme_name_en"])


def test_year_over_year_figures_read_the_stored_previous_year(year_by_year) -> None:
    warehouse = year_by_year["after_second"]
    scores = _sorted_mart(warehouse, "company_scores").query("measure_type == 'index' and not suppressed")
    first = scores[scores["year"] == FIRST].set_index("company_id")["index_0_100"]
    versus = _sorted_mart(warehouse, "company_vs_benchmark").query(
        f"year == {SECOND} and measure_type == 'index' and benchmark_scope == 'national'"
    )
    compared = versus.dropna(subset=["previous_index"])
    assert len(compared) >= 3
    for row in compared.itertuples():
        assert row.previous_index == pytest.approx(first[row.company_id], abs=1e-9)
        assert row.yoy_change == pytest.approx(row.company_index - first[row.company_id], abs=1e-9)


@pytest.fixture(scope="module")
def all_at_once(year_by_year) -> str:
    """The same raw data built the old way: a plain `dbt build` of every year at once, on fresh model schemas."""
    tmp = year_by_year["tmp"]
    warehouse = tmp / "all_at_once.duckdb"
    shutil.copy(year_by_year["after_second"], warehouse)
    with duckdb.connect(str(warehouse)) as con:
        for schema in ("control", "intermediate", "published", "staging", "reference"):
            con.execute(f"drop schema if exists {schema} cascade")
    result = dbt_build(warehouse, tmp / "dbt_all_at_once")
    assert result.returncode == 0, result.stdout[-3000:]
    return str(warehouse)


def test_year_by_year_marts_equal_a_build_of_every_year_at_once(year_by_year, all_at_once) -> None:
    after_second = year_by_year["after_second"]
    unmarked = year_by_year["tmp"] / "unmarked.duckdb"
    shutil.copy(after_second, unmarked)
    with duckdb.connect(str(unmarked)) as con:  # the planted marker is the one intended difference
        con.execute(
            f"update published.themes set theme_name_en = t.theme_name_en from reference.themes as t "
            f"where themes.year = {FIRST} and themes.theme_id = t.theme_id"
        )
    _assert_marts_equal(str(unmarked), all_at_once)


def test_the_rebuild_flag_rebuilds_every_year(year_by_year, all_at_once) -> None:
    harness: Harness = year_by_year["harness"]
    warehouse = year_by_year["warehouse"]
    result = harness.release(SECOND, rebuild_all_years=True)
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    assert _control(warehouse, "build_years") == [(FIRST,), (SECOND,)]
    assert _control(warehouse, "built_years") == [(FIRST, result.run_id), (SECOND, result.run_id)]
    themes = _sorted_mart(warehouse, "themes")
    assert MARKER not in set(themes["theme_name_en"])  # 2023's stored rows were recomputed
    _assert_marts_equal(warehouse, all_at_once)
