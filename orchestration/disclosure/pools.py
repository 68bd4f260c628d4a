"""The disclosure audit of benchmarks and companies in one audience package (issue 9, methodology §4, §6).

An attacker holds one package (public, one company's, or internal) and maybe the packages of colluding companies.
The unknowns are the companies the reader cannot see: anonymous in public and company packages, the suppressed cells
in the internal one. Every published benchmark cell (n, mean, sd, shares, don't-know share), every published answer
distribution at industry or national scope and every row of the reader's own companies (company_scores, their
answer distributions, company_vs_benchmark) is a linear relation over them; the LP engine (``lp.Problem``) then gives
the interval each protected value can still take:
- each unseen company's mean per measure (at least the margin wide) and its n (not exactly determined);
- each suppressed benchmark cell's mean, where it pools a company the reader cannot see;
- the responses an answer distribution holds beyond its benchmark (a distribution pooling a company the benchmark
  leaves out: the difference is that company).

Companies of one pool are exchangeable to the reader, so for a protected company one LP over two blocks of the pool
suffices: the target company and "the rest" of its pool (the rest, a sum of m - 1 valid companies, satisfies the
block constraints with n >= (m - 1) * n_min). Nested pools (an industry inside the national benchmark; the suppressed
industries together, which are the national pool minus the published industries) are separate blocks tied by the
published sums. The reader knows how many companies each published benchmark pools (n_companies) and that pooled
company cells are publishable (n >= min_respondents), a documented rule; a suppressed company cell
(min_respondents) has 1 <= n <= min_respondents - 1.

Percentile ranks (company_vs_benchmark) are order relations, not sums: they place the unseen companies in segments
between the readers' indices (``_order_cases``); the target's interval is the hull over the segments it can be in.
A coalition of companies holds the union of its members' packages (``audit_release_pools`` builds it); only
coalitions inside one pool change what the reader can solve, so only those are audited, and in a company or
coalition package only the pools its public package's audit does not already cover (``_focus``). Findings and
intervals: ``orchestration/disclosure/findings.py``.

What is left out, so the attacker here is weaker than a real one in these respects (documented, as τ-ARGUS documents
its continuous relaxation): counts are continuous, not integer; measures are audited one at a time (an item's
answers and the theme built from them are separate LPs), except the eNPS item and eNPS, which share one block;
the Welch p-values are nonlinear functions of the same sums and add nothing to them; a suppressed industry is
protected as a cell only when it is the only suppressed industry (several suppressed industries are one residual
pool whose split between them the reader does not know); the dominance reason's "largest company above the share"
is not used; a percentile rank splits the rest of the target's pool into segments only where every unseen company
of the ranked benchmark is in that pool; the previous year enters only through company_vs_benchmark (previous_index,
yoy_change) and the previous year's company_scores rows a connection holding both packages carries.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration.disclosure.blocks import (
    FAVORABLE,
    NEUTRAL,
    UNFAVORABLE,
    Block,
    CellStatistics,
    continuous_block,
    enps_points,
    item_block,
    publish,
    publish_distribution,
    union,
)
from orchestration.disclosure.blocks import (
    _tolerance as published_tolerance,  # the one home of how far a published double may be from its statistic
)
from orchestration.disclosure.findings import AuditResult, Finding, Interval, protection_margin
from orchestration.disclosure.lp import AuditInfeasible, AuditSolverError, Problem, combine
from orchestration.disclosure.workers import map_in_workers
from orchestration.packages import INTERNAL_ONLY_COLUMNS
from orchestration.settings import audit_workers, threshold_defaults

PUBLIC = "public"
INTERNAL = "internal"
COMPANY_PREFIX = "company:"


# --- measures ------------------------------------------------------------------------------------------------------

MeasureKey = tuple[str, str]


@dataclass(frozen=True)
class MeasureGroup:
    """Measures audited in one LP: one item (with eNPS when it is the eNPS item: the same answers), one theme, or
    the index. ``margins`` maps each measure to its protection margin in index points."""

    measures: tuple[MeasureKey, ...]
    margins: Mapping[MeasureKey, float]
    item: Mapping | None = None  # the questionnaire_items row of an item group
    max_answers: int = 1

    @property
    def primary(self) -> MeasureKey:
        return self.measures[0]


def _measure_groups(
    items: list[dict], measures: set[MeasureKey], enps_item_id: str, scale_points: float | None
) -> list[MeasureGroup]:
    by_item = {row["item_id"]: row for row in items}
    groups = []
    for measure_type, measure_id in sorted(measures):
        key = (measure_type, measure_id)
        if measure_type == "item":
            row = by_item.get(measure_id)
            if row is None:
                raise ValueError(f"benchmarks: item {measure_id!r} is not in questionnaire_items of the package")
            low, high = int(row["scale_min"]), int(row["scale_max"])
            margins = {key: protection_margin(low, high, scale_points)}
            if measure_id == enps_item_id and ("enps", "enps") in measures:
                # eNPS points run -100..100: one point of the 0-10 scale is twice the index points of the item
                margins[("enps", "enps")] = 2 * protection_margin(low, high, scale_points)
            groups.append(MeasureGroup(tuple(margins), margins, item=row))
        elif measure_type in ("theme", "index"):
            in_measure = [row for row in items if measure_type == "index" or row["theme_id"] == measure_id]
            if not in_measure:
                raise ValueError(f"benchmarks: {measure_type} {measure_id!r} has no item in questionnaire_items")
            low = min(int(row["scale_min"]) for row in in_measure)
            high = max(int(row["scale_max"]) for row in in_measure)
            groups.append(
                MeasureGroup((key,), {key: protection_margin(low, high, scale_points)}, max_answers=len(in_measure))
            )
        elif measure_type != "enps":  # eNPS is audited with its item
            raise ValueError(f"benchmarks: unknown measure_type {measure_type!r} (expected item, theme, index, enps)")
    return groups


@dataclass
class Unit:
    """One group of companies' respondents: its block per measure of the group (the same unknowns for an item and
    eNPS)."""

    name: str
    blocks: dict[MeasureKey, Block]

    @property
    def n(self) -> dict[int, float]:
        return next(iter(self.blocks.values())).n


def _enps_view(item: Block, row: Mapping) -> Block:
    """The eNPS statistics of an item block of the eNPS item: its answer counts scored 100 / 0 / -100."""
    low, high, reverse = int(row["scale_min"]), int(row["scale_max"]), bool(row["reverse_coded"])
    points = {code: enps_points(low + high - code if reverse else code) for code in item.codes}
    category = {FAVORABLE: 100.0, NEUTRAL: 0.0, UNFAVORABLE: -100.0}
    return Block(
        name=f"{item.name}.enps",
        n=item.n,
        total={item.codes[code]: p for code, p in points.items() if p != 0.0},
        sum_sq={item.codes[code]: p * p for code, p in points.items() if p != 0.0},
        valid_answers=item.n,
        category={
            name: {item.codes[code]: 1.0 for code, p in points.items() if p == value}
            for name, value in category.items()
        },
        dont_know=item.dont_know,
        codes=item.codes,
    )


def _unit(problem: Problem, group: MeasureGroup, name: str, n_low: float, n_high: float = math.inf) -> Unit:
    if group.item is not None:
        row = group.item
        block = item_block(
            problem, name, int(row["scale_min"]), int(row["scale_max"]), bool(row["reverse_coded"]), n_low
        )
        blocks = {group.primary: block}
        if ("enps", "enps") in group.measures:
            blocks[("enps", "enps")] = _enps_view(block, row)
    else:
        block = continuous_block(problem, name, n_min=n_low)
        # a score needs at least one answer, and a respondent gives at most one per item of the measure
        problem.at_least(combine(block.valid_answers, block.n, weights=(1.0, -1.0)), 0.0)
        problem.at_most(combine(block.valid_answers, block.n, weights=(1.0, -float(group.max_answers))), 0.0)
        blocks = {group.primary: block}
    if math.isfinite(n_high):
        problem.at_most(block.n, n_high)
    return Unit(name, blocks)


# --- the package as the reader sees it ------------------------------------------------------------------------------


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute("select table_name from information_schema.tables where table_schema = 'published'")
    return {name for (name,) in rows.fetchall()}


def _rows(con: duckdb.DuckDBPyConnection, table: str, where: str = "", parameters: Sequence = ()) -> list[dict]:
    cursor = con.execute(f"select * from published.{table} {where}", list(parameters))
    columns = [description[0] for description in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _value(row: Mapping | None, column: str) -> float | None:
    if row is None or row.get(column) is None:
        return None
    value = float(row[column])
    return None if math.isnan(value) else value


@dataclass
class PackageView:
    """What the reader of one package (plus colluding companies) knows for one year."""

    audience: str
    year: int
    readers: tuple[str, ...]
    benchmarks: dict[tuple[str, str, str, str], dict]
    companies: dict[tuple[str, str, str], dict]
    industry_of: dict[str, str]
    distributions: dict[tuple[str, str, str], dict[int | None, float]]  # code (None: don't know) -> n
    comparisons: dict[tuple[str, str, str, str, str], dict]
    previous: dict[tuple[str, str, str], float]
    industries: tuple[str, ...]
    items: list[dict]
    carried: list[Finding]
    internal: bool  # every company named: an unseen company is a suppressed cell


def _readers(audience: str, known_companies: Iterable[str], company_ids: set[str]) -> tuple[str, ...]:
    known = set(known_companies)
    if audience == INTERNAL:
        return tuple(sorted(company_ids | known))
    if audience == PUBLIC:
        readers = known
    elif audience.startswith(COMPANY_PREFIX):
        readers = known | {audience.removeprefix(COMPANY_PREFIX)}
    else:
        raise ValueError(f"audience {audience!r}: expected 'public', 'internal' or 'company:<company_id>'")
    missing = sorted(readers - company_ids)
    if missing:
        raise ValueError(
            f"audience {audience!r}: no company_scores rows for {', '.join(missing)} in the package; a coalition's "
            "connection must hold the union of its members' packages"
        )
    return tuple(sorted(readers))


def read_package(
    con: duckdb.DuckDBPyConnection, year: int, audience: str, known_companies: Iterable[str] = ()
) -> PackageView:
    """Read what the audience's reader knows from the package (schema ``published``) for one year."""
    tables = _tables(con)
    # the questionnaire and industry marts are written under their aliases (items, industries) in a package
    items_table = next((name for name in ("items", "questionnaire_items") if name in tables), None)
    if "benchmarks" not in tables or items_table is None:
        raise ValueError(
            f"package of audience {audience!r}: needs tables published.benchmarks and published.items "
            f"(or questionnaire_items); it has {', '.join(sorted(tables)) or 'none'}"
        )
    company_rows = _rows(con, "company_scores", "where year = ?", [year]) if "company_scores" in tables else []
    known_companies = tuple(known_companies)
    readers = _readers(audience, known_companies, {row["company_id"] for row in company_rows})
    # findings name the reader: the package's audience and the companies colluding with it
    reader = f"{audience} with {', '.join(known_companies)}" if known_companies else audience
    reader_set = set(readers)

    benchmarks = {
        (row["benchmark_scope"], row["benchmark_id"], row["measure_type"], row["measure_id"]): row
        for row in _rows(con, "benchmarks", "where year = ?", [year])
    }
    companies = {
        (row["company_id"], row["measure_type"], row["measure_id"]): row
        for row in company_rows
        if row["company_id"] in reader_set
    }
    industry_of = {row["company_id"]: row["industry_id"] for row in company_rows if row["company_id"] in reader_set}

    distributions: dict[tuple[str, str, str], dict[int | None, float]] = {}
    if "answer_distribution" in tables:
        for row in _rows(con, "answer_distribution", "where year = ?", [year]):
            if row["scope"] == "company" and row["scope_id"] not in reader_set:
                continue
            if row["suppressed"] or row["n"] is None:
                continue
            code = None if row["is_dont_know"] else int(row["answer_code"])
            distributions.setdefault((row["scope"], row["scope_id"], row["item_id"]), {})[code] = float(row["n"])

    comparisons = {}
    if "company_vs_benchmark" in tables:
        for row in _rows(con, "company_vs_benchmark", "where year = ?", [year]):
            if row["company_id"] in reader_set:
                key = (row["company_id"], row["benchmark_scope"], row["benchmark_id"])
                comparisons[(*key, row["measure_type"], row["measure_id"])] = row

    # a reader holding last year's package as well knows its published company cells (methodology §6: suppression
    # consistent across years): the previous-year relations below use them
    previous = {}
    if "company_scores" in tables:
        for row in _rows(con, "company_scores", "where year = ?", [year - 1]):
            if row["company_id"] in reader_set and not row["suppressed"] and row["index_0_100"] is not None:
                previous[(row["company_id"], row["measure_type"], row["measure_id"])] = float(row["index_0_100"])

    industry_table = next((name for name in ("industries", "participating_industries") if name in tables), None)
    if industry_table:
        industries = tuple(sorted({row["industry_id"] for row in _rows(con, industry_table, "where year = ?", [year])}))
    else:
        industries = tuple(sorted({key[1] for key in benchmarks if key[0] == "industry"}))
    items = _rows(con, items_table, "where year = ?", [year])

    carried = []
    if audience != INTERNAL:
        for table, columns in INTERNAL_ONLY_COLUMNS.items():
            if table not in tables:
                continue
            present = {
                description[0] for description in con.execute(f"select * from published.{table} limit 0").description
            }
            for column in columns:
                if column not in present:
                    continue
                (count,) = con.execute(
                    f"select count(*) from published.{table} where year = ? and {column} is not null", [year]
                ).fetchone()
                if count:
                    carried.append(
                        Finding(
                            reader,
                            table,
                            {"year": year, "column": column},
                            "carried",
                            (math.nan, math.nan),
                            0.0,
                            f"{count} rows carry {column}, which only the internal package may (a function of "
                            "single companies: percentiles, company-weighted mean, company shares)",
                        )
                    )
    return PackageView(
        reader,
        year,
        readers,
        benchmarks,
        companies,
        industry_of,
        distributions,
        comparisons,
        previous,
        industries,
        items,
        carried,
        audience == INTERNAL,
    )


