"""Subgroup protection inside a company (methodology §6, docs/privacy.md): the audit of one company x year x measure.

The reader's unknowns are the company's respondents grouped into blocks, one per non-empty cross cell
department x tenure band x age band x role (a missing value is a level of its own; the all-missing cell is always
added, empty or not: a block that may be empty only widens what the reader must consider). Giving the reader the true
set of non-empty cells is more than a real reader knows, so this audit is stricter than needed.

Published relations: the company cell (n, mean, sd, shares, don't-know share) and its answer distribution (items),
and every published subgroup cell of the four breakdowns (blocks.publish). Protected ("primary") cells are the
subgroup cells suppressed for min_respondents: the interval their mean can still take must be at least the margin
wide (audit_margin_scale_points scale points, `margin`), and their n must keep at least two possible whole values.
Complementary cells need no margin of their own: they only hide the primaries (standard practice in statistical
offices).

What the published company cell reveals by itself (e.g. every one of its respondents answered 6, so every subgroup
did) is the company cell's disclosure, not the subgroups': a primary is required to keep min(margin, the width it
has when no subgroup is published at all), so that a company whose suppressed subgroups cannot be hidden from its
own total still gets a decision (all subgroups suppressed at worst) instead of an endless loop.

Besides the LP, a size rule no LP interval can express (an exactly derivable group has no interval): a published set
(the company or a subgroup) minus the published subgroups of one breakdown inside it must leave 0 or at least
min_respondents respondents (e.g. the company minus all departments but one small one, plus those without a
department), as methodology §6 asks of derivable groups below the threshold.

Cost: an LP only where something can fail. A company-measure with no primary, or where nothing is published, is not
solved. Each LP solution is a point every relation holds at, so the n and mean of every other primary there are
values they can take ("witnesses"); a primary whose witnessed values already span the margin (and two whole n) needs
no LP of its own. Suppressing one more cell only removes relations, so witnesses stay valid across the rounds of
complementary suppression, and a primary that passed once passes again.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from orchestration.disclosure.blocks import (
    Block,
    CellStatistics,
    continuous_block,
    enps_block,
    item_block,
    publish,
    publish_distribution,
    union,
)
from orchestration.disclosure.lp import AuditInfeasible, Problem, combine
from orchestration.disclosure.workers import map_in_workers

#: Breakdowns in the order of a cross cell's values (subgroup_scores.breakdown).
BREAKDOWNS = ("department", "tenure", "age", "role")
#: The columns of a structure frame holding each breakdown's value, in the same order.
STRUCTURE_COLUMNS = ("department", "tenure_band", "age_band", "role")
#: eNPS points per scale point of the margin: one of the five respondents of a minimum cell moving one category
#: (e.g. passive to promoter) moves eNPS by 100 / 5 = 20 points.
ENPS_POINTS_PER_SCALE_POINT = 20.0

Key = tuple[str, str]  # (breakdown, subgroup)
Cell = tuple[str | None, str | None, str | None, str | None]
_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Measure:
    """A measure as the audit needs it: its type and, for items, themes and the index, its answer scale."""

    measure_type: str
    measure_id: str
    scale_min: int | None = None
    scale_max: int | None = None
    reverse_coded: bool = False

    def block(self, problem: Problem, name: str) -> Block:
        if self.measure_type == "item":
            return item_block(problem, name, self._scale()[0], self._scale()[1], self.reverse_coded)
        if self.measure_type == "enps":
            return enps_block(problem, name)
        if self.measure_type in ("theme", "index"):
            return continuous_block(problem, name)
        raise ValueError(f"measure {self.measure_type}/{self.measure_id}: unknown measure_type")

    def margin(self, scale_points: float) -> float:
        """The protection margin in index points (eNPS points for eNPS): scale_points scale points of the measure."""
        if self.measure_type == "enps":
            return scale_points * ENPS_POINTS_PER_SCALE_POINT
        low, high = self._scale()
        return scale_points * 100.0 / (high - low)

    def _scale(self) -> tuple[int, int]:
        if self.scale_min is None or self.scale_max is None or not self.scale_max > self.scale_min:
            raise ValueError(
                f"measure {self.measure_type}/{self.measure_id}: needs an answer scale with scale_max > scale_min, "
                f"got {self.scale_min}..{self.scale_max}"
            )
        return self.scale_min, self.scale_max


@dataclass(frozen=True)
class CellFinding:
    """A protected value of one company-measure whose interval is too narrow."""

    breakdown: str
    subgroup: str
    statistic: str  # 'mean' or 'n'
    interval: tuple[float, float]
    margin: float  # the width required (index points for a mean; for n, 1: two whole values)
    fix_candidates: tuple[Key, ...] = ()  # for residual groups: the subgroups subtracted, smallest first


@dataclass
class _Span:
    """Values a primary's mean and n were seen to take at feasible points."""

    mean: list[float] = field(default_factory=lambda: [math.inf, -math.inf])
    n: list[float] = field(default_factory=lambda: [math.inf, -math.inf])

    def see(self, n: float, total: float) -> None:
        self.n = [min(self.n[0], n), max(self.n[1], n)]
        if n >= 1.0 - _TOLERANCE:
            mean = total / n
            self.mean = [min(self.mean[0], mean), max(self.mean[1], mean)]

    def mean_width(self) -> float:
        return self.mean[1] - self.mean[0]

    def n_values(self) -> float:
        return Problem.distinct_integers((self.n[0], self.n[1])) if self.n[0] <= self.n[1] else 0


