"""The unknowns of one group of respondents ("block") for one measure, and the relations published cells give.

A block is the smallest group a reader can tell apart (e.g. one cross cell department x tenure x age band x role of
one company). Every published cell is a union of blocks, and each of its statistics is a linear relation between the
blocks' unknowns (methodology §3 defines the statistics; `measure_stats.sql` computes them):

    n                        Σ n_b
    index_0_100 (mean)       Σ S_b = n · mean                  S = sum of the respondents' scores (index points)
    sd                       Σ Q_b = (n − 1)·sd² + n·mean²     Q = sum of squared scores
    favorable_pct (etc.)     Σ fav_b = p/100 · Σ v_b           v = valid answers behind the shares
    dont_know_pct            Σ dk_b = p/100 · (Σ v_b + Σ dk_b)
    answer counts per code   Σ count_b(code) = n(code)

Categorical measures (an item: one answer per respondent on scale_min..scale_max; eNPS: promoter / passive /
detractor points of the 0-10 item) have one count variable per answer code, so every relation above is exact.
Continuous measures (a theme score, the overall index: means of item indices, anywhere in 0-100) have n, S, Q as
variables with the relations every real group satisfies: low·n <= S <= high·n, Q <= (low + high)·S − low·high·n
(each score x obeys (x − low)(high − x) >= 0), and Q >= S²/n (Cauchy–Schwarz), which is convex and enters as its
tangent cuts Q >= 2aS − a²n at a on a grid. So the audit's feasible set contains every real group: an outer
approximation, as τ-ARGUS audits the continuous relaxation of a table; intervals can only come out wider than the
exact ones, by at most what a finer grid of cuts would remove (the cuts are exact where a group is all at a grid
point, e.g. a group whose scores are all equal to a multiple of the grid step).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from orchestration.disclosure.lp import Problem, combine

FAVORABLE, NEUTRAL, UNFAVORABLE = "favorable", "neutral", "unfavorable"
CATEGORIES = (FAVORABLE, NEUTRAL, UNFAVORABLE)

#: Tangent cuts of Q >= S²/n every this many index points (continuous measures).
DEFAULT_CUT_STEP = 2.5


@dataclass(frozen=True)
class Block:
    """Linear expressions over a Problem's variables for one group of respondents and one measure."""

    name: str
    n: dict[int, float]
    total: dict[int, float]  # S: sum of scores in index points
    sum_sq: dict[int, float]  # Q: sum of squared scores
    valid_answers: dict[int, float]  # v: the denominator of the favourable / neutral / unfavourable shares
    category: dict[str, dict[int, float]]  # favorable / neutral / unfavorable answer counts
    dont_know: dict[int, float]
    codes: dict[int, int] = field(default_factory=dict)  # answer code as given -> its count variable (categorical)


def item_index(code: int, scale_min: int, scale_max: int, reverse_coded: bool = False) -> float:
    """0-100 index of an answer code (reverse-coded first where the item is), as `item_index` in scoring.sql."""
    value = scale_min + scale_max - code if reverse_coded else code
    return (value - scale_min) * 100.0 / (scale_max - scale_min)


def answer_category(code: int, scale_min: int, scale_max: int, reverse_coded: bool = False) -> str:
    """Favourable: the top two points, unfavourable: the bottom two, as `answer_category` in scoring.sql."""
    value = scale_min + scale_max - code if reverse_coded else code
    if value >= scale_max - 1:
        return FAVORABLE
    if value <= scale_min + 1:
        return UNFAVORABLE
    return NEUTRAL


def enps_points(code: int) -> float:
    """eNPS points of a 0-10 answer, as `enps_points` in scoring.sql: 9-10 → 100, 7-8 → 0, 0-6 → −100."""
    return 100.0 if code >= 9 else 0.0 if code >= 7 else -100.0