# --- the pools of one measure ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pool:
    """Companies the reader cannot see inside one published sum: a published industry's unseen companies, or the
    residual (the suppressed industries together: the national pool minus the published industries)."""

    name: str
    industries: tuple[str, ...]
    unseen: int | None  # None: the reader cannot count them (the national benchmark is suppressed)
    published: bool  # its own benchmark cell is published (an industry); the residual's is not


def _published(row: Mapping | None) -> bool:
    return row is not None and not row["suppressed"] and row.get("n_respondents") is not None


@dataclass
class Structure:
    group: MeasureGroup
    pools: list[Pool]
    seen: dict[str, str]  # company the reader sees (published, hence pooled) -> industry
    named_unseen: dict[str, str]  # the readers' own suppressed company cells -> industry
    company_bounds: tuple[float, float]  # n of one unseen pooled company
    min_respondents: int


def _structure(view: PackageView, group: MeasureGroup, min_respondents: int) -> Structure | Finding:
    measure = group.primary
    national = view.benchmarks.get(("national", "all", *measure))
    industries = sorted(
        set(view.industries) | {key[1] for key in view.benchmarks if key[0] == "industry" and key[2:] == measure}
    )
    seen, named_unseen = {}, {}
    for company in view.readers:
        row = view.companies.get((company, *measure))
        if row is not None:
            (seen if _published(row) else named_unseen)[company] = view.industry_of[company]
    pools, residual, published_companies, inconsistent = [], [], 0, []
    for industry in industries:
        row = view.benchmarks.get(("industry", industry, *measure))
        if not _published(row) or row.get("n_companies") is None:
            residual.append(industry)
            continue
        published_companies += int(row["n_companies"])
        unseen = int(row["n_companies"]) - sum(1 for i in seen.values() if i == industry)
        pools.append(Pool(f"industry {industry}", (industry,), unseen, True))
        if unseen < 0:
            inconsistent.append(f"industry {industry}")
    residual_unseen = None
    if _published(national) and national.get("n_companies") is not None:
        residual_unseen = (
            int(national["n_companies"]) - published_companies - sum(1 for i in seen.values() if i in residual)
        )
        if residual_unseen < 0:
            inconsistent.append("the suppressed industries")
    if residual or residual_unseen:
        pools.append(Pool("suppressed industries", tuple(residual), residual_unseen, False))
    if inconsistent:
        return Finding(
            view.audience,
            "benchmarks",
            {"year": view.year, "measure_type": measure[0], "measure_id": measure[1]},
            "consistency",
            detail=f"n_companies is below the companies the reader sees in {', '.join(inconsistent)}",
        )
    # pooled cells are publishable (n >= min_respondents, a documented rule); the internal package names every
    # publishable cell, so a pooled company it cannot see is a suppressed one (n < min_respondents)
    bounds = (1.0, min_respondents - 1.0) if view.internal else (float(min_respondents), math.inf)
    return Structure(group, pools, seen, named_unseen, bounds, min_respondents)