def _residual_label(outer: Key | None, breakdown: str) -> str:
    where = "company" if outer is None else f"{outer[0]}={outer[1]}"
    return f"({where} without a published {breakdown})"


class CompanyMeasureAudit:
    """The audit of one company x year x measure, repeated as complementary suppression removes published cells.

    Successive calls of :meth:`findings` must only ever remove published subgroup cells (the witnesses of earlier
    rounds stay valid only then); the primaries stay the same.
    """

    def __init__(
        self,
        cells: Iterable[Cell],
        measure: Measure,
        margin: float,
        min_respondents: int,
        company: CellStatistics | None = None,
        distribution: Mapping[int | None, float] | None = None,
    ) -> None:
        cells = {tuple(cell) for cell in cells} | {(None, None, None, None)}
        self.cells: tuple[Cell, ...] = tuple(
            sorted(cells, key=lambda c: tuple("" if v is None else f"~{v}" for v in c))
        )
        self.measure = measure
        self.margin = margin
        self.min_respondents = min_respondents
        self.company = company
        self.distribution = distribution
        self.lp_count = 0
        self.intervals: dict[tuple[Key, str], tuple[float, float]] = {}  # exact intervals solved (for reporting)
        self._spans: dict[Key, _Span] = {}
        self._baseline: dict[Key, tuple[float, float]] = {}
        self._published_before: set[Key] | None = None
        self._rounds = 0
        self._last_failed: Key | None = None
        # each subgroup's cross cells, once: the size rule compares them for every pair of published subgroups
        members: dict[Key, list[Cell]] = {}
        for cell in self.cells:
            for breakdown, value in zip(BREAKDOWNS, cell, strict=True):
                members.setdefault((breakdown, value), []).append(cell)
        self._members_of = {key: frozenset(cells) for key, cells in members.items()}
        self._all_cells = frozenset(self.cells)

    # ---- structure --------------------------------------------------------------------------------------------------
    def _members(self, key: Key | None) -> frozenset[Cell]:
        return self._all_cells if key is None else self._members_of.get(key, frozenset())

    # ---- the audit ----------------------------------------------------------------------------------------------
    def findings(
        self, published: Mapping[Key, CellStatistics], primaries: Sequence[Key], first_only: bool = False
    ) -> list[CellFinding]:
        """Every derivable group below the threshold, or when there is none, every protected value (primary mean
        and n) too narrow; with first_only, stop at the first (complementary suppression acts on one at a time)."""
        keys = set(published)
        if self._published_before is not None and not keys <= self._published_before:
            raise ValueError("CompanyMeasureAudit: a later round may only remove published cells")
        self._published_before = keys
        # the size rule first: it costs no LP, and a round that finds something suppresses a cell anyway
        found = self._residual_findings(published)
        if found:
            return found[:1] if first_only else found
        return self._primary_findings(published, primaries, first_only)

    def _primary_findings(
        self, published: Mapping[Key, CellStatistics], primaries: Sequence[Key], first_only: bool
    ) -> list[CellFinding]:
        primaries = [key for key in primaries if self._members(key)]
        # Nothing published below the company: every interval is the company cell's own (the baseline), which the
        # rule accepts; nothing published at all: nothing to solve from.
        if not primaries or not published:
            return []
        relevant = set(published) | set(primaries)
        problem = Problem()
        blocks: dict[tuple, Block] = {}
        cell_block: dict[Cell, Block] = {}
        for cell in self.cells:
            # cells no published or protected cell tells apart are one block (exact: see blocks.py on unions)
            signature = tuple(v if (b, v) in relevant else "*" for b, v in zip(BREAKDOWNS, cell, strict=True))
            if signature not in blocks:
                blocks[signature] = self.measure.block(problem, "/".join(str(v) for v in signature))
            cell_block[cell] = blocks[signature]

        def blocks_of(key: Key) -> list[Block]:
            return list({id(cell_block[c]): cell_block[c] for c in self._members(key)}.values())

        everything = list(blocks.values())
        if self.company is not None:
            publish(problem, everything, self.company)
        if self.distribution is not None:
            publish_distribution(problem, everything, self.distribution)
        for key in sorted(published):
            publish(problem, blocks_of(key), published[key])

        expressions = {key: (union(blocks_of(key), "n"), union(blocks_of(key), "total")) for key in primaries}

        def witness(points) -> None:
            for point in points:
                for key, (n, total) in expressions.items():
                    self._spans.setdefault(key, _Span()).see(problem.value(n, point), problem.value(total, point))

        # Seed witnesses for all primaries at once (first round only; later rounds keep them): the points that put
        # the highest (lowest) scores and the most (fewest) respondents into the primaries together; most primaries
        # then need no LP of their own.
        midpoint = 0.0 if self.measure.measure_type == "enps" else 50.0
        for objective in (
            combine(*(combine(total, n, weights=(1.0, -midpoint)) for n, total in expressions.values())),
            combine(*(n for n, _ in expressions.values())),
        ):
            if self._rounds or all(self._settled(key) for key in primaries):
                break
            _, _, points = problem.extremes(objective)
            self.lp_count += 2
            witness(points)
        self._rounds += 1

        found = []
        # the primary that failed last round first: it most likely still fails, and one finding ends a round
        for key in sorted(primaries, key=lambda k: k != self._last_failed):
            if first_only and found:
                break
            n, total = expressions[key]
            if self._spans[key].mean_width() < self.margin - _TOLERANCE:
                low, high, points = problem.extremes(total, n)
                self.lp_count += 2
                witness(points)
                if not math.isnan(low):
                    self.intervals[(key, "mean")] = (low, high)
                    baseline = self._baseline_mean(key)
                    if high - low < min(self.margin, baseline[1] - baseline[0]) - _TOLERANCE:
                        found.append(CellFinding(key[0], key[1], "mean", (low, high), self.margin))
            # n: at least two whole values. (With the company cell alone, n runs over 0..company n, as all of the
            # company may be in the cell or none: so a determined n is always the subgroups' doing.)
            if self._spans[key].n_values() < 2 and not (first_only and found):
                low, high, points = problem.extremes(n)
                self.lp_count += 2
                witness(points)
                self.intervals[(key, "n")] = (low, high)
                if Problem.distinct_integers((low, high)) < 2:
                    found.append(CellFinding(key[0], key[1], "n", (low, high), 1.0))
        self._last_failed = next((f.breakdown, f.subgroup) for f in found) if found else None
        return found

    def _settled(self, key: Key) -> bool:
        """Whether witnesses already show the primary's mean spanning the margin and two whole values of its n."""
        span = self._spans.setdefault(key, _Span())
        return span.mean_width() >= self.margin - _TOLERANCE and span.n_values() >= 2

    def _baseline_spread(self) -> float:
        """A lower bound on the range of the company's scores, which the baseline interval contains (one respondent
        may be all of a subgroup): the codes its distribution shows, the eNPS categories its shares show, or for a
        continuous score 2·sd/√n (the highest score of n is at least sd/√n above the mean, the lowest as far below).
        """
        company = self.company
        if self.distribution is not None:
            block = self.measure.block(Problem(), "scale")
            scores = [
                block.total.get(variable, 0.0)
                for code, variable in block.codes.items()
                if self.distribution.get(code, 0) > 0
            ]
            return max(scores) - min(scores) if scores else 0.0
        if company is None or company.n is None:
            return 0.0
        if self.measure.measure_type == "enps":
            shares = {100.0: company.favorable_pct, 0.0: company.neutral_pct, -100.0: company.unfavorable_pct}
            present = [points for points, pct in shares.items() if pct is not None and pct > 0]
            return max(present) - min(present) if present else 0.0
        return 2.0 * company.sd / math.sqrt(company.n) if company.sd is not None and company.n > 0 else 0.0

    def _baseline_mean(self, key: Key) -> tuple[float, float]:
        """The primary's mean interval when no subgroup is published (the company cell alone); unbounded when the
        company's own spread already exceeds the margin (then only the margin counts)."""
        if key not in self._baseline and self._baseline_spread() >= self.margin:
            self._baseline[key] = (-math.inf, math.inf)
        if key not in self._baseline:
            problem = Problem()
            inside, outside = self.measure.block(problem, "inside"), self.measure.block(problem, "outside")
            if self.company is not None:
                publish(problem, [inside, outside], self.company)
            if self.distribution is not None:
                publish_distribution(problem, [inside, outside], self.distribution)
            mean = problem.interval(inside.total, inside.n)
            self.lp_count += 2
            self._baseline[key] = (-math.inf, math.inf) if math.isnan(mean[0]) else mean
        return self._baseline[key]

    def _residual_findings(self, published: Mapping[Key, CellStatistics]) -> list[CellFinding]:
        counts = {key: stats.n for key, stats in published.items() if stats.n is not None}
        outers: list[tuple[Key | None, float]] = []
        if self.company is not None and self.company.n is not None:
            outers.append((None, self.company.n))
        outers += sorted(counts.items(), key=lambda item: (BREAKDOWNS.index(item[0][0]), item[0][1]))
        found = []
        for outer, outer_n in outers:
            outer_cells = self._members(outer)
            for breakdown in BREAKDOWNS:
                inner = [
                    key for key in counts if key[0] == breakdown and key != outer and self._members(key) <= outer_cells
                ]
                if not inner:
                    continue
                rest = outer_n - sum(counts[key] for key in inner)
                if _TOLERANCE < rest < self.min_respondents - _TOLERANCE:
                    smallest_first = tuple(sorted(inner, key=lambda k: (counts[k], k[1])))
                    label = _residual_label(outer, breakdown)
                    found.append(CellFinding(breakdown, label, "n", (rest, rest), 1.0, smallest_first))
        return found


