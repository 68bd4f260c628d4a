"""Student's t distribution functions for SQL, registered by dbt on every DuckDB connection it opens.

DuckDB has no t distribution, and a table of rounded quantiles or a continued fraction in a recursive CTE is neither
exact nor fast. This module is a dbt-duckdb plugin (listed under `plugins:` in dbt_project/profiles.yml); it adds:

- ``student_t_quantile(probability, df)``: the quantile of Student's t, scipy.stats.t.ppf(probability, df);
- ``student_t_two_sided_p_value(t, df)``: the two-sided p-value of a t statistic, 2 * scipy.stats.t.sf(|t|, df).

Both are vectorised over Arrow arrays and return the values scipy.stats gives, bit for bit (they call the same
scipy.special routines, stdtrit and stdtr, that scipy.stats.t.ppf and t.sf call, without importing scipy.stats, which
costs seconds at start-up). df may be fractional (Welch-Satterthwaite). Where there is no distribution (df null,
NaN or <= 0), no finite quantile (probability null or outside the open interval (0, 1)) or no statistic (t null or
NaN), the result is null.

Only dbt's connections know these functions: a model that calls them must be a table (as intermediate and marts are),
never a view, which other readers of the warehouse could not query.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection
from duckdb.sqltypes import DOUBLE
from scipy import special


def _floats(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """The values as float64, null as NaN."""
    return pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False).astype(np.float64, copy=False)


def _with_nulls(result: np.ndarray, defined: np.ndarray) -> pa.Array:
    return pa.array(np.where(defined, result, 0.0), type=pa.float64(), mask=~defined)


def student_t_quantile(probability: pa.Array | pa.ChunkedArray, df: pa.Array | pa.ChunkedArray) -> pa.Array:
    """scipy.stats.t.ppf(probability, df) row by row; null where df <= 0 or probability is not in (0, 1)."""
    p, dof = _floats(probability), _floats(df)
    defined = (dof > 0) & (p > 0) & (p < 1)  # NaN (null) compares false
    with np.errstate(invalid="ignore"):
        return _with_nulls(special.stdtrit(np.where(defined, dof, 1.0), np.where(defined, p, 0.5)), defined)


def student_t_two_sided_p_value(t: pa.Array | pa.ChunkedArray, df: pa.Array | pa.ChunkedArray) -> pa.Array:
    """2 * scipy.stats.t.sf(|t|, df) row by row; null where df <= 0 or t is null."""
    statistic, dof = _floats(t), _floats(df)
    defined = (dof > 0) & ~np.isnan(statistic)
    with np.errstate(invalid="ignore"):
        tail = special.stdtr(np.where(defined, dof, 1.0), -np.abs(np.where(defined, statistic, 0.0)))
    return _with_nulls(2.0 * tail, defined)


FUNCTIONS = {
    "student_t_quantile": student_t_quantile,
    "student_t_two_sided_p_value": student_t_two_sided_p_value,
}


class Plugin(BasePlugin):
    """dbt-duckdb plugin: registers FUNCTIONS on each connection dbt opens (cursors share them)."""

    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        for name, function in FUNCTIONS.items():
            # null_handling="special": the functions see nulls and answer null themselves (documented above)
            conn.create_function(name, function, [DOUBLE, DOUBLE], DOUBLE, type="arrow", null_handling="special")