@dataclass
class Model:
    """The LP of one variant, and the units whose values are protected."""

    problem: Problem
    seen: dict[str, Unit]
    named: dict[str, Unit]
    pool_units: dict[str, list[Unit]]
    target: Unit | None
    beyond: dict[str, Unit] = field(default_factory=dict)  # answers a distribution holds beyond its benchmark
    order: OrderRows | None = None  # the rows an order case sets (ordered models only)


Segment = tuple[float, float, int]  # the means of this many unseen companies lie between low and high


@dataclass(frozen=True)
class OrderRows:
    """Handles (Problem.change) of the rows an order case sets: the target's mean >= low and <= high, and for each
    rest segment's unit its company count c as n >= low·c, n <= high·c and, where c = 0, no don't-knows either."""

    target: tuple[int, int]
    rest: tuple[tuple[Unit, int, int, int], ...]


def _mean_bounds(block: Block, low: float, high: float) -> tuple[dict[int, float], dict[int, float]]:
    """The block's mean >= low and mean <= high as rows Σ c·x <= 0 (low·n − S, S − high·n); {} where a bound is
    infinite (no row)."""
    return (
        combine(block.total, block.n, weights=(-1.0, low)) if math.isfinite(low) else {},
        combine(block.total, block.n, weights=(1.0, -high)) if math.isfinite(high) else {},
    )