def categorical_block(problem: Problem, name: str, codes: Mapping[int, tuple[float, str]], n_min: float = 0.0) -> Block:
    """A measure with one score per answer code: codes maps code -> (score in index points, category)."""
    variables = {code: problem.variable(f"{name}[{code}]") for code in codes}
    dont_know = problem.variable(f"{name}[dk]")
    n = {variables[code]: 1.0 for code in codes}
    if n_min > 0:
        problem.at_least(n, n_min)
    return Block(
        name=name,
        n=n,
        total={variables[code]: score for code, (score, _) in codes.items() if score != 0.0},
        sum_sq={variables[code]: score * score for code, (score, _) in codes.items() if score != 0.0},
        valid_answers=dict(n),
        category={
            category: {variables[code]: 1.0 for code, (_, c) in codes.items() if c == category}
            for category in CATEGORIES
        },
        dont_know={dont_know: 1.0},
        codes=variables,
    )


def item_block(
    problem: Problem,
    name: str,
    scale_min: int,
    scale_max: int,
    reverse_coded: bool = False,
    n_min: float = 0.0,
) -> Block:
    """An item: counts of each answer code (as given, before reverse coding) and of don't-knows."""
    if not scale_max > scale_min:
        raise ValueError(f"item block {name!r}: scale_max {scale_max} must be above scale_min {scale_min}")
    codes = {
        code: (
            item_index(code, scale_min, scale_max, reverse_coded),
            answer_category(code, scale_min, scale_max, reverse_coded),
        )
        for code in range(scale_min, scale_max + 1)
    }
    return categorical_block(problem, name, codes, n_min)


def enps_block(problem: Problem, name: str, n_min: float = 0.0) -> Block:
    """eNPS: promoters (100 points, 'favorable'), passives (0, 'neutral'), detractors (−100, 'unfavorable')."""
    codes = {100: (100.0, FAVORABLE), 0: (0.0, NEUTRAL), -100: (-100.0, UNFAVORABLE)}
    return categorical_block(problem, name, codes, n_min)


def continuous_block(
    problem: Problem,
    name: str,
    low: float = 0.0,
    high: float = 100.0,
    cut_step: float = DEFAULT_CUT_STEP,
    n_min: float = 0.0,
) -> Block:
    """A theme score or the overall index: n, S, Q with the relations of every real group (module docstring);
    the shares are over the measure's item answers v (fav + neu + unf = v), don't-knows apart."""
    if not high > low or not cut_step > 0:
        raise ValueError(f"continuous block {name!r}: need low < high and cut_step > 0, got {low}, {high}, {cut_step}")
    n = problem.variable(f"{name}.n", lower=n_min)
    s = problem.variable(f"{name}.S", lower=-math.inf)
    q = problem.variable(f"{name}.Q")
    problem.at_least({s: 1.0, n: -low}, 0.0)  # S >= low·n
    problem.at_most({s: 1.0, n: -high}, 0.0)  # S <= high·n
    problem.at_most({q: 1.0, s: -(low + high), n: low * high}, 0.0)  # Σ (x − low)(high − x) >= 0
    for a in _grid(low, high, cut_step):
        problem.at_least({q: 1.0, s: -2.0 * a, n: a * a}, 0.0)  # Σ (x − a)² >= 0: Q >= S²/n's tangent at S/n = a
    categories = {category: problem.variable(f"{name}.{category}") for category in CATEGORIES}
    valid = problem.variable(f"{name}.v")
    problem.equal({**{variable: 1.0 for variable in categories.values()}, valid: -1.0}, 0.0)
    dont_know = problem.variable(f"{name}.dk")
    return Block(
        name=name,
        n={n: 1.0},
        total={s: 1.0},
        sum_sq={q: 1.0},
        valid_answers={valid: 1.0},
        category={category: {variable: 1.0} for category, variable in categories.items()},
        dont_know={dont_know: 1.0},
    )


