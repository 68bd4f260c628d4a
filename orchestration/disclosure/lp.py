"""The disclosure audit's interval finder (methodology §6): linear programming over every published relation.

A reader who holds published statistics holds linear relations between unknown counts and sums (a published n, a
mean times its n, a share times its denominator, ...). Statistical offices audit a table by asking, for every
protected value, the smallest interval that every solution of those relations leaves it in (τ-ARGUS and sdcTable
call it the "audit"). A :class:`Problem` collects the unknowns with their bounds and the relations, and
:meth:`Problem.interval` returns that interval for a linear expression, or for a ratio of two (a mean = sum / n),
with scipy's HiGHS solver.

The intervals are those of the continuous relaxation (as τ-ARGUS audits): counts are not forced to be whole, so an
interval can be wider than the one an attacker reasoning with whole numbers would find; the audit proves protection
against linear arguments. Where a caller asks how many whole values a count keeps (:meth:`Problem.distinct_integers`)
whole numbers are counted.

A published relation that contradicts another makes the problem infeasible: that is a bug or a tampered package,
never "safe", so it raises :class:`AuditInfeasible`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

# HiGHS status codes (scipy.optimize.linprog): 0 optimal, 2 infeasible, 3 unbounded.
_OPTIMAL, _INFEASIBLE, _UNBOUNDED = 0, 2, 3
# HiGHS's choice first; when it stops on numerical trouble (sums of squares run to 1e4 x n beside counts of 1),
# the interior-point solver, then the dual simplex on the problem as given.
_ATTEMPTS = (("highs", None), ("highs-ipm", None), ("highs-ds", {"presolve": False}))


class AuditInfeasible(RuntimeError):
    """The published relations contradict each other: no group of respondents could have produced them."""


class AuditSolverError(RuntimeError):
    """The solver stopped without an answer (iteration limit, numerical trouble): the audit cannot vouch for a cell."""


LinearExpression = Mapping[int, float]


def combine(*expressions: LinearExpression, weights: tuple[float, ...] | None = None) -> dict[int, float]:
    """The sum (or weighted sum) of linear expressions {variable: coefficient}."""
    weights = weights or (1.0,) * len(expressions)
    if len(weights) != len(expressions):
        raise ValueError(f"combine: {len(expressions)} expressions but {len(weights)} weights")
    out: dict[int, float] = {}
    for expression, weight in zip(expressions, weights, strict=True):
        for variable, coefficient in expression.items():
            out[variable] = out.get(variable, 0.0) + weight * coefficient
    return {variable: coefficient for variable, coefficient in out.items() if coefficient != 0.0}


class Problem:
    """Unknowns with bounds, equalities and inequalities; intervals of linear expressions and ratios over them."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self._lower: list[float] = []
        self._upper: list[float] = []
        self._equal: list[tuple[dict[int, float], float]] = []
        self._at_most: list[tuple[dict[int, float], float]] = []
        self._compiled: tuple | None = None

    # ---- building -------------------------------------------------------------------------------------------------
    def variable(self, name: str, lower: float = 0.0, upper: float = math.inf) -> int:
        if not lower <= upper:
            raise ValueError(f"variable {name!r}: lower bound {lower} above upper bound {upper}")
        self.names.append(name)
        self._lower.append(float(lower))
        self._upper.append(float(upper))
        self._compiled = None
        return len(self.names) - 1

    def equal(self, coefficients: LinearExpression, rhs: float) -> None:
        """Σ c·x = rhs."""
        self._equal.append((self._checked(coefficients, rhs), float(rhs)))
        self._compiled = None

    def at_most(self, coefficients: LinearExpression, rhs: float) -> None:
        """Σ c·x <= rhs."""
        self._at_most.append((self._checked(coefficients, rhs), float(rhs)))
        self._compiled = None

    def at_least(self, coefficients: LinearExpression, rhs: float) -> None:
        """Σ c·x >= rhs."""
        self.at_most({variable: -c for variable, c in coefficients.items()}, -float(rhs))

    def within(self, coefficients: LinearExpression, value: float, tolerance: float) -> None:
        """|Σ c·x − value| <= tolerance: a published value known up to its floating-point (or printed) precision."""
        self.at_most(coefficients, value + tolerance)
        self.at_least(coefficients, value - tolerance)

    def _checked(self, coefficients: LinearExpression, rhs: float) -> dict[int, float]:
        if not math.isfinite(rhs):
            raise ValueError(f"relation with a non-finite right-hand side {rhs}")
        out = {}
        for variable, coefficient in coefficients.items():
            if not 0 <= variable < len(self.names):
                raise ValueError(f"relation names variable {variable}, but the problem has {len(self.names)}")
            if not math.isfinite(coefficient):
                raise ValueError(f"relation gives {self.names[variable]!r} a non-finite coefficient {coefficient}")
            if coefficient != 0.0:
                out[variable] = float(coefficient)
        return out

    # ---- solving --------------------------------------------------------------------------------------------------
    def _matrix(self, rows: list[tuple[dict[int, float], float]]) -> tuple[sparse.csr_matrix | None, np.ndarray | None]:
        if not rows:
            return None, None
        data, row_index, column_index = [], [], []
        for r, (coefficients, _) in enumerate(rows):
            for variable, coefficient in coefficients.items():
                data.append(coefficient)
                row_index.append(r)
                column_index.append(variable)
        matrix = sparse.csr_matrix((data, (row_index, column_index)), shape=(len(rows), len(self.names)))
        return matrix, np.array([rhs for _, rhs in rows])

    def _compile(self) -> tuple:
        if self._compiled is None:
            a_eq, b_eq = self._matrix(self._equal)
            a_ub, b_ub = self._matrix(self._at_most)
            lower = np.array(self._lower)
            upper = np.array(self._upper)
            self._compiled = (a_eq, b_eq, a_ub, b_ub, lower, upper)
        return self._compiled

    def _vector(self, expression: LinearExpression, size: int) -> np.ndarray:
        vector = np.zeros(size)
        for variable, coefficient in self._checked(expression, 0.0).items():
            vector[variable] = coefficient
        return vector

    @staticmethod
    def _solve(cost, a_ub, b_ub, a_eq, b_eq, bounds) -> tuple[float, np.ndarray | None]:
        """The minimum of cost·x and a point attaining it (None when unbounded)."""
        for method, options in _ATTEMPTS:
            result = linprog(
                cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method=method, options=options
            )
            if result.status in (_OPTIMAL, _UNBOUNDED, _INFEASIBLE):
                break
        if result.status == _OPTIMAL:
            return float(result.fun), result.x
        if result.status == _UNBOUNDED:
            return -math.inf, None
        if result.status == _INFEASIBLE:
            raise AuditInfeasible(f"the published relations contradict each other ({result.message})")
        raise AuditSolverError(f"linprog stopped with status {result.status}: {result.message}")

    def interval(self, numerator: LinearExpression, denominator: LinearExpression | None = None) -> tuple[float, float]:
        """Min and max of numerator·x, or of (numerator·x)/(denominator·x) over {denominator·x >= 1}.

        The ratio uses the Charnes–Cooper transformation: y = t·x, t = 1/(denominator·x), so that the ratio is the
        linear numerator·y under denominator·y = 1, 0 <= t <= 1. Its closure includes t = 0, the directions in which
        the unknowns grow without bound; the interval is then the supremum and infimum (closed), as an audit needs.
        A ratio whose denominator cannot reach 1 in any solution of a feasible problem (an empty group) has no value:
        (nan, nan).
        """
        low, high, _ = self.extremes(numerator, denominator)
        return low, high

    def extremes(
        self, numerator: LinearExpression, denominator: LinearExpression | None = None
    ) -> tuple[float, float, list[np.ndarray]]:
        """As :meth:`interval`, plus the solutions attaining the min and max (where finite): each is a point of the
        feasible set, so any other expression evaluated there is a value that expression can take (a witness)."""
        if denominator is not None:
            return self._ratio_extremes(numerator, denominator)
        a_eq, b_eq, a_ub, b_ub, lower, upper = self._compile()
        cost = self._vector(numerator, len(self.names))
        bounds = [
            (None if math.isinf(lo) else lo, None if math.isinf(hi) else hi)
            for lo, hi in zip(lower, upper, strict=True)
        ]
        low, at_low = self._solve(cost, a_ub, b_ub, a_eq, b_eq, bounds)
        high, at_high = self._solve(-cost, a_ub, b_ub, a_eq, b_eq, bounds)
        return low, -high, [x for x in (at_low, at_high) if x is not None]

    def value(self, expression: LinearExpression, point: np.ndarray) -> float:
        """expression·point."""
        return float(sum(coefficient * point[variable] for variable, coefficient in expression.items()))

    def _ratio_extremes(
        self, numerator: LinearExpression, denominator: LinearExpression
    ) -> tuple[float, float, list[np.ndarray]]:
        a_eq, b_eq, a_ub, b_ub, lower, upper = self._compile()
        size = len(self.names)
        t = size  # the extra column
        # Rows in y and t: A_eq y - b_eq t = 0; A_ub y - b_ub t <= 0; bounds l t <= y <= u t; d·y = 1; t <= 1.
        eq_blocks, ub_blocks = [], []
        if a_eq is not None:
            eq_blocks.append(sparse.hstack([a_eq, sparse.csr_matrix(-b_eq.reshape(-1, 1))]))
        d = self._vector(denominator, size)
        eq_blocks.append(sparse.csr_matrix(np.append(d, 0.0).reshape(1, -1)))
        if a_ub is not None:
            ub_blocks.append(sparse.hstack([a_ub, sparse.csr_matrix(-b_ub.reshape(-1, 1))]))
        y_bounds = []
        bound_rows, bound_cols, bound_data = [], [], []
        row = 0
        for i in range(size):
            lo, hi = lower[i], upper[i]
            # y_i >= 0 is a plain bound when the variable's lower bound is 0; other finite bounds become rows.
            y_bounds.append((0.0 if lo == 0.0 else None, None))
            if math.isfinite(lo) and lo != 0.0:  # l t - y <= 0
                bound_rows += [row, row]
                bound_cols += [i, t]
                bound_data += [-1.0, lo]
                row += 1
            if math.isfinite(hi):  # y - u t <= 0
                bound_rows += [row, row]
                bound_cols += [i, t]
                bound_data += [1.0, -hi]
                row += 1
        if row:
            ub_blocks.append(sparse.csr_matrix((bound_data, (bound_rows, bound_cols)), shape=(row, size + 1)))
        a_eq_ratio = sparse.vstack(eq_blocks).tocsr()
        b_eq_ratio = np.zeros(a_eq_ratio.shape[0])
        b_eq_ratio[-1] = 1.0
        a_ub_ratio = sparse.vstack(ub_blocks).tocsr() if ub_blocks else None
        b_ub_ratio = np.zeros(a_ub_ratio.shape[0]) if ub_blocks else None
        bounds = [*y_bounds, (0.0, 1.0)]
        cost = np.append(self._vector(numerator, size), 0.0)
        try:
            low, at_low = self._solve(cost, a_ub_ratio, b_ub_ratio, a_eq_ratio, b_eq_ratio, bounds)
        except AuditInfeasible:
            self.check_feasible()  # raises when the relations themselves contradict each other
            return math.nan, math.nan, []
        high, at_high = self._solve(-cost, a_ub_ratio, b_ub_ratio, a_eq_ratio, b_eq_ratio, bounds)
        # back from y = t·x to x where t > 0 (t = 0 is a direction, not a point)
        points = [y[:size] / y[size] for y in (at_low, at_high) if y is not None and y[size] > 1e-9]
        return low, -high, points

    def check_feasible(self) -> None:
        """Raise AuditInfeasible unless some assignment satisfies every relation and bound."""
        self.extremes({})

    @staticmethod
    def distinct_integers(interval: tuple[float, float], tolerance: float = 1e-6) -> float:
        """How many whole numbers lie in an interval (inf when unbounded): 1 means a count is determined exactly."""
        low, high = interval
        if math.isinf(low) or math.isinf(high):
            return math.inf
        return max(0, math.floor(high + tolerance) - math.ceil(low - tolerance) + 1)