def _mean_within(problem: Problem, block: Block, low: float, high: float) -> None:
    for row in _mean_bounds(block, low, high):
        if row:
            problem.at_most(row, 0.0)


def _set_order_case(
    model: Model, structure: Structure, segment: tuple[float, float], rest: Sequence[Segment] | None
) -> None:
    """Put the target's mean in ``segment`` and the rest's companies in its segments (the rows of OrderRows; a
    bound that is infinite, or a segment left empty, lifts its row)."""
    problem, order = model.problem, model.order
    for row, bound in zip(
        order.target, _mean_bounds(model.target.blocks[structure.group.primary], *segment), strict=True
    ):
        problem.change(row, bound, 0.0)
    low, high = structure.company_bounds
    for (unit, at_least_n, at_most_n, no_dont_know), (_, _, companies) in zip(order.rest, rest or (), strict=True):
        problem.change(at_least_n, combine(unit.n, weights=(-1.0,)), -low * companies)
        if math.isfinite(high):  # else the row stays lifted
            problem.change(at_most_n, unit.n, high * companies)
        problem.change(no_dont_know, {} if companies else unit.blocks[structure.group.primary].dont_know, 0.0)


def _mean_is(problem: Problem, block: Block, mean: float) -> None:
    problem.within(combine(block.total, block.n, weights=(1.0, -mean)), 0.0, published_tolerance(mean))


def _build(
    view: PackageView,
    structure: Structure,
    split: str | None = None,
    ordered: bool = False,
    rest_segments: Sequence[tuple[float, float]] | None = None,
) -> Model:
    """Every pool's unseen companies as one unit, except the pool ``split``, whose target company is a unit of its
    own beside the rest. ``ordered``: the target's mean has rows an order case sets, and the rest is cut into a unit
    per segment of ``rest_segments`` (means between low and high), each holding the companies a case puts there;
    without segments the rest is one unit (see _set_order_case)."""
    group = structure.group
    problem = Problem()
    low, high = structure.company_bounds
    seen = {company: _unit(problem, group, f"seen {company}", 1.0) for company in structure.seen}
    named = {}
    for company in structure.named_unseen:
        row = view.companies[(company, *group.primary)]
        # a company cell suppressed for min_respondents has fewer respondents, and the reason is published
        n_high = structure.min_respondents - 1.0 if row.get("suppression_reason") == "min_respondents" else math.inf
        named[company] = _unit(problem, group, f"suppressed {company}", 1.0, n_high)
    pool_units: dict[str, list[Unit]] = {}
    target = order = None
    for pool in structure.pools:
        if pool.unseen is None:  # an unknown number of companies
            pool_units[pool.name] = [_unit(problem, group, pool.name, 0.0)]
        elif pool.unseen == 0:
            pool_units[pool.name] = []
        elif pool.name != split:
            pool_units[pool.name] = [_unit(problem, group, pool.name, low * pool.unseen, high * pool.unseen)]
        else:
            target = _unit(problem, group, f"a company of {pool.name}", low, high)
            units, counted = [target], []
            if rest_segments is None:
                if pool.unseen > 1:
                    rest = pool.unseen - 1
                    units.append(_unit(problem, group, f"rest of {pool.name}", low * rest, high * rest))
            else:
                for number, (mean_low, mean_high) in enumerate(rest_segments):
                    unit = _unit(problem, group, f"rest {number} of {pool.name}", 0.0)
                    _mean_within(problem, unit.blocks[group.primary], mean_low, mean_high)
                    dont_know = unit.blocks[group.primary].dont_know
                    counted.append(
                        (unit, problem.at_least({}, 0.0), problem.at_most({}, 0.0), problem.at_most(dont_know, 0.0))
                    )
                    units.append(unit)
            if ordered:
                order = OrderRows((problem.at_most({}, 0.0), problem.at_most({}, 0.0)), tuple(counted))
            pool_units[pool.name] = units
    model = Model(problem, seen, named, pool_units, target, order=order)

    for measure in group.measures:
        national = view.benchmarks.get(("national", "all", *measure))
        if _published(national):
            _publish(problem, _scope_units(model, structure, "national", "all"), measure, national)
        for pool in structure.pools:
            if pool.published:
                industry = pool.industries[0]
                row = view.benchmarks[("industry", industry, *measure)]
                _publish(problem, _scope_units(model, structure, "industry", industry), measure, row)
        for company, unit in (*seen.items(), *named.items()):
            _publish(problem, [unit], measure, view.companies.get((company, *measure)))
            _relate_comparisons(view, model, structure, company, unit, measure)
    if group.item is not None:
        _relate_distributions(view, model, structure)
    return model


