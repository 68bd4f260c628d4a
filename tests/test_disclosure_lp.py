"""The audit's interval finder on cases small enough to work out by hand (orchestration/disclosure/lp.py, blocks.py)."""

from __future__ import annotations

import math

import pytest

from orchestration.disclosure.blocks import (
    CellStatistics,
    continuous_block,
    enps_block,
    item_block,
    publish,
    publish_distribution,
    union,
)
from orchestration.disclosure.lp import AuditInfeasible, Problem


def _two_one_person_cells(union_counts: dict[int | None, float]) -> tuple[Problem, list]:
    problem = Problem()
    cells = [item_block(problem, name, 1, 6, n_min=1) for name in ("a", "b")]
    publish(problem, cells, CellStatistics(n=2))
    publish_distribution(problem, cells, union_counts)
    for cell in cells:  # each cell is one person (its n is known to be 1)
        problem.equal(cell.n, 1)
    return problem, cells


def test_two_one_person_cells_who_both_answered_6_are_both_exactly_100():
    problem, cells = _two_one_person_cells({1: 0, 2: 0, 3: 0, 4: 0, 5: 0, 6: 2})
    for cell in cells:
        low, high = problem.interval(cell.total, cell.n)
        # exact up to the relations' tolerance: a count published as 0 is held to 1e-6, which moves a mean 1e-4
        assert low == pytest.approx(100.0, abs=1e-3) and high == pytest.approx(100.0, abs=1e-3)


def test_two_one_person_cells_who_answered_2_and_6_lie_in_20_to_100():
    # the index of 2 on 1-6 is (2 - 1) / 5 * 100 = 20; either person may be the one who answered 2
    problem, cells = _two_one_person_cells({1: 0, 2: 1, 3: 0, 4: 0, 5: 0, 6: 1})
    for cell in cells:
        assert problem.interval(cell.total, cell.n) == pytest.approx((20.0, 100.0))


def test_the_union_mean_and_sd_alone_give_the_same_as_the_distribution():
    # {2, 6}: mean 60, sd = sqrt(((20 - 60)² + (100 - 60)²) / 1) = 40 * sqrt(2)
    problem = Problem()
    cells = [item_block(problem, name, 1, 6, n_min=1) for name in ("a", "b")]
    publish(problem, cells, CellStatistics(n=2, index_0_100=60.0, sd=40.0 * math.sqrt(2.0)))
    for cell in cells:
        problem.equal(cell.n, 1)
    assert problem.interval(cells[0].total, cells[0].n) == pytest.approx((20.0, 100.0))


def test_reverse_coded_item_maps_codes_before_scoring():
    # reverse coded 1-6: the code 2 as given is the value 5, index 80
    problem = Problem()
    cell = item_block(problem, "a", 1, 6, reverse_coded=True)
    publish_distribution(problem, [cell], {1: 0, 2: 3, 3: 0, 4: 0, 5: 0, 6: 0, None: 0})
    assert problem.interval(cell.total, cell.n) == pytest.approx((80.0, 80.0))
    assert problem.interval(cell.category["favorable"]) == pytest.approx((3.0, 3.0))


def test_a_sd_0_union_of_5_with_cuts_every_2_5_points_leaves_half_a_step_either_side():
    # union: n 5, mean 60, sd 0, so Q = 5 * 60² and Σ (x - 60)² = 0 over the union, hence in each part.
    # The cuts at 57.5 and 62.5 then give, with Q = 120 S - 3600 n: 5 S >= 293.75 n and 5 S <= 306.25 n,
    # i.e. the part's mean lies in [58.75, 61.25].
    problem = Problem()
    parts = [continuous_block(problem, name, n_min=1) for name in ("a", "b")]
    publish(problem, parts, CellStatistics(n=5, index_0_100=60.0, sd=0.0))
    low, high = problem.interval(parts[0].total, parts[0].n)
    assert low == pytest.approx(58.75, abs=1e-3) and high == pytest.approx(61.25, abs=1e-3)
    # and its n is 1 to 4 (the other part has at least one)
    assert problem.interval(parts[0].n) == pytest.approx((1.0, 4.0))


def test_a_continuous_part_without_sd_only_knows_the_range():
    # union of 2 with mean 50 and no sd: a one-person part may be anywhere in 0..100
    problem = Problem()
    parts = [continuous_block(problem, name, n_min=1) for name in ("a", "b")]
    publish(problem, parts, CellStatistics(n=2, index_0_100=50.0))
    problem.equal(parts[0].n, 1)
    assert problem.interval(parts[0].total, parts[0].n) == pytest.approx((0.0, 100.0))