def _grid(low: float, high: float, step: float) -> list[float]:
    count = math.ceil((high - low) / step - 1e-9)
    return [low + min(i * step, high - low) for i in range(count + 1)]


# ---- expressions over unions of blocks -------------------------------------------------------------------------------
def union(blocks: Iterable[Block], attribute: str) -> dict[int, float]:
    """An expression summed over blocks, e.g. union(blocks, 'n') is the union's respondent count."""
    return combine(*(getattr(block, attribute) for block in blocks))


def union_category(blocks: Iterable[Block], category: str) -> dict[int, float]:
    return combine(*(block.category[category] for block in blocks))


def _tolerance(value: float) -> float:
    """How far a published double may be from the exact statistic: float rounding in the warehouse (relative 1e-9),
    but not below 1e-6, so that a relation stays a range HiGHS can hold within its own feasibility tolerance (1e-7)."""
    return max(1e-6, 1e-9 * abs(value))


@dataclass(frozen=True)
class CellStatistics:
    """What a published cell shows (columns of company_scores / subgroup_scores); None where not published."""

    n: float | None = None
    index_0_100: float | None = None
    sd: float | None = None
    favorable_pct: float | None = None
    neutral_pct: float | None = None
    unfavorable_pct: float | None = None
    dont_know_pct: float | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, object]) -> CellStatistics:
        def value(column: str) -> float | None:
            v = row.get(column)
            return None if pd.isna(v) else float(v)

        return cls(
            n=value("n_respondents"),
            index_0_100=value("index_0_100"),
            sd=value("sd"),
            favorable_pct=value("favorable_pct"),
            neutral_pct=value("neutral_pct"),
            unfavorable_pct=value("unfavorable_pct"),
            dont_know_pct=value("dont_know_pct"),
        )


def publish(problem: Problem, blocks: Iterable[Block], cell: CellStatistics) -> None:
    """Enter every relation a published cell (a union of blocks) gives: n, sum, sum of squares, category and
    don't-know counts."""
    blocks = list(blocks)
    n = union(blocks, "n")
    if cell.n is not None:
        problem.within(n, cell.n, _tolerance(cell.n))
    if cell.n is not None and cell.index_0_100 is not None:
        total = cell.n * cell.index_0_100
        problem.within(union(blocks, "total"), total, _tolerance(total))
        if cell.sd is not None:
            sum_sq = (cell.n - 1.0) * cell.sd**2 + cell.n * cell.index_0_100**2
            problem.within(union(blocks, "sum_sq"), sum_sq, _tolerance(sum_sq))
    valid = union(blocks, "valid_answers")
    for category, pct in (
        (FAVORABLE, cell.favorable_pct),
        (NEUTRAL, cell.neutral_pct),
        (UNFAVORABLE, cell.unfavorable_pct),
    ):
        if pct is not None:  # count − p·v = 0: linear even where v is unknown
            expression = combine(union_category(blocks, category), valid, weights=(1.0, -pct / 100.0))
            problem.within(expression, 0.0, _tolerance(cell.n or 1.0))
    if cell.dont_know_pct is not None:  # dk = p·(v + dk)
        p = cell.dont_know_pct / 100.0
        expression = combine(union(blocks, "dont_know"), valid, weights=(1.0 - p, -p))
        problem.within(expression, 0.0, _tolerance(cell.n or 1.0))


def publish_distribution(problem: Problem, blocks: Iterable[Block], counts: Mapping[int | None, float]) -> None:
    """An answer distribution of a union of categorical blocks: counts maps answer code (None: don't know) -> n."""
    blocks = list(blocks)
    for code, count in counts.items():
        if code is None:
            expression = union(blocks, "dont_know")
        else:
            missing = [block.name for block in blocks if code not in block.codes]
            if missing:
                raise ValueError(f"answer distribution has code {code}, which blocks {missing[:3]} do not have")
            expression = combine(*({block.codes[code]: 1.0} for block in blocks))
        problem.within(expression, float(count), _tolerance(count))