def _publish(problem: Problem, units: Sequence[Unit] | None, measure: MeasureKey, row: Mapping | None) -> None:
    if units and row is not None:
        publish(problem, [unit.blocks[measure] for unit in units], CellStatistics.from_row(row))


def _scope_units(model: Model, structure: Structure, scope: str, scope_id: str) -> list[Unit] | None:
    """The units a benchmark sums; None where the reader cannot tell them apart (one of several suppressed
    industries)."""
    if scope == "national":
        return [*model.seen.values(), *itertools.chain.from_iterable(model.pool_units.values())]
    for pool in structure.pools:
        if scope_id in pool.industries:
            if len(pool.industries) > 1:
                return None
            in_industry = [model.seen[c] for c, industry in structure.seen.items() if industry == scope_id]
            return [*in_industry, *model.pool_units[pool.name]]
    return None


def _relate_comparisons(
    view: PackageView, model: Model, structure: Structure, company: str, unit: Unit, measure: MeasureKey
) -> None:
    """company_vs_benchmark rows of a reader's company: its n and index, the leave-one-out benchmark (the pool minus
    the company), the gap to it, and the previous year's index plus the change. The Welch p-values are functions of
    the same sums and sums of squares (the leave-one-out sd is the benchmark's minus the company's): nothing new."""
    problem = model.problem
    block = unit.blocks[measure]
    for (reader, scope, scope_id, *row_measure), row in view.comparisons.items():
        if reader != company or tuple(row_measure) != measure:
            continue
        n = _value(row, "n_respondents")
        if n is not None:
            problem.within(block.n, n, published_tolerance(n))
        company_index, benchmark_index = _value(row, "company_index"), _value(row, "benchmark_index")
        if company_index is not None:
            _mean_is(problem, block, company_index)
        units = _scope_units(model, structure, scope, scope_id)
        if benchmark_index is not None and units is not None:
            others = [other.blocks[measure] for other in units if other is not unit]
            if others:
                loo = combine(union(others, "total"), union(others, "n"), weights=(1.0, -benchmark_index))
                problem.within(loo, 0.0, published_tolerance(benchmark_index))
        gap = _value(row, "gap")
        if gap is not None and benchmark_index is not None:
            _mean_is(problem, block, benchmark_index + gap)
        change = _value(row, "yoy_change")
        previous = _value(row, "previous_index")
        if previous is None:
            previous = view.previous.get((company, *measure))
        if change is not None and previous is not None:
            _mean_is(problem, block, previous + change)


def _relate_distributions(view: PackageView, model: Model, structure: Structure) -> None:
    """Per-code counts of published distributions. A distribution that holds other answers than its benchmark's
    cell (a company the benchmark leaves out) gets a unit of its own: those answers, protected like a company."""
    group = structure.group
    for (scope, scope_id, item_id), counts in view.distributions.items():
        if item_id != group.item["item_id"]:
            continue
        if scope == "company":
            units = [unit for unit in (model.seen.get(scope_id), model.named.get(scope_id)) if unit is not None]
        else:
            units = _scope_units(model, structure, scope, scope_id)
            benchmark = view.benchmarks.get((scope, scope_id, *group.primary))
            if units is not None and _published(benchmark) and _holds_more(counts, benchmark):
                beyond = _unit(model.problem, group, f"answers beyond the {scope} {scope_id} benchmark", 0.0)
                model.beyond[f"{scope} {scope_id}"] = beyond
                units = [*units, beyond]
        if units:
            publish_distribution(model.problem, [unit.blocks[group.primary] for unit in units], counts)


def _holds_more(counts: Mapping, benchmark: Mapping) -> bool:
    """Whether a distribution counts other answers than its benchmark cell (n valid answers, the don't-know share)."""
    n = float(benchmark["n_respondents"])
    valid = sum(count for code, count in counts.items() if code is not None)
    dont_know = _value(benchmark, "dont_know_pct")
    expected = None if dont_know is None or dont_know >= 100 else n * dont_know / (100.0 - dont_know)
    return abs(valid - n) > 1e-6 or (expected is not None and abs(counts.get(None, 0.0) - expected) > 1e-6)


# --- the audit ------------------------------------------------------------------------------------------------------


