"""The Student's t functions dbt registers on its DuckDB connections (orchestration/duckdb_functions.py) give
scipy.stats' values exactly, at every df from 1 to 1e6 (whole and fractional), and null where there is no value."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from scipy import stats

from orchestration.duckdb_functions import Plugin

DEGREES_OF_FREEDOM = np.concatenate(
    [
        np.arange(1, 1_000_001, dtype=np.float64),  # every whole df up to a million
        np.exp(np.random.default_rng(12).uniform(np.log(0.05), np.log(1e6), 20_000)),  # Welch df are fractional
    ]
)


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    Plugin(name="duckdb_functions", plugin_config={}).configure_connection(connection)
    yield connection
    connection.close()


def _call(con: duckdb.DuckDBPyConnection, function: str, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    grid = pa.table({"a": first, "b": second})  # noqa: F841 (read by DuckDB's replacement scan)
    return con.sql(f"select {function}(a, b) as v from grid").to_arrow_table().column("v").to_numpy()


@pytest.mark.parametrize("probability", [0.975, 0.5, 0.001])
def test_quantile_equals_scipy_at_every_df(con, probability):
    got = _call(con, "student_t_quantile", np.full(len(DEGREES_OF_FREEDOM), probability), DEGREES_OF_FREEDOM)
    expected = stats.t.ppf(probability, DEGREES_OF_FREEDOM)
    assert np.isfinite(expected).all()
    mismatch = np.flatnonzero(got != expected)
    assert mismatch.size == 0, (
        f"{mismatch.size} differ, e.g. df={DEGREES_OF_FREEDOM[mismatch[0]]}: {got[mismatch[0]]!r} vs scipy "
        f"{expected[mismatch[0]]!r}"
    )


def test_quantile_is_students_t_beyond_df_200_not_the_normal(con):
    got = _call(con, "student_t_quantile", np.array([0.975, 0.975]), np.array([201.0, 1e6]))
    assert got[0] == pytest.approx(1.9718365, abs=1e-6)  # a normal quantile would be 1.959964
    assert 1.959964 < got[1] < 1.95997


def test_two_sided_p_value_equals_scipy_at_every_df(con):
    rng = np.random.default_rng(3)
    t = np.concatenate([rng.exponential(2.0, len(DEGREES_OF_FREEDOM) // 2), -rng.uniform(0, 60, 510_000)])
    t = t[: len(DEGREES_OF_FREEDOM)]
    got = _call(con, "student_t_two_sided_p_value", t, DEGREES_OF_FREEDOM)
    expected = 2 * stats.t.sf(np.abs(t), DEGREES_OF_FREEDOM)
    mismatch = np.flatnonzero(got != expected)
    assert mismatch.size == 0, (
        f"{mismatch.size} differ, e.g. t={t[mismatch[0]]}, df={DEGREES_OF_FREEDOM[mismatch[0]]}: "
        f"{got[mismatch[0]]!r} vs scipy {expected[mismatch[0]]!r}"
    )


def test_p_value_is_one_at_t_zero_and_symmetric(con):
    got = con.sql(
        "select student_t_two_sided_p_value(0, 7), student_t_two_sided_p_value(-2.5, 7.5), "
        "student_t_two_sided_p_value(2.5, 7.5)"
    ).fetchone()
    assert got[0] == 1.0
    assert got[1] == got[2] == 2 * stats.t.sf(2.5, 7.5)


@pytest.mark.parametrize(
    ("sql", "why"),
    [
        ("student_t_quantile(0.975, 0)", "df 0: a single observation has no interval"),
        ("student_t_quantile(0.975, -1)", "negative df (n = 0)"),
        ("student_t_quantile(0.975, null)", "df unknown"),
        ("student_t_quantile(0.975, 'nan'::double)", "df NaN"),
        ("student_t_quantile(1.0, 5)", "infinite quantile"),
        ("student_t_quantile(0.0, 5)", "infinite quantile"),
        ("student_t_quantile(null, 5)", "probability unknown"),
        ("student_t_two_sided_p_value(2.0, 0)", "df 0"),
        ("student_t_two_sided_p_value(2.0, -3)", "negative df"),
        ("student_t_two_sided_p_value(null, 5)", "no statistic"),
        ("student_t_two_sided_p_value(2.0, null)", "df unknown"),
        ("student_t_two_sided_p_value('nan'::double, 5)", "statistic NaN"),
    ],
)
def test_null_where_there_is_no_value(con, sql, why):
    assert con.sql(f"select {sql}").fetchone()[0] is None, why


def test_nulls_do_not_shift_the_other_rows(con):
    got = con.sql("select student_t_quantile(0.975, df) from (values (1), (null), (0), (30)) as v (df)").fetchall()
    assert [row[0] for row in got] == [stats.t.ppf(0.975, 1), None, None, stats.t.ppf(0.975, 30)]