def choose_complementary(finding: CellFinding, published: Mapping[Key, CellStatistics]) -> Key | None:
    """The next cell to suppress for a finding: the subgroup subtracted to form a residual group (smallest first);
    for a primary, the smallest published subgroup of its breakdown, else the smallest of the other breakdowns."""
    if finding.fix_candidates:
        return finding.fix_candidates[0]

    def size(key: Key) -> tuple:
        return (published[key].n if published[key].n is not None else math.inf, BREAKDOWNS.index(key[0]), key[1])

    same = sorted((key for key in published if key[0] == finding.breakdown), key=size)
    other = sorted((key for key in published if key[0] != finding.breakdown), key=size)
    return (same or other or [None])[0]


def protect(audit: CompanyMeasureAudit, published: Mapping[Key, CellStatistics], primaries: Sequence[Key]) -> list[Key]:
    """Complementary suppression: while the audit finds something, suppress one more subgroup; deterministic.
    Returns the cells suppressed, in order."""
    published = dict(published)
    suppressed = []
    while True:
        found = audit.findings(published, primaries, first_only=True)
        if not found:
            return suppressed
        choice = choose_complementary(found[0], published)
        if choice is None:  # nothing left to suppress: cannot happen (the baseline rule passes an empty table)
            raise RuntimeError(f"subgroup audit still finds {found[0]} with every subgroup suppressed")
        del published[choice]
        suppressed.append(choice)