def _order_cases(
    view: PackageView, structure: Structure, pool: Pool
) -> list[tuple[tuple[float, float] | None, list[Segment] | None]]:
    """Where the percentile ranks of the reader's companies put the unseen companies of ``pool``.

    A percentile rank (the share of the other companies with a lower index, ties counted half) is an order relation,
    not a sum: of the k other companies, ceil(rank * k / 100) lie at or below the reader's index. With the readers'
    indices sorted, the unseen companies fall into segments between them, a known number in each. The target lies in
    one segment (one LP each, the interval is their hull); where every unseen company of the ranked benchmark is in
    this pool, the rest is cut into the same segments too. Without ranks: one case, no order."""
    measure = structure.group.primary
    if pool.published:
        scope = ("industry", pool.industries[0])
        members = [c for c, industry in structure.seen.items() if industry == pool.industries[0]]
        unseen = pool.unseen
    else:
        scope = ("national", "all")
        members = list(structure.seen)
        counts = [p.unseen for p in structure.pools]
        unseen = None if None in counts else sum(counts)
    index = {c: _value(view.companies.get((c, *measure)), "index_0_100") for c in members}
    ranks = []
    for company in members:
        row = view.comparisons.get((company, *scope, *measure))
        rank, others = _value(row, "percentile_rank"), _value(row, "n_other_companies")
        if rank is None or others is None or index[company] is None:
            continue
        at_or_below = math.ceil(rank * others / 100.0 - 1e-6)
        seen_at_or_below = sum(
            1 for c in members if c != company and index[c] is not None and index[c] <= index[company]
        )
        ranks.append((index[company], at_or_below - seen_at_or_below))
    if not ranks or unseen is None:
        return [(None, None)]
    ranks.sort()
    bounds = [-math.inf, *(x for x, _ in ranks), math.inf]
    cumulative = [0, *(u for _, u in ranks), unseen]
    counts = [cumulative[i + 1] - cumulative[i] for i in range(len(ranks) + 1)]
    if min(counts) < 0:  # readings the counts cannot place (ties among the readers): no order used
        return [(None, None)]
    segments = [(bounds[i], bounds[i + 1], counts[i]) for i in range(len(counts))]
    whole = unseen == pool.unseen
    if not whole and min(counts) > 0:  # the target may lie in every segment, and nothing else is cut: no order
        return [(None, None)]
    cases = []
    for i, (low, high, count) in enumerate(segments):
        if count:
            rest = [(lo, hi, c - (j == i)) for j, (lo, hi, c) in enumerate(segments)] if whole else None
            cases.append(((low, high), rest))
    return cases


def _record(
    result: AuditResult,
    view: PackageView,
    table: str,
    keys: dict,
    statistic: str,
    interval: tuple[float, float],
    margin: float,
) -> None:
    low, high = interval
    if math.isnan(low):  # an empty group: nothing to protect
        return
    result.intervals.append(Interval(view.audience, table, keys, statistic, interval, margin))
    narrow = Problem.distinct_integers(interval) <= 1 if statistic == "n" else high - low < margin - 1e-9
    if narrow:
        result.findings.append(Finding(view.audience, table, keys, statistic, interval, margin))


def _hull(a: tuple[float, float] | None, b: tuple[float, float]) -> tuple[float, float]:
    if a is None or math.isnan(a[0]):
        return b
    if math.isnan(b[0]):
        return a
    return min(a[0], b[0]), max(a[1], b[1])


def _target_intervals(model: Model) -> dict:
    found = {"n": model.problem.interval(model.target.n)}
    for measure, block in model.target.blocks.items():
        found[measure] = model.problem.interval(block.total, block.n)
    return found


def _pool_intervals(view: PackageView, structure: Structure, pool: Pool) -> dict:
    """The hull, over the order cases the ranks leave, of the target company's n and means. The cases share one
    model, each setting its order rows and solving from the basis the last case left."""
    cases = _order_cases(view, structure, pool)
    if cases != [(None, None)]:
        first_rest = cases[0][1]  # every case cuts the rest into the same segments, or none does
        segments = None if first_rest is None else [(low, high) for low, high, _ in first_rest]
        model = _build(view, structure, pool.name, ordered=True, rest_segments=segments)
        hull: dict = {}
        for segment, rest in cases:
            _set_order_case(model, structure, segment, rest)
            try:
                found = _target_intervals(model)
            except AuditInfeasible:
                continue  # the other relations rule this segment out
            hull = {key: _hull(hull.get(key), value) for key, value in found.items()}
        if hull:
            return hull
    # no order, or none the relations allow: the relations alone (AuditInfeasible if they contradict each other)
    return _target_intervals(_build(view, structure, pool.name))


def _focus(view: PackageView, structure: Structure) -> set[str]:
    """The pools whose audit in a company (or coalition) package can differ from the public package's: the pool
    holding the readers (all of them, for a coalition) and the suppressed industries (the national percentile ranks
    place them). A published pool without a reader is pinned by its own benchmark cell whatever the reader knows
    elsewhere, so its LP is the public package's."""
    holding = [
        {pool.name for pool in structure.pools if view.industry_of[reader] in pool.industries}
        for reader in view.readers
    ]
    shared = set.intersection(*holding) if holding else set()
    return (
        shared | {pool.name for pool in structure.pools if not pool.published} if shared or len(holding) < 2 else set()
    )


def _audit_group(view: PackageView, structure: Structure, beyond_public: bool = False) -> AuditResult:
    """Every protected value of one measure group. ``beyond_public``: only what can differ from the public
    package's audit (see _focus; a coalition: only its shared pool)."""
    result = AuditResult()
    group = structure.group
    measure_keys = {"year": view.year, "measure_type": group.primary[0], "measure_id": group.primary[1]}
    focus = _focus(view, structure) if beyond_public and not view.internal else None
    try:
        _audit_pools_of_group(result, view, structure, focus)
        if focus is None or len(view.readers) == 1:
            _audit_other_cells(result, view, structure, focus)
    except AuditInfeasible as error:
        result.findings.append(Finding(view.audience, "benchmarks", measure_keys, "consistency", detail=str(error)))
    except AuditSolverError as error:  # the audit cannot vouch for this measure's cells: never "safe"
        result.findings.append(Finding(view.audience, "benchmarks", measure_keys, "solver", detail=str(error)))
    return result


