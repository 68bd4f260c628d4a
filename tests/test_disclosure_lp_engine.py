"""The LP engine (orchestration/disclosure/lp.py: one HiGHS model per problem, re-solved per objective) gives the
intervals of the straightforward formulation: a fresh ``scipy.optimize.linprog`` per bound, the ratio through the
Charnes–Cooper transformation built anew each time. Every interval the audits of the lp, pools and subgroups tests
ask for is solved both ways and compared."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import numpy as np
import pytest
from scipy import sparse
from scipy.optimize import linprog

from orchestration.disclosure.lp import AuditInfeasible, Problem
from orchestration.disclosure.pools import audit_release_pools
from orchestration.disclosure.subgroups import audit_subgroups
from tests import test_disclosure_audit_pools as pools_tests
from tests import test_disclosure_audit_subgroups as subgroup_tests
from tests import test_disclosure_lp as lp_tests

# The relations hold published values to 1e-6 (blocks._tolerance), and a mean divides sums by counts held that
# loosely: two correct solvers may stop at different points of that slack, up to 1e-6 x 100 index points per unit.
TOLERANCE = 1e-3


def _split(problem: Problem) -> tuple:
    """The problem's relation rows (the engine's own matrix: what is compared here is the solving) as linprog takes
    them: equalities and inequalities apart, None where there are none."""
    (rows, columns, values), _, rhs = problem._rows()
    matrix = sparse.csr_matrix((values, (rows, columns)), shape=(len(rhs), len(problem.names)))
    n_equal = len(problem._equal)
    equal = (matrix[:n_equal], rhs[:n_equal]) if n_equal else (None, None)
    at_most = (matrix[n_equal:], rhs[n_equal:]) if matrix.shape[0] > n_equal else (None, None)
    return *equal, *at_most


def _minimum(cost, a_ub, b_ub, a_eq, b_eq, bounds) -> float:
    result = linprog(cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    if result.status == 2:
        raise AuditInfeasible(result.message)
    assert result.status in (0, 3), result.message
    return float(result.fun) if result.status == 0 else -math.inf


def reference_interval(problem: Problem, numerator: dict, denominator: dict | None) -> tuple[float, float]:
    """The interval by linprog, one fresh solve per bound."""
    size = len(problem.names)
    a_eq, b_eq, a_ub, b_ub = _split(problem)
    cost = np.zeros(size)
    for variable, coefficient in numerator.items():
        cost[variable] = coefficient
    if denominator is None:
        bounds = [
            (None if math.isinf(lo) else lo, None if math.isinf(hi) else hi)
            for lo, hi in zip(problem._lower, problem._upper, strict=True)
        ]
        return _minimum(cost, a_ub, b_ub, a_eq, b_eq, bounds), -_minimum(-cost, a_ub, b_ub, a_eq, b_eq, bounds)
    # y = t x, t = 1 / (d x): A_eq y = b_eq t, A_ub y <= b_ub t, l t <= y <= u t, d y = 1, 0 <= t <= 1
    t_column = lambda b: sparse.csr_matrix(-b.reshape(-1, 1))  # noqa: E731
    d = np.zeros(size + 1)
    for variable, coefficient in denominator.items():
        d[variable] = coefficient
    eq = [sparse.csr_matrix(d.reshape(1, -1))]
    if a_eq is not None:
        eq.insert(0, sparse.hstack([a_eq, t_column(b_eq)]))
    ub = [sparse.hstack([a_ub, t_column(b_ub)])] if a_ub is not None else []
    y_bounds = []
    for i, (lo, hi) in enumerate(zip(problem._lower, problem._upper, strict=True)):
        y_bounds.append((0.0 if lo == 0.0 else None, None))
        for sign, bound in ((-1.0, lo), (1.0, hi)):
            if math.isfinite(bound) and not (sign < 0 and bound == 0.0):
                row = np.zeros(size + 1)
                row[i], row[size] = sign, -sign * bound
                ub.append(sparse.csr_matrix(row.reshape(1, -1)))
    a_eq_ratio = sparse.vstack(eq).tocsr()
    b_eq_ratio = np.zeros(a_eq_ratio.shape[0])
    b_eq_ratio[-1] = 1.0
    a_ub_ratio = sparse.vstack(ub).tocsr() if ub else None
    b_ub_ratio = np.zeros(a_ub_ratio.shape[0]) if ub else None
    bounds = [*y_bounds, (0.0, 1.0)]
    cost = np.append(cost, 0.0)
    try:
        low = _minimum(cost, a_ub_ratio, b_ub_ratio, a_eq_ratio, b_eq_ratio, bounds)
    except AuditInfeasible:
        return math.nan, math.nan
    return low, -_minimum(-cost, a_ub_ratio, b_ub_ratio, a_eq_ratio, b_eq_ratio, bounds)


def _same(engine: tuple[float, float], reference: tuple[float, float]) -> bool:
    return all(
        (math.isnan(a) and math.isnan(b)) or a == b or abs(a - b) <= TOLERANCE * max(1.0, abs(b) / 100.0)
        for a, b in zip(engine, reference, strict=True)
    )


@pytest.fixture
def compared(monkeypatch) -> list:
    """Every interval the engine solves, beside the reference's; fails on the first that differs."""
    seen = []
    engine = Problem.extremes

    def checked(problem, numerator, denominator=None):
        try:
            reference = reference_interval(problem, problem._checked(numerator, 0.0), denominator)
        except AuditInfeasible:
            seen.append("infeasible")
            with pytest.raises(AuditInfeasible):
                engine(problem, numerator, denominator)
            raise
        low, high, points = engine(problem, numerator, denominator)
        assert _same((low, high), reference), f"engine {(low, high)} but linprog {reference}"
        seen.append(reference)
        return low, high, points

    monkeypatch.setattr(Problem, "extremes", checked)
    return seen