ProtectTask = tuple[tuple, CompanyMeasureAudit, Mapping[Key, CellStatistics], Sequence[Key]]


def _protect_task(task: ProtectTask) -> list[Key]:
    key, audit, published, primaries = task
    try:
        return protect(audit, published, primaries)
    except AuditInfeasible as error:  # the statistics contradict each other: a bug upstream; name the cell
        raise AuditInfeasible(f"company x year x measure {key}: {error}") from error


def protect_each(tasks: Sequence[ProtectTask], workers: int) -> list[list[Key]]:
    """:func:`protect` of every (key, audit, published, primaries), in the tasks' order, by ``workers`` processes side
    by side (workers.map_in_workers): the company-measures are independent, so the decisions are the same whatever
    the number of workers. Only a company-measure with a primary can need an LP: the others (the size rule alone)
    are protected in this process, so that a year without small subgroups starts no worker."""
    solving = [i for i, (_, _, _, primaries) in enumerate(tasks) if primaries]
    results = map_in_workers(_protect_task, [tasks[i] for i in solving], workers, chunksize=4)
    solved = dict(zip(solving, results, strict=True))
    return [solved[i] if i in solved else _protect_task(task) for i, task in enumerate(tasks)]


# ---- measures ----------------------------------------------------------------------------------------------------
class Measures:
    """Each measure's scale, from the questionnaire's items of a year (columns year, item_id, theme_id, scale_min,
    scale_max, reverse_coded): an item its own; a theme the scale its items share; the index the scale of all themed
    items (one point of the scale its themes are answered on); eNPS none (its margin is in eNPS points)."""

    def __init__(self, items, source: str) -> None:
        required = {"year", "item_id", "theme_id", "scale_min", "scale_max", "reverse_coded"}
        missing = required - set(items.columns)
        if missing:
            raise ValueError(f"{source}: missing columns {sorted(missing)} (need {sorted(required)})")
        self.source = source
        self.items = items

    def get(self, year: int, measure_type: str, measure_id: str) -> Measure:
        items = self.items[self.items["year"] == year]
        if measure_type == "enps":
            return Measure(measure_type, measure_id)
        if measure_type == "item":
            rows = items[items["item_id"] == measure_id]
            reverse = bool(rows["reverse_coded"].iloc[0]) if len(rows) else False
        elif measure_type == "theme":
            rows, reverse = items[items["theme_id"] == measure_id], False
        elif measure_type == "index":
            rows, reverse = items[items["theme_id"].notna()], False
        else:
            raise ValueError(f"{self.source}: unknown measure_type {measure_type!r}")
        scales = sorted(set(zip(rows["scale_min"], rows["scale_max"], strict=True)))
        if measure_type != "item" and len(scales) > 1:
            # a theme or index over items of different scales: scores are 0-100 either way; the margin follows the
            # scale with the fewest points, whose scale point is the widest in index points (the strictest margin)
            scales = [min(scales, key=lambda scale: scale[1] - scale[0])]
        if len(scales) != 1:
            raise ValueError(
                f"{self.source} {year}: {measure_type} {measure_id} needs one answer scale, its items have {scales}"
            )
        return Measure(measure_type, measure_id, int(scales[0][0]), int(scales[0][1]), reverse)