def _audit_pools_of_group(result: AuditResult, view: PackageView, structure: Structure, focus: set | None) -> None:
    """Each unseen company of each pool: the target beside the rest of its pool (exchangeable: one LP for all)."""
    group = structure.group
    for pool in structure.pools:
        if not pool.unseen or (focus is not None and pool.name not in focus):
            continue
        hull = _pool_intervals(view, structure, pool)
        keys = {"year": view.year, "pool": pool.name, "unseen_companies": pool.unseen}
        if view.internal:
            candidates = sorted(c for c, industry in structure.named_unseen.items() if industry in pool.industries)
            keys["company_id"] = " or ".join(candidates) or None
        for measure in group.measures:
            cell = {**keys, "measure_type": measure[0], "measure_id": measure[1]}
            _record(result, view, "company_scores", cell, "mean", hull[measure], group.margins[measure])
        cell = {**keys, "measure_type": group.primary[0], "measure_id": group.primary[1]}
        _record(result, view, "company_scores", cell, "n", hull["n"], 0.0)


def _audit_other_cells(result: AuditResult, view: PackageView, structure: Structure, focus: set | None) -> None:
    """The readers' own suppressed cells, suppressed benchmark cells, answers beyond a benchmark."""
    group = structure.group
    measure_keys = {"year": view.year, "measure_type": group.primary[0], "measure_id": group.primary[1]}
    base = _build(view, structure)
    problem = base.problem
    # the readers' own suppressed company cells; one of which nothing is published has no relation to narrow it
    for company, unit in base.named.items():
        if not _publishes_anything(view, company, group):
            continue
        for measure, block in unit.blocks.items():
            cell = {"year": view.year, "company_id": company, "measure_type": measure[0], "measure_id": measure[1]}
            _record(
                result,
                view,
                "company_scores",
                cell,
                "mean",
                problem.interval(block.total, block.n),
                group.margins[measure],
            )
        cell = {"year": view.year, "company_id": company, **measure_keys}
        _record(result, view, "company_scores", cell, "n", problem.interval(unit.n), 0.0)

    # suppressed benchmark cells that pool a company the reader cannot see
    for scope, scope_id in _protected_benchmarks(view, structure, focus):
        units = _scope_units(base, structure, scope, scope_id)
        for measure in group.measures:
            blocks = [unit.blocks[measure] for unit in units]
            interval = problem.interval(union(blocks, "total"), union(blocks, "n"))
            cell = {"year": view.year, "benchmark_scope": scope, "benchmark_id": scope_id}
            cell.update(measure_type=measure[0], measure_id=measure[1])
            _record(result, view, "benchmarks", cell, "mean", interval, group.margins[measure])

    # answers a distribution holds beyond its benchmark (the reader's own data adds nothing to a difference of two
    # published distributions: the public package's audit covers it)
    for name, unit in base.beyond.items() if focus is None else ():
        if problem.interval(unit.n)[1] < 1.0 - 1e-6:
            continue
        for measure, block in unit.blocks.items():
            cell = {"year": view.year, "scope": name, "item_id": measure[1], "measure_type": measure[0]}
            cell["detail"] = "answers counted in the distribution but not in its benchmark"
            interval = problem.interval(block.total, block.n)
            _record(result, view, "answer_distribution", cell, "mean", interval, group.margins[measure])


_COMPANY_VALUES = (
    "n_respondents",
    "index_0_100",
    "sd",
    "favorable_pct",
    "neutral_pct",
    "unfavorable_pct",
    "dont_know_pct",
)
_COMPARISON_VALUES = ("n_respondents", "company_index", "gap", "yoy_change")


def _publishes_anything(view: PackageView, company: str, group: MeasureGroup) -> bool:
    """Whether any row of a company's (suppressed) cell carries a value: its company_scores row, its comparisons,
    its answer distribution."""
    for measure in group.measures:
        row = view.companies.get((company, *measure))
        if any(_value(row, column) is not None for column in _COMPANY_VALUES):
            return True
        comparisons = [c for (r, _, _, *m), c in view.comparisons.items() if r == company and tuple(m) == measure]
        if any(_value(c, column) is not None for c in comparisons for column in _COMPARISON_VALUES):
            return True
    return group.item is not None and ("company", company, group.item["item_id"]) in view.distributions


def _protected_benchmarks(view: PackageView, structure: Structure, focus: set | None) -> list[tuple[str, str]]:
    """Suppressed benchmark cells the reader could solve for: the national one where every pool is counted, and a
    suppressed industry that is the only one (the residual is that industry), when they pool an unseen company."""
    measure = structure.group.primary
    counts = [pool.unseen for pool in structure.pools]
    protected = []
    national = view.benchmarks.get(("national", "all", *measure))
    if national is not None and not _published(national) and None not in counts and sum(counts) > 0:
        protected.append(("national", "all"))
    for pool in structure.pools:
        if focus is not None and pool.name not in focus:
            continue
        if not pool.published and len(pool.industries) == 1 and pool.unseen:
            protected.append(("industry", pool.industries[0]))
    return protected


def audit_package_pools(
    con: duckdb.DuckDBPyConnection,
    year: int,
    audience: str,
    known_companies: Iterable[str] = (),
    *,
    min_respondents: int | None = None,
    scale_points: float | None = None,
    beyond_public: bool = False,
) -> AuditResult:
    """The pools audit of one package (see audit_pools), with every interval it computed. ``beyond_public``: only
    what can differ from the public package's audit (the release audit runs that one too)."""
    defaults = threshold_defaults()
    min_respondents = int(min_respondents if min_respondents is not None else defaults["min_respondents"])
    view = read_package(con, year, audience, known_companies)
    result = AuditResult(findings=list(view.carried))
    measures = {key[2:] for key in view.benchmarks}
    for group in _measure_groups(view.items, measures, str(defaults["enps_item_id"]), scale_points):
        structure = _structure(view, group, min_respondents)
        if isinstance(structure, Finding):
            result.findings.append(structure)
        else:
            result.extend(_audit_group(view, structure, beyond_public))
    return result