def test_shares_with_an_unknown_denominator_stay_linear():
    # a theme published as 100% favourable over its item answers: every part's answers are favourable
    problem = Problem()
    parts = [continuous_block(problem, name) for name in ("a", "b")]
    publish(problem, parts, CellStatistics(n=3, index_0_100=90.0, favorable_pct=100.0, dont_know_pct=0.0))
    assert problem.interval(parts[0].category["neutral"]) == pytest.approx((0.0, 0.0), abs=1e-5)
    assert problem.interval(parts[0].dont_know) == pytest.approx((0.0, 0.0), abs=1e-5)
    assert problem.interval(parts[0].category["favorable"]) == (0.0, math.inf)


def test_subtraction_determines_a_count_exactly():
    # company of 10, published subgroup of 7: the other subgroup has exactly 3
    problem = Problem()
    published, hidden = item_block(problem, "published", 1, 6), item_block(problem, "hidden", 1, 6)
    publish(problem, [published, hidden], CellStatistics(n=10))
    publish(problem, [published], CellStatistics(n=7))
    interval = problem.interval(hidden.n)
    assert interval == pytest.approx((3.0, 3.0))
    assert Problem.distinct_integers(interval) == 1
    assert Problem.distinct_integers((1.0, 4.0)) == 4
    assert Problem.distinct_integers((0.0, math.inf)) == math.inf


def test_enps_points_of_a_union():
    # 4 people, 3 promoters and 1 detractor: mean (300 - 100) / 4 = 50.
    # A one-person part is either a promoter or the detractor.
    problem = Problem()
    parts = [enps_block(problem, name, n_min=1) for name in ("a", "b")]
    sd = math.sqrt((3 * (100 - 50) ** 2 + (-100 - 50) ** 2) / 3)
    publish(problem, parts, CellStatistics(n=4, index_0_100=50.0, sd=sd))
    problem.equal(parts[0].n, 1)
    assert problem.interval(parts[0].total, parts[0].n) == pytest.approx((-100.0, 100.0))
    assert problem.interval(union(parts, "n")) == pytest.approx((4.0, 4.0))
    assert problem.interval(parts[1].category["neutral"]) == pytest.approx((0.0, 0.0), abs=1e-5)


def test_contradicting_relations_raise_instead_of_looking_safe():
    problem = Problem()
    parts = [item_block(problem, name, 1, 6) for name in ("a", "b")]
    publish(problem, parts, CellStatistics(n=2))
    publish(problem, parts[:1], CellStatistics(n=3))
    with pytest.raises(AuditInfeasible):
        problem.interval(parts[1].n)
    with pytest.raises(AuditInfeasible):
        problem.interval(parts[1].total, parts[1].n)


def test_a_ratio_of_a_group_that_must_be_empty_has_no_value():
    problem = Problem()
    parts = [item_block(problem, name, 1, 6) for name in ("a", "b")]
    publish(problem, parts, CellStatistics(n=2))
    publish(problem, parts[:1], CellStatistics(n=2))
    low, high = problem.interval(parts[1].total, parts[1].n)
    assert math.isnan(low) and math.isnan(high)


def test_an_unbounded_expression_is_infinite():
    problem = Problem()
    x = problem.variable("x")
    assert problem.interval({x: 1.0}) == (0.0, math.inf)


def test_a_row_changed_in_place_gives_the_changed_problems_intervals():
    # x + y = 10 with both in 0..10; the row changed is lifted, then x <= 4, then y - x <= -2 (x >= 6), then lifted:
    # each time after both models (the linear and the ratio one) were solved, so HiGHS's models change in place
    problem = Problem()
    x, y = problem.variable("x", 0.0, 10.0), problem.variable("y", 0.0, 10.0)
    problem.equal({x: 1.0, y: 1.0}, 10.0)
    row = problem.at_most({}, 0.0)
    share = ({x: 1.0}, {x: 1.0, y: 1.0})  # x / (x + y)
    for coefficients, rhs, x_interval, y_interval in (
        ({}, 0.0, (0.0, 10.0), (0.0, 10.0)),
        ({x: 1.0}, 4.0, (0.0, 4.0), (6.0, 10.0)),
        ({x: -1.0, y: 1.0}, -2.0, (6.0, 10.0), (0.0, 4.0)),
        ({}, 0.0, (0.0, 10.0), (0.0, 10.0)),
    ):
        problem.change(row, coefficients, rhs)
        assert problem.interval({x: 1.0}) == pytest.approx(x_interval)
        assert problem.interval({y: 1.0}) == pytest.approx(y_interval)
        assert problem.interval(*share) == pytest.approx((x_interval[0] / 10.0, x_interval[1] / 10.0))