# ---- the package audit ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Finding:
    """A protected cell of a published package whose interval is too narrow."""

    table: str
    keys: dict  # year, company_id, breakdown, subgroup, measure_type, measure_id
    statistic: str  # 'mean' (index points; eNPS points) or 'n'
    interval: tuple[float, float]
    margin: float  # the width required: the protection margin for a mean, 1 (two whole values) for n


class AuditFindings(list):
    """The findings (a list of Finding), with what the check shows as metadata: the narrowest intervals the LPs
    solved (cells the witnesses settled are not listed: theirs are at least the margin wide), the LP count and the
    number of company-measures audited."""

    def __init__(self, findings=(), narrowest=(), lp_count: int = 0, company_measures: int = 0) -> None:
        super().__init__(findings)
        self.narrowest: list[dict] = list(narrowest)
        self.lp_count = lp_count
        self.company_measures = company_measures


_STAT_COLUMNS = (
    "n_respondents",
    "index_0_100",
    "sd",
    "favorable_pct",
    "neutral_pct",
    "unfavorable_pct",
    "dont_know_pct",
)


def _published_statistics(row: Mapping[str, object]) -> CellStatistics | None:
    """What a row shows: its statistics (all null on a suppressed row, except a count that an old package keeps)."""
    stats = CellStatistics.from_row(row)
    return None if all(getattr(stats, f) is None for f in ("n", "index_0_100", "sd", "favorable_pct")) else stats


def _table(con, names: Sequence[str]) -> str:
    present = {
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'published'"
        ).fetchall()
    }
    for name in names:
        if name in present:
            return name
    raise ValueError(f"package has none of the tables published.{' / published.'.join(names)}")