def audit_pools(
    con: duckdb.DuckDBPyConnection,
    year: int,
    audience: str,
    known_companies: Iterable[str] = (),
    *,
    min_respondents: int | None = None,
    scale_points: float | None = None,
) -> list[Finding]:
    """Every protected company and benchmark value that the reader of one package (duckdb connection, schema
    ``published``; audience 'public', 'internal' or 'company:<id>') and the colluding ``known_companies`` (whose
    rows the connection must hold: the union of their packages) can narrow below its margin, plus the columns the
    audience's package must not carry."""
    return audit_package_pools(
        con, year, audience, known_companies, min_respondents=min_respondents, scale_points=scale_points
    ).findings


# --- a whole release ------------------------------------------------------------------------------------------------


def _package_database(folder: Path, year: int) -> Path:
    path = folder / f"medarbeiderindeks_{year}.duckdb"
    if not path.is_file():
        raise FileNotFoundError(f"{folder}: no package database medarbeiderindeks_{year}.duckdb")
    return path


def _union_connection(paths: Sequence[Path]) -> duckdb.DuckDBPyConnection:
    """One connection holding the union of several packages (what a coalition holds together): views over the
    attached packages, so that nothing is copied (the audit reads each table a few times per year)."""
    con = duckdb.connect()
    tables: dict[str, list[str]] = {}
    for number, path in enumerate(paths):
        con.execute(f"attach '{path}' as package{number} (read_only)")
        rows = con.execute(
            "select table_name from information_schema.tables where table_catalog = ? and table_schema = 'published'",
            [f"package{number}"],
        ).fetchall()
        for (table,) in rows:
            tables.setdefault(table, []).append(f"select * from package{number}.published.{table}")
    con.execute("create schema published")
    for table, selects in tables.items():
        con.execute(f"create view published.{table} as {' union by name '.join(selects)}")
    return con


def _coalitions(public: duckdb.DuckDBPyConnection, year: int, industry_of: Mapping[str, str], size: int) -> list:
    """Coalitions of 2..size companies that share a pool for some measure (the same published industry, or
    suppressed industries together). Coalitions across pools change no residual: each member's own package audit
    already covers them."""
    rows = public.execute(
        "select measure_type, measure_id, benchmark_id from published.benchmarks "
        "where year = ? and benchmark_scope = 'industry' and not suppressed",
        [year],
    ).fetchall()
    published: dict[tuple[str, str], set[str]] = {}
    for measure_type, measure_id, industry in rows:
        published.setdefault((measure_type, measure_id), set()).add(industry)
    measures = {
        (m, i)
        for m, i in public.execute(
            "select measure_type, measure_id from published.benchmarks where year = ?", [year]
        ).fetchall()
    }
    coalitions = []
    for count in range(2, size + 1):
        for members in itertools.combinations(sorted(industry_of), count):
            for measure in measures:
                pools = {industry_of[m] if industry_of[m] in published.get(measure, set()) else None for m in members}
                if len(pools) == 1:
                    coalitions.append(members)
                    break
    return coalitions


def _audit_packages(task: tuple[tuple[Path, ...], int, str, tuple[str, ...], bool, dict]) -> AuditResult:
    """One package's audit (or one coalition's, over the union of its members' packages), in a worker process."""
    paths, year, audience, known_companies, beyond_public, options = task
    con = duckdb.connect(str(paths[0]), read_only=True) if len(paths) == 1 else _union_connection(paths)
    with con:
        return audit_package_pools(con, year, audience, known_companies, beyond_public=beyond_public, **options)


def audit_release_pools(
    version_dir: str | Path,
    year: int,
    coalition_size: int = 2,
    *,
    min_respondents: int | None = None,
    scale_points: float | None = None,
    workers: int | None = None,
) -> AuditResult:
    """The pools audit of a release's packages (``public/``, ``internal/``, ``companies/<id>/``) and of every
    coalition of up to ``coalition_size`` companies that share a pool, by ``workers`` processes (default:
    ``audit_workers()``, one per core)."""
    root = Path(version_dir)
    manifest = root / "manifest.json"
    if min_respondents is None and manifest.is_file():
        thresholds = json.loads(manifest.read_text(encoding="utf-8")).get("thresholds", {})
        min_respondents = thresholds.get("min_respondents")
    options = {"min_respondents": min_respondents, "scale_points": scale_points}
    public_path = _package_database(root / "public", year)
    company_paths = (
        {
            folder.name: _package_database(folder, year)
            for folder in sorted((root / "companies").iterdir())
            if folder.is_dir()
        }
        if (root / "companies").is_dir()
        else {}
    )
    industry_of = {}
    for company, path in company_paths.items():
        with duckdb.connect(str(path), read_only=True) as con:
            found = con.execute(
                "select distinct industry_id from published.company_scores where year = ? and company_id = ?",
                [year, company],
            ).fetchall()
        if found:
            industry_of[company] = found[0][0]
    with duckdb.connect(str(public_path), read_only=True) as public:
        coalitions = _coalitions(public, year, industry_of, coalition_size)
    tasks: list[tuple] = [((public_path,), year, PUBLIC, (), False, options)]
    tasks += [
        ((path,), year, f"{COMPANY_PREFIX}{company}", (), True, options) for company, path in company_paths.items()
    ]
    if (root / "internal").is_dir():
        tasks.append(((_package_database(root / "internal", year),), year, INTERNAL, (), False, options))
    tasks += [
        (tuple(company_paths[m] for m in members), year, f"{COMPANY_PREFIX}{members[0]}", members[1:], True, options)
        for members in coalitions
    ]
    result = AuditResult()
    for package_result in map_in_workers(_audit_packages, tasks, audit_workers() if workers is None else workers):
        result.extend(package_result)
    return result
