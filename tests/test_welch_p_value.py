"""The Student's t p-value of macros/welch.sql (a continued fraction in a recursive CTE, since DuckDB has no t
distribution) agrees with scipy.stats to 1e-6 over small and large degrees of freedom and t statistics."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pytest
from scipy import stats

REPO = Path(__file__).resolve().parents[1]
# dbt through its Python entry point, not the console script (which a venv re-sync may be rewriting)
DBT = [sys.executable, "-c", "import sys; from dbt.cli.main import cli; sys.exit(cli())"]

DEGREES_OF_FREEDOM = [1, 1.37, 2, 2.5, 3, 4, 5, 7.9, 10, 15, 29.3, 50, 100, 333.3, 1_000, 4_321.5, 10_000, 50_000]
DEGREES_OF_FREEDOM += [100_000]
T_STATISTICS = [0, 1e-6, 0.001, 0.05, 0.3, 0.674, 1, 1.5, 1.96, 2.5, 3, 4, 5, 7.5, 10, 15, 20, 30, 40, 50, -2.2]


def _grid() -> list[tuple[int, float, float]]:
    rng = np.random.default_rng(7)
    pairs = [(t, df) for df in DEGREES_OF_FREEDOM for t in T_STATISTICS]
    # plus random (t, df) with df log-uniform on 1..1e5 and t uniform on 0..50
    pairs += zip(rng.uniform(0, 50, 300), np.exp(rng.uniform(0, np.log(1e5), 300)), strict=True)
    pairs += zip(rng.exponential(2.0, 300), np.exp(rng.uniform(0, np.log(1e5), 300)), strict=True)
    return [(key, float(t), float(df)) for key, (t, df) in enumerate(pairs)]


@pytest.fixture(scope="module")
def p_values(tmp_path_factory) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    tmp = tmp_path_factory.mktemp("welch")
    project = tmp / "dbt_project"
    shutil.copytree(REPO / "dbt_project", project, ignore=shutil.ignore_patterns("target", "logs", "models", "tests"))
    (project / "models").mkdir()
    grid = _grid()
    values = ",\n".join(f"({key}, {t!r}, {df!r})" for key, t, df in grid)
    (project / "models" / "p_value_grid.sql").write_text(
        "with recursive\n\n"
        f"grid as (\n    select * from (values\n{values}\n    )"
        " as g (test_key, t_statistic, degrees_of_freedom)\n),\n\n"
        "{{ student_t_p_value_ctes('grid') }}\n\n"
        "select grid.test_key, grid.t_statistic, grid.degrees_of_freedom, t_test_p_values.p_value\n"
        "from grid left join t_test_p_values on grid.test_key = t_test_p_values.test_key\n"
    )
    warehouse = tmp / "grid.duckdb"
    env = {**os.environ, "MEDARBEIDERINDEKS_WAREHOUSE": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    result = subprocess.run(
        [*DBT, "run", "--profiles-dir", ".", "--target-path", str(tmp / "target"), "--log-path", str(tmp / "logs")],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        frame = con.sql("select * from main.p_value_grid order by test_key").df()
    finally:
        con.close()
    return frame.t_statistic.to_numpy(), frame.degrees_of_freedom.to_numpy(), frame.p_value.to_numpy()


def test_p_value_matches_scipy_to_1e_6(p_values):
    t, df, p = p_values
    expected = 2 * stats.t.sf(np.abs(t), df)
    assert not np.isnan(p).any()
    error = np.abs(p - expected)
    worst = int(np.argmax(error))
    print(f"max |p - scipy| = {error[worst]:.2e} at t={t[worst]}, df={df[worst]} over {len(p)} pairs")
    assert error[worst] < 1e-6, f"t={t[worst]}, df={df[worst]}: {p[worst]} vs scipy {expected[worst]}"


def test_p_value_is_a_probability(p_values):
    _, _, p = p_values
    assert ((p >= 0) & (p <= 1)).all()


def test_t_zero_gives_p_one(p_values):
    t, _, p = p_values
    assert (p[t == 0] == 1.0).all()