def audit_subgroups(
    con, year: int, structure, scale_points: float | None = None, min_respondents: int | None = None
) -> AuditFindings:
    """The subgroup audit of one package (a DuckDB connection with schema `published`) for one year.

    structure: the non-empty cross cells (columns year, company_id, department, tenure_band, age_band, role; a
    missing value null) from the warehouse. Protected: every subgroup cell suppressed for min_respondents. Every
    statistic the package shows of the company and its subgroups enters (company_scores, subgroup_scores, the
    company's answer_distribution); a package without subgroup rows has nothing to audit here. Thresholds default to
    dbt_project.yml vars (their one home).
    """
    from orchestration.settings import threshold_defaults

    defaults = threshold_defaults()
    scale_points = float(defaults["audit_margin_scale_points"] if scale_points is None else scale_points)
    min_respondents = int(defaults["min_respondents"] if min_respondents is None else min_respondents)
    missing = {"year", "company_id", *STRUCTURE_COLUMNS} - set(structure.columns)
    if missing:
        raise ValueError(f"audit_subgroups: structure lacks columns {sorted(missing)}")

    subgroups = con.execute("select * from published.subgroup_scores where year = ?", [year]).df()
    if subgroups.empty:
        return AuditFindings()
    company = con.execute("select * from published.company_scores where year = ?", [year]).df()
    distribution = con.execute(
        "select scope_id as company_id, item_id, answer_code, n from published.answer_distribution "
        "where year = ? and scope = 'company' and n is not null",
        [year],
    ).df()
    items_table = _table(con, ("items", "questionnaire_items"))
    measures = Measures(
        con.execute(f"select * from published.{items_table} where year = ?", [year]).df(),
        f"published.{items_table}",
    )

    company_cells = {}
    for row in company.to_dict("records"):
        company_cells[(row["company_id"], row["measure_type"], row["measure_id"])] = _published_statistics(row)
    distributions: dict[tuple, dict] = {}
    for row in distribution.itertuples():
        code = None if pd.isna(row.answer_code) else int(row.answer_code)
        distributions.setdefault((row.company_id, "item", row.item_id), {})[code] = float(row.n)
    structure = structure[structure["year"] == year]
    cells_of = {
        company_id: [
            tuple(None if pd.isna(v) else str(v) for v in values)
            for values in group[list(STRUCTURE_COLUMNS)].itertuples(index=False, name=None)
        ]
        for company_id, group in structure.groupby("company_id")
    }

    found, narrowest, lp_count, audited = [], [], 0, 0
    for (company_id, measure_type, measure_id), group in subgroups.groupby(
        ["company_id", "measure_type", "measure_id"], sort=True
    ):
        rows = group.sort_values(["breakdown", "subgroup"]).to_dict("records")
        primaries = [(r["breakdown"], r["subgroup"]) for r in rows if r["suppression_reason"] == "min_respondents"]
        published = {}
        for r in rows:
            stats = _published_statistics(r)
            if stats is not None:
                published[(r["breakdown"], r["subgroup"])] = stats
        if not primaries and not published:
            continue  # nothing shown, nothing protected
        if company_id not in cells_of:
            raise ValueError(f"audit_subgroups: structure has no cross cells of {company_id} in {year}")
        measure = measures.get(year, measure_type, measure_id)
        audit = CompanyMeasureAudit(
            cells_of[company_id],
            measure,
            margin=measure.margin(scale_points),
            min_respondents=min_respondents,
            company=company_cells.get((company_id, measure_type, measure_id)),
            distribution=distributions.get((company_id, measure_type, measure_id)),
        )
        audited += 1
        keys = {"year": year, "company_id": company_id, "measure_type": measure_type, "measure_id": measure_id}
        for f in audit.findings(published, primaries):
            found.append(
                Finding(
                    "subgroup_scores",
                    {**keys, "breakdown": f.breakdown, "subgroup": f.subgroup},
                    f.statistic,
                    f.interval,
                    f.margin,
                )
            )
        lp_count += audit.lp_count
        for ((breakdown, subgroup), statistic), (low, high) in audit.intervals.items():
            narrowest.append(
                {
                    **keys,
                    "breakdown": breakdown,
                    "subgroup": subgroup,
                    "statistic": statistic,
                    "low": low,
                    "high": high,
                    "width": high - low,
                }
            )
    narrowest = sorted((n for n in narrowest if n["statistic"] == "mean"), key=lambda n: n["width"])[:10]
    return AuditFindings(found, narrowest, lp_count, audited)