LP_CASES = [getattr(lp_tests, name) for name in dir(lp_tests) if name.startswith("test_")]


@pytest.mark.parametrize("case", LP_CASES, ids=lambda case: case.__name__)
def test_the_hand_worked_cases_give_linprogs_intervals(compared, case) -> None:
    case()
    assert compared  # the case solved something, and each of its intervals matched


def test_every_pool_interval_of_the_planted_releases_is_linprogs(compared, tmp_path: Path) -> None:
    releases = {
        "well_protected": pools_tests.Release(pools_tests._well_protected()),
        "one_suppressed_industry": pools_tests.Release(pools_tests._one_suppressed_industry()),
        "suppressed_companies_pooled": pools_tests.Release(
            pools_tests._well_protected(), pool_suppressed_companies=True
        ),
    }
    for name, release in releases.items():
        root = release.write_release(tmp_path / name)
        # in this process, where the engine is wrapped (workers=1 and 2 find the same: test_disclosure_audit_pools)
        audit_release_pools(root, pools_tests.YEAR, min_respondents=pools_tests.N_MIN, scale_points=1, workers=1)
    assert len(compared) > 100


def test_every_subgroup_interval_of_the_planted_company_is_linprogs(compared, tmp_path: Path) -> None:
    answers, respondents = subgroup_tests.survey()
    reasons = subgroup_tests.old_rank_audit(respondents)
    for name, suppressed in (("attacked", reasons), ("hidden", {**reasons, ("role", "Rådgiver"): "complementary"})):
        package = subgroup_tests.q04_package(tmp_path / f"{name}.duckdb", answers, respondents, suppressed)
        with duckdb.connect(str(package), read_only=True) as con:
            audit_subgroups(
                con, subgroup_tests.YEAR, subgroup_tests._structure(respondents), scale_points=1, min_respondents=5
            )
    assert len(compared) > 4
