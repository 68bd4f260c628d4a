"""Inside dbt, the Student's t functions the profile's plugin registers (orchestration/duckdb_functions.py) give
scipy.stats' values: the two-sided p-value int_company_vs_benchmark calls, and the quantile of the macro t_975 every
confidence interval uses, over small and large (up to 1e6) degrees of freedom and t statistics."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import stats

REPO = Path(__file__).resolve().parents[1]
# dbt through its Python entry point, not the console script (which a venv re-sync may be rewriting)
DBT = [sys.executable, "-c", "import sys; from dbt.cli.main import cli; sys.exit(cli())"]

DEGREES_OF_FREEDOM = [1, 1.37, 2, 2.5, 3, 4, 5, 7.9, 10, 15, 29.3, 50, 100, 199, 200, 201, 333.3, 1_000, 4_321.5]
DEGREES_OF_FREEDOM += [10_000, 50_000, 100_000, 1_000_000]
T_STATISTICS = [0, 1e-6, 0.001, 0.05, 0.3, 0.674, 1, 1.5, 1.96, 2.5, 3, 4, 5, 7.5, 10, 15, 20, 30, 40, 50, -2.2]


def _grid() -> list[tuple[int, float, float]]:
    rng = np.random.default_rng(7)
    pairs = [(t, df) for df in DEGREES_OF_FREEDOM for t in T_STATISTICS]
    # plus random (t, df) with df log-uniform on 1..1e6 and t uniform on 0..50
    pairs += zip(rng.uniform(0, 50, 300), np.exp(rng.uniform(0, np.log(1e6), 300)), strict=True)
    pairs += zip(rng.exponential(2.0, 300), np.exp(rng.uniform(0, np.log(1e6), 300)), strict=True)
    return [(key, float(t), float(df)) for key, (t, df) in enumerate(pairs)]


@pytest.fixture(scope="module")
def grid(tmp_path_factory) -> pd.DataFrame:
    tmp = tmp_path_factory.mktemp("welch")
    project = tmp / "dbt_project"
    shutil.copytree(REPO / "dbt_project", project, ignore=shutil.ignore_patterns("target", "logs", "models", "tests"))
    (project / "models").mkdir()
    # doubles from their exact text: a numeric literal would be a DECIMAL, rounded differently on its way to DOUBLE
    values = ",\n".join(f"({key}, '{t!r}'::double, '{df!r}'::double)" for key, t, df in _grid())
    # whole df, as a CI's n - 1, go through the macro t_975; fractional (Welch) df only through the p-value
    (project / "models" / "t_grid.sql").write_text(
        "{{ config(materialized='table') }}\n"
        f"select\n    *,\n    student_t_two_sided_p_value(t_statistic, degrees_of_freedom) as p_value,\n"
        "    case when degrees_of_freedom = floor(degrees_of_freedom)"
        " then {{ t_975('cast(degrees_of_freedom as integer)') }} end as t_975\n"
        f"from (values\n{values}\n) as g (test_key, t_statistic, degrees_of_freedom)\n"
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
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.sql("select * from main.t_grid order by test_key").df()


def test_p_value_equals_scipy(grid):
    t, df, p = grid.t_statistic.to_numpy(), grid.degrees_of_freedom.to_numpy(), grid.p_value.to_numpy()
    expected = 2 * stats.t.sf(np.abs(t), df)
    assert not np.isnan(p).any()
    error = np.abs(p - expected)
    worst = int(np.argmax(error))
    print(f"max |p - scipy| = {error[worst]:.2e} at t={t[worst]}, df={df[worst]} over {len(p)} pairs")
    assert error[worst] == 0, f"t={t[worst]}, df={df[worst]}: {p[worst]!r} vs scipy {expected[worst]!r}"


def test_t_975_equals_scipy_at_every_df(grid):
    whole = grid[grid.degrees_of_freedom == np.floor(grid.degrees_of_freedom)]
    assert whole.degrees_of_freedom.max() == 1_000_000 and 201 in set(whole.degrees_of_freedom)
    expected = stats.t.ppf(0.975, whole.degrees_of_freedom.to_numpy())
    error = np.abs(whole.t_975.to_numpy() - expected)
    worst = int(np.argmax(error))
    print(f"max |t_975 - scipy| = {error[worst]:.2e} at df={whole.degrees_of_freedom.iloc[worst]}")
    assert error[worst] == 0, f"df={whole.degrees_of_freedom.iloc[worst]}: {whole.t_975.iloc[worst]!r}"


def test_p_value_is_a_probability(grid):
    assert ((grid.p_value >= 0) & (grid.p_value <= 1)).all()


def test_t_zero_gives_p_one(grid):
    assert (grid.p_value[grid.t_statistic == 0] == 1.0).all()
