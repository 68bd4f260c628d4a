"""The disclosure audit's interval finder (methodology §6): linear programming over every published relation.

A reader who holds published statistics holds linear relations between unknown counts and sums (a published n, a
mean times its n, a share times its denominator, ...). Statistical offices audit a table by asking, for every
protected value, the smallest interval that every solution of those relations leaves it in (τ-ARGUS and sdcTable
call it the "audit"). A :class:`Problem` collects the unknowns with their bounds and the relations, and
:meth:`Problem.interval` returns that interval for a linear expression, or for a ratio of two (a mean = sum / n),
with the HiGHS solver (highspy). A problem is handed to HiGHS once and each objective re-solved from the basis the
last one left (the min and max of one expression, then the next expression): a solve then takes a few simplex
iterations instead of a fresh model, presolve and crash each time. The ratios share one model too, whose denominator
row alone changes. An inequality can be changed in place (:meth:`Problem.change`): the variants of one problem that
differ in a few rows are then solved on the same models, each from the basis the last one left.

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

import highspy
import numpy as np

_STATUS = highspy.HighsModelStatus
# The audit's LPs have tens to a few hundred rows and are re-solved per objective from the last basis: HiGHS's presolve
# costs more than it saves on them (measured: the subgroup model and the release audit ~15% faster without it, the
# same decisions and findings). When a solve stops on numerical trouble (sums of squares run to 1e4 x n beside counts
# of 1): a fresh solve with the interior-point solver, then a fresh simplex solve with presolve.
_OPTIONS = {"presolve": "off"}
_FALLBACKS = ({"solver": "ipm"}, {"solver": "simplex", "presolve": "on"})
_DECISIVE = (_STATUS.kOptimal, _STATUS.kUnbounded, _STATUS.kInfeasible)


class AuditInfeasible(RuntimeError):
    """The published relations contradict each other: no group of respondents could have produced them."""


class AuditSolverError(RuntimeError):
    """The solver stopped without an answer (iteration limit, numerical trouble): the audit cannot vouch for a cell."""


LinearExpression = Mapping[int, float]
#: A sparse matrix as (row index, column index, value) arrays, at most one entry per position.
_Triplets = tuple[np.ndarray, np.ndarray, np.ndarray]


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


def _negated(expression: dict[int, float]) -> dict[int, float]:
    return {variable: -coefficient for variable, coefficient in expression.items()}


class _Model:
    """One LP (lower <= A x <= upper, column bounds) held by HiGHS: each objective is solved from the basis the
    previous one left (a change of objective keeps it primal feasible, so a few simplex iterations suffice)."""

    def __init__(self, matrix: _Triplets, row_lower, row_upper, column_lower, column_upper) -> None:
        rows, columns = len(row_lower), len(column_lower)
        row_index, column_index, values = matrix
        # column-wise, rows ascending within a column: the layout HiGHS keeps (scipy's csc of the same triplets)
        order = np.lexsort((row_index, column_index))
        start = np.searchsorted(column_index[order], np.arange(columns + 1)).astype(np.int32)
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = columns, rows
        lp.col_cost_ = np.zeros(columns)
        lp.col_lower_, lp.col_upper_ = column_lower, column_upper
        lp.row_lower_, lp.row_upper_ = row_lower, row_upper
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = columns, rows
        lp.a_matrix_.start_, lp.a_matrix_.index_ = start, row_index[order].astype(np.int32)
        lp.a_matrix_.value_ = values[order]
        self.columns = columns
        self.highs = self._solver(lp, **_OPTIONS)

    @staticmethod
    def _solver(lp: highspy.HighsLp, **options: str) -> highspy.Highs:
        highs = highspy.Highs()
        highs.setOptionValue("output_flag", False)
        for name, value in options.items():
            highs.setOptionValue(name, value)
        highs.passModel(lp)
        return highs

    def minimum(self, cost: np.ndarray) -> tuple[float, np.ndarray | None]:
        """The minimum of cost·x and a point attaining it (None when unbounded)."""
        highs = self.highs
        highs.changeColsCost(self.columns, np.arange(self.columns, dtype=np.int32), cost)
        highs.run()
        status = highs.getModelStatus()
        for options in _FALLBACKS:
            if status in _DECISIVE:
                break
            highs = self._solver(self.highs.getLp(), **options)
            highs.run()
            status = highs.getModelStatus()
        if status == _STATUS.kOptimal:
            return float(highs.getInfo().objective_function_value), np.array(highs.getSolution().col_value)
        if status == _STATUS.kUnbounded:
            return -math.inf, None
        if status == _STATUS.kInfeasible:
            raise AuditInfeasible(
                f"the published relations contradict each other (HiGHS: {highs.modelStatusToString(status)})"
            )
        raise AuditSolverError(f"HiGHS stopped without an answer: {highs.modelStatusToString(status)}")


class _RatioModel:
    """The Charnes–Cooper model of a problem; its last row is the denominator d·y = 1, changed per ratio."""

    def __init__(self, model: _Model, row: int) -> None:
        self.model, self.row = model, row
        self._denominator: dict[int, float] = {}

    def set_denominator(self, denominator: dict[int, float]) -> None:
        for variable in self._denominator.keys() - denominator.keys():
            self.model.highs.changeCoeff(self.row, variable, 0.0)
        for variable, coefficient in denominator.items():
            if self._denominator.get(variable) != coefficient:
                self.model.highs.changeCoeff(self.row, variable, coefficient)
        self._denominator = dict(denominator)


class Problem:
    """Unknowns with bounds, equalities and inequalities; intervals of linear expressions and ratios over them."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self._lower: list[float] = []
        self._upper: list[float] = []
        self._equal: list[tuple[dict[int, float], float]] = []
        self._at_most: list[tuple[dict[int, float], float]] = []
        self._relations: tuple[_Triplets, np.ndarray, np.ndarray] | None = None
        self._compiled: _Model | None = None
        self._ratio: _RatioModel | None = None

    # ---- building -------------------------------------------------------------------------------------------------
    def variable(self, name: str, lower: float = 0.0, upper: float = math.inf) -> int:
        if not lower <= upper:
            raise ValueError(f"variable {name!r}: lower bound {lower} above upper bound {upper}")
        self.names.append(name)
        self._lower.append(float(lower))
        self._upper.append(float(upper))
        self._relations = self._compiled = self._ratio = None
        return len(self.names) - 1

    def equal(self, coefficients: LinearExpression, rhs: float) -> None:
        """Σ c·x = rhs."""
        self._add(self._equal, (self._checked(coefficients, rhs), float(rhs)))

    def at_most(self, coefficients: LinearExpression, rhs: float) -> int:
        """Σ c·x <= rhs; returns the row's handle for :meth:`change`."""
        self._add(self._at_most, (self._checked(coefficients, rhs), float(rhs)))
        return len(self._at_most) - 1

    def at_least(self, coefficients: LinearExpression, rhs: float) -> int:
        """Σ c·x >= rhs; returns the row's handle for :meth:`change` (which takes the row as Σ −c·x <= −rhs)."""
        self._add(self._at_most, (_negated(self._checked(coefficients, rhs)), -float(rhs)))
        return len(self._at_most) - 1

    def change(self, row: int, coefficients: LinearExpression, rhs: float) -> None:
        """Make the inequality ``row`` (a handle from :meth:`at_most` or :meth:`at_least`) Σ c·x <= rhs; an empty
        expression with rhs 0 lifts it. The models HiGHS already holds are changed in place, keeping their bases."""
        old, _ = self._at_most[row]
        new = self._checked(coefficients, rhs)
        self._at_most[row] = (new, float(rhs))
        self._relations = None
        position = len(self._equal) + row
        changed = {v: c for v, c in new.items() if old.get(v) != c} | {v: 0.0 for v in old.keys() - new.keys()}
        if self._compiled is not None:
            highs = self._compiled.highs
            for variable, coefficient in changed.items():
                highs.changeCoeff(position, variable, coefficient)
            highs.changeRowBounds(position, -math.inf, float(rhs))
        if self._ratio is not None:  # the row scaled by t: a·y − rhs·t <= 0
            highs = self._ratio.model.highs
            for variable, coefficient in changed.items():
                highs.changeCoeff(position, variable, coefficient)
            highs.changeCoeff(position, len(self.names), -float(rhs))

    def within(self, coefficients: LinearExpression, value: float, tolerance: float) -> None:
        """|Σ c·x − value| <= tolerance: a published value known up to its floating-point (or printed) precision."""
        checked = self._checked(coefficients, value + tolerance, value - tolerance)
        self._add(self._at_most, (checked, float(value + tolerance)), (_negated(checked), -float(value - tolerance)))

    def _add(self, relations: list[tuple[dict[int, float], float]], *rows: tuple[dict[int, float], float]) -> None:
        """Rows into the equalities or inequalities; the models built from the earlier rows no longer hold."""
        relations.extend(rows)
        self._relations = self._compiled = self._ratio = None

    def _checked(self, coefficients: LinearExpression, *rhs: float) -> dict[int, float]:
        if not all(map(math.isfinite, rhs)):
            raise ValueError(
                f"relation with a non-finite right-hand side {next(r for r in rhs if not math.isfinite(r))}"
            )
        if coefficients and not (min(coefficients) >= 0 and max(coefficients) < len(self.names)):
            variable = next(v for v in coefficients if not 0 <= v < len(self.names))
            raise ValueError(f"relation names variable {variable}, but the problem has {len(self.names)}")
        out = {variable: float(coefficient) for variable, coefficient in coefficients.items() if coefficient != 0.0}
        if not all(map(math.isfinite, out.values())):
            variable = next(v for v, c in out.items() if not math.isfinite(c))
            raise ValueError(f"relation gives {self.names[variable]!r} a non-finite coefficient {out[variable]}")
        return out

    # ---- solving --------------------------------------------------------------------------------------------------
    def _rows(self) -> tuple[_Triplets, np.ndarray, np.ndarray]:
        """Every relation as a row lower <= a·x <= upper: the equalities, then the inequalities."""
        if self._relations is None:
            self._relations = self._matrix()
        return self._relations

    def _matrix(self) -> tuple[_Triplets, np.ndarray, np.ndarray]:
        rows = self._equal + self._at_most
        data, column_index = [], []
        for coefficients, _ in rows:
            data.extend(coefficients.values())
            column_index.extend(coefficients.keys())
        row_index = np.repeat(np.arange(len(rows)), [len(coefficients) for coefficients, _ in rows])
        matrix = (row_index, np.array(column_index, dtype=np.int64), np.array(data, dtype=float))
        rhs = np.array([rhs for _, rhs in rows], dtype=float)
        lower = np.concatenate([rhs[: len(self._equal)], np.full(len(self._at_most), -math.inf)])
        return matrix, lower, rhs

    def _model(self) -> _Model:
        """The problem as one HiGHS model, built once and re-solved for every objective."""
        if self._compiled is None:
            matrix, row_lower, row_upper = self._rows()
            self._compiled = _Model(matrix, row_lower, row_upper, np.array(self._lower), np.array(self._upper))
        return self._compiled

    def _ratio_model(self) -> _RatioModel:
        """The Charnes–Cooper model in (y, t) (see :meth:`interval`), built once; only its denominator row changes.

        Rows: A y - b t within [lower·0, upper·0] (each relation scaled by t); l t <= y <= u t as rows where a bound is
        finite and not 0 (y >= 0 stays a bound); d·y = 1 last; 0 <= t <= 1."""
        if self._ratio is None:
            matrix, row_lower, row_upper = self._rows()
            size = len(self.names)
            rhs = np.where(np.isfinite(row_upper), row_upper, row_lower)
            lower = np.array(self._lower)
            upper = np.array(self._upper)
            # bound rows in variable order, a variable's lower bound row before its upper one
            has_lower = np.isfinite(lower) & (lower != 0.0)
            has_upper = np.isfinite(upper)
            first = len(rhs) + np.cumsum(has_lower.astype(int) + has_upper) - has_lower - has_upper
            lower_of, upper_of = np.flatnonzero(has_lower), np.flatnonzero(has_upper)
            lower_rows, upper_rows = first[lower_of], first[upper_of] + has_lower[upper_of]
            row = len(lower_of) + len(upper_of)
            with_rhs = np.flatnonzero(rhs != 0.0)
            pieces = [
                matrix,  # A y
                (with_rhs, np.full(len(with_rhs), size), -rhs[with_rhs]),  # - b t
                (lower_rows, lower_of, np.full(len(lower_of), -1.0)),  # l t - y <= 0
                (lower_rows, np.full(len(lower_of), size), lower[lower_of]),
                (upper_rows, upper_of, np.ones(len(upper_of))),  # y - u t <= 0
                (upper_rows, np.full(len(upper_of), size), -upper[upper_of]),
            ]
            rows = tuple(np.concatenate(part) for part in zip(*pieces, strict=True))
            # an equality stays an equality (0 = 0), an inequality a <= 0 (none of the relations has a finite lower
            # bound apart from the equalities)
            ratio_lower = np.concatenate(
                [np.where(np.isfinite(row_lower), 0.0, -math.inf), np.full(row, -math.inf), [1.0]]
            )
            ratio_upper = np.concatenate([np.zeros(len(row_upper) + row), [1.0]])
            column_lower = np.append(np.where(lower == 0.0, 0.0, -math.inf), 0.0)
            column_upper = np.append(np.full(size, math.inf), 1.0)
            self._ratio = _RatioModel(
                _Model(rows, ratio_lower, ratio_upper, column_lower, column_upper), len(ratio_lower) - 1
            )
        return self._ratio

    def _vector(self, expression: LinearExpression, size: int) -> np.ndarray:
        vector = np.zeros(size)
        for variable, coefficient in self._checked(expression, 0.0).items():
            vector[variable] = coefficient
        return vector

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
        model = self._model()
        cost = self._vector(numerator, len(self.names))
        low, at_low = model.minimum(cost)
        high, at_high = model.minimum(-cost)
        return low, -high, [x for x in (at_low, at_high) if x is not None]

    def value(self, expression: LinearExpression, point: np.ndarray) -> float:
        """expression·point."""
        return float(sum(coefficient * point[variable] for variable, coefficient in expression.items()))

    def _ratio_extremes(
        self, numerator: LinearExpression, denominator: LinearExpression
    ) -> tuple[float, float, list[np.ndarray]]:
        size = len(self.names)
        ratio = self._ratio_model()
        ratio.set_denominator(self._checked(denominator, 0.0))
        cost = np.append(self._vector(numerator, size), 0.0)
        try:
            low, at_low = ratio.model.minimum(cost)
        except AuditInfeasible:
            self.check_feasible()  # raises when the relations themselves contradict each other
            return math.nan, math.nan, []
        high, at_high = ratio.model.minimum(-cost)
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
