"""The pools audit (orchestration/disclosure/pools.py): issue 9's benchmark-side attacks planted in tiny audience
packages, written here with duckdb from respondents' answers by the rules of packages.md (computed independently of
the warehouse), and the audit naming the cell; a well-protected package passing; one interval worked out by hand."""

from __future__ import annotations

import os
import statistics
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchestration.disclosure.pools import audit_package_pools, audit_pools, audit_release_pools
from orchestration.settings import audit_workers

YEAR = 2025
N_MIN = 5  # min_respondents
MIN_COMPANIES = 3
ITEM = {"item_id": "Q01", "theme_id": "T1", "scale_min": 1, "scale_max": 6, "reverse_coded": False}
MARGIN = 20.0  # one scale point of a 1-6 item in index points


@dataclass
class Company:
    company_id: str
    industry_id: str
    answers: list[int | None]  # 1-6, None: don't know
    previous_index: float | None = None  # last year's published index, for company_vs_benchmark


def _index(code: int) -> float:
    return (code - 1) * 20.0


def _cell(answers: list[int | None]) -> dict:
    """A cell's published statistics, as measure_stats.sql computes them (sample sd, shares of valid answers)."""
    valid = [a for a in answers if a is not None]
    scores = [_index(a) for a in valid]
    n, dont_know = len(valid), len(answers) - len(valid)
    return {
        "n_respondents": n,
        "index_0_100": statistics.fmean(scores) if n else None,
        "mean_score": 1 + statistics.fmean(scores) / 20.0 if n else None,
        "sd": statistics.stdev(scores) if n > 1 else None,
        "favorable_pct": 100.0 * sum(a >= 5 for a in valid) / n if n else None,
        "neutral_pct": 100.0 * sum(3 <= a <= 4 for a in valid) / n if n else None,
        "unfavorable_pct": 100.0 * sum(a <= 2 for a in valid) / n if n else None,
        "dont_know_pct": 100.0 * dont_know / len(answers) if answers else None,
    }


_VALUES = ("n_respondents", "index_0_100", "mean_score", "sd", "favorable_pct", "neutral_pct", "unfavorable_pct")
_DOUBLES = [
    *_VALUES[1:],
    "dont_know_pct",
    "company_index",
    "benchmark_index",
    "gap",
    "percentile_rank",
    "previous_index",
    "yoy_change",
    "other_max_company_share_pct",
    "p25",
    "p50",
    "p75",
    "p90",
    "index_company_weighted",
    "max_company_share_pct",
    "ci_low",
    "ci_high",
]
_INTERNAL_ONLY = ("p25", "p50", "p75", "p90", "index_company_weighted", "max_company_share_pct", "ci_low", "ci_high")


def _suppressed(row: dict, reason: str, *columns: str) -> dict:
    return {**row, **{column: None for column in columns}, "suppressed": True, "suppression_reason": reason}


def _with_theme(rows: list[dict]) -> list[dict]:
    """The item's rows and its theme's: a theme of one item has the item's scores, shares and don't-knows, but no
    answer distribution (a continuous measure in the audit)."""
    return rows + [{**row, "measure_type": "theme", "measure_id": ITEM["theme_id"]} for row in rows]


@dataclass
class Release:
    """The marts of one year for a few companies and one item, and the packages cut from them."""

    companies: list[Company]
    pool_suppressed_companies: bool = False  # planted: benchmarks pool company cells under min_respondents
    carry_internal_columns: bool = False  # planted: company and public packages carry percentiles
    leak_change_of: set[str] = field(default_factory=set)  # planted: yoy_change shown on a suppressed comparison

    def publishable(self, company: Company) -> bool:
        return sum(a is not None for a in company.answers) >= N_MIN

    def pooled(self, scope: str, scope_id: str) -> list[Company]:
        return [
            c
            for c in self.companies
            if (scope == "national" or c.industry_id == scope_id)
            and (self.pool_suppressed_companies or self.publishable(c))
        ]

    def benchmark(self, scope: str, scope_id: str) -> dict:
        pooled = self.pooled(scope, scope_id)
        answers = [a for c in pooled for a in c.answers]
        row = {"year": YEAR, "benchmark_scope": scope, "benchmark_id": scope_id}
        row |= {"measure_type": "item", "measure_id": ITEM["item_id"], "n_companies": len(pooled), **_cell(answers)}
        indices = sorted(_cell(c.answers)["index_0_100"] for c in pooled)
        row |= {column: None for column in _INTERNAL_ONLY}
        if indices:
            row |= {"p50": statistics.median(indices), "index_company_weighted": statistics.fmean(indices)}
        row |= {"suppressed": False, "suppression_reason": None}
        largest = max((_cell(c.answers)["n_respondents"] for c in pooled), default=0)
        if len(pooled) < MIN_COMPANIES:
            return _suppressed(row, "min_companies", *_VALUES, "dont_know_pct", "n_companies", *_INTERNAL_ONLY)
        if largest > 0.5 * row["n_respondents"]:
            return _suppressed(row, "dominance", *_VALUES, "dont_know_pct", "n_companies", *_INTERNAL_ONLY)
        return row

    def industries(self) -> list[str]:
        return sorted({c.industry_id for c in self.companies})

    def benchmarks(self) -> list[dict]:
        rows = [self.benchmark("national", "all")] + [self.benchmark("industry", i) for i in self.industries()]
        return _with_theme(rows)

    def distribution(self, scope: str, scope_id: str, answers: list[int | None], suppressed: bool) -> list[dict]:
        rows = []
        for code in [*range(1, 7), None]:
            n = sum(a == code for a in answers) if code is not None else sum(a is None for a in answers)
            rows.append(
                {
                    "year": YEAR,
                    "scope": scope,
                    "scope_id": scope_id,
                    "item_id": ITEM["item_id"],
                    "answer_code": code,
                    "is_dont_know": code is None,
                    "n_respondents": None if suppressed else len(answers),
                    "n": None if suppressed else n,
                    "suppressed": suppressed,
                }
            )
        return rows

    def company_scores(self) -> list[dict]:
        rows = []
        for c in self.companies:
            row = {"year": YEAR, "company_id": c.company_id, "industry_id": c.industry_id}
            row |= {"measure_type": "item", "measure_id": ITEM["item_id"], **_cell(c.answers)}
            row |= {"suppressed": False, "suppression_reason": None}
            rows.append(row if self.publishable(c) else _suppressed(row, "min_respondents", *_VALUES, "dont_know_pct"))
        return _with_theme(rows)

    def comparisons(self) -> list[dict]:
        rows = []
        for c in self.companies:
            for scope, scope_id in (("national", "all"), ("industry", c.industry_id)):
                others = [o for o in self.pooled(scope, scope_id) if o is not c]
                own = _cell(c.answers)
                loo = _cell([a for o in others for a in o.answers])
                lower = sum(
                    1.0 if _cell(o.answers)["index_0_100"] < own["index_0_100"] else 0.5
                    for o in others
                    if _cell(o.answers)["index_0_100"] <= own["index_0_100"]
                )
                row = {"year": YEAR, "company_id": c.company_id, "benchmark_scope": scope, "benchmark_id": scope_id}
                row |= {"measure_type": "item", "measure_id": ITEM["item_id"], "n_respondents": own["n_respondents"]}
                row |= {"n_other_companies": len(others), "other_max_company_share_pct": None}
                row |= {"company_index": own["index_0_100"], "benchmark_index": loo["index_0_100"]}
                row |= {"gap": None if loo["index_0_100"] is None else own["index_0_100"] - loo["index_0_100"]}
                row |= {"percentile_rank": 100.0 * lower / len(others) if others else None}
                row |= {"previous_index": c.previous_index}
                change = None if c.previous_index is None else own["index_0_100"] - c.previous_index
                row |= {"yoy_change": change, "suppressed": False, "suppression_reason": None}
                benchmark = self.benchmark(scope, scope_id)
                reason = (
                    "min_respondents"
                    if not self.publishable(c)
                    else "benchmark_suppressed"
                    if benchmark["suppressed"]
                    else "min_companies"
                    if len(others) < MIN_COMPANIES
                    else None
                )
                if reason:
                    hidden = ["company_index", "benchmark_index", "gap", "percentile_rank", "previous_index"]
                    hidden += ["n_respondents", "n_other_companies"]
                    if c.company_id not in self.leak_change_of:
                        hidden.append("yoy_change")
                    row = _suppressed(row, reason, *hidden)
                rows.append(row)
        return _with_theme(rows)

    def tables(self, audience: str) -> dict[str, pd.DataFrame]:
        """The package of one audience (packages.md): public, company:<id> or internal."""
        company = audience.removeprefix("company:") if audience.startswith("company:") else None
        benchmarks = self.benchmarks()
        if audience != "internal" and not self.carry_internal_columns:
            benchmarks = [{**row, **{column: None for column in _INTERNAL_ONLY}} for row in benchmarks]
        distribution = []
        for row in benchmarks:
            if row["measure_type"] != "item":
                continue
            pooled = self.pooled(row["benchmark_scope"], row["benchmark_id"])
            answers = [a for c in pooled for a in c.answers]
            distribution += self.distribution(row["benchmark_scope"], row["benchmark_id"], answers, row["suppressed"])
        for c in self.companies:
            if audience == "internal" or c.company_id == company:
                distribution += self.distribution("company", c.company_id, c.answers, not self.publishable(c))
        tables = {
            "benchmarks": pd.DataFrame(benchmarks),
            "answer_distribution": pd.DataFrame(distribution),
            "items": pd.DataFrame([{"year": YEAR, **ITEM}]),
            "industries": pd.DataFrame([{"year": YEAR, "industry_id": i} for i in self.industries()]),
        }
        if audience != "public":
            keep = (lambda row: True) if audience == "internal" else (lambda row: row["company_id"] == company)
            tables["company_scores"] = pd.DataFrame([r for r in self.company_scores() if keep(r)])
            tables["company_vs_benchmark"] = pd.DataFrame([r for r in self.comparisons() if keep(r)])
        return tables

    def write(self, path: Path, audience: str) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        with duckdb.connect(str(path)) as con:
            con.execute("create schema published")
            for name, frame in self.tables(audience).items():
                # typed as the marts are: a column that is null in every row stays a double, not an integer
                for column in frame.columns.intersection(_DOUBLES):
                    frame[column] = frame[column].astype("Float64")
                con.register("frame", frame)
                con.execute(f"create table published.{name} as select * from frame")
                con.unregister("frame")
        return path

    def write_release(self, root: Path) -> Path:
        database = f"medarbeiderindeks_{YEAR}.duckdb"
        self.write(root / "public" / database, "public")
        self.write(root / "internal" / database, "internal")
        for c in self.companies:
            self.write(root / "companies" / c.company_id / database, f"company:{c.company_id}")
        return root


def _audit(release: Release, tmp_path: Path, audience: str, known: tuple[str, ...] = ()) -> list:
    path = release.write(tmp_path / f"{audience.replace(':', '_')}.duckdb", audience)
    with duckdb.connect(str(path), read_only=True) as con:
        return audit_pools(con, YEAR, audience, known, min_respondents=N_MIN, scale_points=1)


def _varied(n: int, shift: int = 0) -> list[int | None]:
    """n answers spread over the whole scale (and one don't-know per 7)."""
    cycle = [1, 6, 2, 5, 3, 4, None]
    return [cycle[(i + shift) % len(cycle)] for i in range(n)]


def _company(company_id: str, industry: str, n: int, shift: int = 0) -> Company:
    return Company(company_id, industry, _varied(n, shift))


def _well_protected() -> list[Company]:
    # two published industries of 4 companies each, spread answers: every pool has >= 3 unseen companies
    return [_company(f"a{i}", "alpha", 10 + 3 * i, i) for i in range(4)] + [
        _company(f"b{i}", "beta", 11 + 2 * i, i + 2) for i in range(4)
    ]


def _names(findings: list) -> list[tuple]:
    return [(f.table, dict(f.keys).get("company_id"), dict(f.keys).get("benchmark_id"), f.statistic) for f in findings]


# --- the negative: a well-protected package passes -------------------------------------------------------------------


@pytest.mark.parametrize("audience", ["public", "company:a0", "company:b3", "internal"])
def test_a_well_protected_package_passes(tmp_path, audience):
    release = Release(_well_protected())
    assert all(not row["suppressed"] for row in release.benchmarks())  # every pool is published and audited
    assert _audit(release, tmp_path, audience) == []


# --- 1. a suppressed company pooled in the national benchmark ------------------------------------------------------


def test_a_suppressed_company_pooled_in_the_benchmark_is_found_in_the_internal_package(tmp_path):
    small = Company("small", "alpha", [6, 6, 5])  # 3 respondents: its cell is suppressed
    release = Release([*_well_protected(), small])
    assert _audit(release, tmp_path, "internal") == []  # left out of every pool: nothing to solve

    planted = Release([*_well_protected(), small], pool_suppressed_companies=True)
    findings = _audit(planted, tmp_path / "planted", "internal")
    means = [f for f in findings if f.statistic == "mean" and f.keys.get("company_id") == "small"]
    assert means, _names(findings)
    # the national (and alpha) benchmark minus the published companies is the small company: (100 + 100 + 80) / 3
    for finding in means:
        assert finding.interval == pytest.approx((280 / 3, 280 / 3), abs=1e-4)
    counts = [f for f in findings if f.statistic == "n" and f.keys.get("company_id") == "small"]
    assert counts and counts[0].interval == pytest.approx((3, 3), abs=1e-4)


# --- 2. a suppressed industry: national minus the published industries ---------------------------------------------


def _one_suppressed_industry() -> list[Company]:
    gamma = [Company("g0", "gamma", [1, 2, 2, 3, 6, 6, 5]), Company("g1", "gamma", [4, 4, 1, 6, 5, 2, None, 3])]
    return [*_well_protected(), *gamma]


def test_an_industry_suppressed_while_national_and_the_others_are_published_is_found(tmp_path):
    release = Release(_one_suppressed_industry())
    gamma = release.benchmark("industry", "gamma")
    assert gamma["suppressed"] and not release.benchmark("national", "all")["suppressed"]
    findings = _audit(release, tmp_path, "public")
    cells = [f for f in findings if f.table == "benchmarks" and f.keys["benchmark_id"] == "gamma"]
    answers = [a for c in release.companies if c.industry_id == "gamma" for a in c.answers if a is not None]
    exact = statistics.fmean(_index(a) for a in answers)
    # the item through its answer counts and n x mean; the theme (no distribution) through n x mean alone
    assert {f.keys["measure_type"] for f in cells} == {"item", "theme"}
    for cell in cells:
        assert cell.interval == pytest.approx((exact, exact), abs=1e-4)


def test_a_company_in_a_pool_of_two_unseen_lies_between_the_means_of_the_bottom_and_top_answers(tmp_path):
    """By hand: the public reader knows gamma's answers (national minus the published industries) and that each of
    its two companies has at least 5 respondents, so one company's mean is at least the mean of the 5 lowest answers
    and at most the mean of the 5 highest."""
    release = Release(_one_suppressed_industry())
    path = release.write(tmp_path / "public.duckdb", "public")
    with duckdb.connect(str(path), read_only=True) as con:
        result = audit_package_pools(con, YEAR, "public", min_respondents=N_MIN, scale_points=1)
    [interval] = [
        i
        for i in result.intervals
        if i.table == "company_scores"
        and i.keys["pool"] == "suppressed industries"
        and i.statistic == "mean"
        and i.keys["measure_type"] == "item"
    ]
    answers = sorted(_index(a) for c in release.companies if c.industry_id == "gamma" for a in c.answers if a)
    lowest, highest = statistics.fmean(answers[:N_MIN]), statistics.fmean(answers[-N_MIN:])
    assert interval.interval == pytest.approx((lowest, highest), abs=1e-4)
    # the 14 valid answers in index points: 0, 0, 20, 20, 20 lowest, 80, 80, 100, 100, 100 highest: [12, 92]
    assert interval.interval == pytest.approx((12.0, 92.0), abs=1e-4)


# --- 3. percentiles and company-weighted means outside the internal package ----------------------------------------


def test_percentiles_in_a_company_package_are_flagged(tmp_path):
    release = Release(_well_protected(), carry_internal_columns=True)
    findings = _audit(release, tmp_path, "company:a1")
    carried = {f.keys["column"] for f in findings if f.statistic == "carried"}
    assert carried == {"p50", "index_company_weighted"}
    assert _audit(release, tmp_path / "internal", "internal") == []  # the index team may see them


# --- 4. a pool with one unseen company ------------------------------------------------------------------------------


def test_an_industry_of_two_seen_from_one_of_them_gives_the_other_away(tmp_path):
    release = Release(_one_suppressed_industry())
    findings = _audit(release, tmp_path, "company:g0")
    pool = [f for f in findings if f.table == "company_scores" and f.keys.get("pool") == "suppressed industries"]
    other = _cell(release.companies[-1].answers)
    means = [f for f in pool if f.statistic == "mean"]
    assert means and means[0].interval == pytest.approx((other["index_0_100"],) * 2, abs=1e-4)
    # the item's n and the theme's: 7 valid answers
    assert [f.interval for f in pool if f.statistic == "n"] == [pytest.approx((7, 7), abs=1e-4)] * 2


# --- 5. collusion ---------------------------------------------------------------------------------------------------


def _industries_of_three_and_four() -> list[Company]:
    companies = [_company(f"a{i}", "alpha", 12 + 2 * i, i) for i in range(3)]
    # beta: four companies whose means lie 20+ points apart (18, 42, 63, 86), so that no two colluding readers
    # enclose the other two between close percentile ranks
    beta = (
        [1, 1, 2, 2, 3, 1, 2, 4, 1, 2],
        [2, 3, 3, 4, 2, 3, 5, 3, 4, 2, 3],
        [4, 5, 3, 4, 5, 4, 6, 3, 4, 5, 4, 3],
        [6, 5, 6, 5, 4, 6, 6, 5, 6, 5, 6, 4, 5],
    )
    return companies + [Company(f"b{i}", "beta", list(answers)) for i, answers in enumerate(beta)]


def test_two_colluding_companies_of_an_industry_of_three_solve_the_third(tmp_path):
    companies = _industries_of_three_and_four()
    root = Release(companies).write_release(tmp_path / "release")
    alone = audit_release_pools(root, YEAR, coalition_size=1, min_respondents=N_MIN, scale_points=1)
    assert alone.findings == []
    together = audit_release_pools(root, YEAR, coalition_size=2, min_respondents=N_MIN, scale_points=1)
    solved = {(f.audience, f.statistic) for f in together.findings}
    # every pair inside alpha solves its third company; pairs across industries or inside beta (4) do not
    pairs = ("company:a0 with a1", "company:a0 with a2", "company:a1 with a2")
    assert solved == {(pair, statistic) for pair in pairs for statistic in ("mean", "n")}
    for pair, third in zip(pairs, ("a2", "a1", "a0"), strict=True):
        means = [f for f in together.findings if f.audience == pair and f.statistic == "mean"]
        exact = _cell(companies[int(third[1])].answers)["index_0_100"]
        assert {f.keys["measure_type"] for f in means} == {"item", "theme"}
        for mean in means:
            assert mean.interval == pytest.approx((exact, exact), abs=1e-4)
    assert together.narrowest(1)[0].width == pytest.approx(0.0, abs=1e-4)


def test_worker_processes_find_what_one_process_finds(tmp_path):
    """The release audit's packages and coalitions run in worker processes side by side: the same findings and
    intervals, in the same order, as auditing them one after the other in this process."""
    root = Release(_industries_of_three_and_four()).write_release(tmp_path / "release")
    options = {"coalition_size": 2, "min_respondents": N_MIN, "scale_points": 1}
    alone = audit_release_pools(root, YEAR, workers=1, **options)
    side_by_side = audit_release_pools(root, YEAR, workers=2, **options)
    assert {f.audience for f in alone.findings} == {"company:a0 with a1", "company:a0 with a2", "company:a1 with a2"}
    assert [(f.audience, f.table, dict(f.keys), f.statistic) for f in side_by_side.findings] == [
        (f.audience, f.table, dict(f.keys), f.statistic) for f in alone.findings
    ]
    assert len(side_by_side.intervals) == len(alone.intervals) > 0
    for theirs, ours in zip(side_by_side.intervals, alone.intervals, strict=True):
        assert (theirs.audience, theirs.table, dict(theirs.keys), theirs.statistic) == (
            ours.audience,
            ours.table,
            dict(ours.keys),
            ours.statistic,
        )
        # Each process lays out the LP's rows in its own order (string hashing is seeded per process), and HiGHS
        # meets its 1e-7 tolerances from another basis: bounds agree to a few millionths of an index point
        # (2.5e-6 seen with PYTHONHASHSEED=4), far below any protection margin.
        assert theirs.interval == pytest.approx(ours.interval, abs=1e-5)


def test_the_audit_workers_setting_is_a_whole_number_of_processes(monkeypatch):
    monkeypatch.delenv("MEDARBEIDERINDEKS_AUDIT_WORKERS", raising=False)
    assert audit_workers() == len(os.sched_getaffinity(0))
    monkeypatch.setenv("MEDARBEIDERINDEKS_AUDIT_WORKERS", "3")
    assert audit_workers() == 3
    for wrong in ("0", "two", "-1"):
        monkeypatch.setenv("MEDARBEIDERINDEKS_AUDIT_WORKERS", wrong)
        with pytest.raises(ValueError, match=f"MEDARBEIDERINDEKS_AUDIT_WORKERS='{wrong}': expected a whole number"):
            audit_workers()


# --- 6. one company across two years --------------------------------------------------------------------------------


def test_a_company_published_last_year_and_suppressed_this_year_gains_nothing_from_both_packages(tmp_path):
    previous = Release(_well_protected())
    shrunk = Company("a0", "alpha", [6, 6, 6], previous_index=_cell(previous.companies[0].answers)["index_0_100"])
    honest = Release([shrunk, *_well_protected()[1:]])
    planted = Release([shrunk, *_well_protected()[1:]], leak_change_of={"a0"})
    for release, expected in ((honest, False), (planted, True)):
        path = tmp_path / f"{expected}.duckdb"
        release.write(path, "company:a0")
        last_year = previous.tables("company:a0")
        with duckdb.connect(str(path)) as con:  # the reader holds last year's package as well
            for name in ("company_scores",):
                frame = last_year[name].assign(year=YEAR - 1)
                con.register("frame", frame)
                con.execute(f"insert into published.{name} by name select * from frame")
                con.unregister("frame")
            findings = audit_pools(con, YEAR, "company:a0", min_respondents=N_MIN, scale_points=1)
        own = [f for f in findings if f.keys.get("company_id") == "a0" and f.statistic == "mean"]
        assert bool(own) is expected, _names(findings)
        if expected:  # last year's index plus the change is this year's: three answers of 6
            assert own[0].interval == pytest.approx((100.0, 100.0), abs=1e-4)


# --- the reader's own company: the leave-one-out benchmark adds nothing ---------------------------------------------


def test_the_leave_one_out_benchmark_is_the_benchmark_minus_the_company_and_adds_nothing(tmp_path):
    release = Release(_one_suppressed_industry())
    path = release.write(tmp_path / "a1.duckdb", "company:a1")
    with duckdb.connect(str(path)) as con:
        national = con.execute(
            "select n_respondents, index_0_100 from published.benchmarks where benchmark_scope = 'national'"
        ).fetchone()
        own = con.execute("select n_respondents, index_0_100 from published.company_scores").fetchone()
        (loo,) = con.execute(
            "select benchmark_index from published.company_vs_benchmark where benchmark_scope = 'national'"
        ).fetchone()
        assert loo == pytest.approx((national[0] * national[1] - own[0] * own[1]) / (national[0] - own[0]))
        with_loo = audit_package_pools(con, YEAR, "company:a1", min_respondents=N_MIN, scale_points=1)
        con.execute("update published.company_vs_benchmark set benchmark_index = null, gap = null")
        without = audit_package_pools(con, YEAR, "company:a1", min_respondents=N_MIN, scale_points=1)
    assert len(with_loo.intervals) == len(without.intervals) > 0
    for a, b in zip(with_loo.intervals, without.intervals, strict=True):
        assert a.keys == b.keys and a.interval == pytest.approx(b.interval, abs=1e-4)


def test_an_unknown_audience_is_refused(tmp_path):
    path = Release(_well_protected()).write(tmp_path / "p.duckdb", "public")
    with duckdb.connect(str(path), read_only=True) as con, pytest.raises(ValueError, match="audience 'press'"):
        audit_pools(con, YEAR, "press")


def test_the_release_audit_skips_only_what_the_public_package_audit_already_covers(tmp_path):
    """A company package's pools without the company are pinned by their own published cells: auditing them again
    gives the public package's intervals. Checked here by auditing every company package in full."""
    release = Release(_one_suppressed_industry())

    def cells(result) -> dict:
        return {(i.table, tuple(sorted(i.keys.items())), i.statistic): i.interval for i in result.intervals}

    public_path = release.write(tmp_path / "public.duckdb", "public")
    with duckdb.connect(str(public_path), read_only=True) as con:
        public = cells(audit_package_pools(con, YEAR, "public", min_respondents=N_MIN, scale_points=1))
    for company in ("a0", "b2", "g1"):
        path = release.write(tmp_path / f"{company}.duckdb", f"company:{company}")
        with duckdb.connect(str(path), read_only=True) as con:
            options = {"min_respondents": N_MIN, "scale_points": 1}
            full = cells(audit_package_pools(con, YEAR, f"company:{company}", **options))
            part = cells(audit_package_pools(con, YEAR, f"company:{company}", beyond_public=True, **options))
        assert set(part) < set(full)
        for key, interval in full.items():
            expected = part.get(key, public.get(key))
            assert expected is not None, key
            assert interval == pytest.approx(expected, abs=1e-4), key


def test_a_percentile_rank_places_the_other_companies_below_the_reader(tmp_path):
    """alpha's four companies seen from a0: a0's rank 100 says the three others lie at or below its index (88.57),
    so one of them can reach at most 88.57, where without the rank it could reach 100 (5 respondents all at 6)."""
    alpha = [[5, 6, 5, 6, 5, 6, 5], [1, 2, 6, 6, 3, 2, 6, 1], [2, 3, 6, 4, 1, 6, 6], [3, 4, 2, 6, 1, 3]]
    companies = [Company(f"a{i}", "alpha", answers) for i, answers in enumerate(alpha)]
    release = Release([*companies, *_well_protected()[4:]])
    path = release.write(tmp_path / "a0.duckdb", "company:a0")
    own = _cell(alpha[0])["index_0_100"]
    assert own == pytest.approx(620 / 7)

    def highest(con) -> float:
        result = audit_package_pools(con, YEAR, "company:a0", min_respondents=N_MIN, scale_points=1)
        [interval] = [
            i
            for i in result.intervals
            if i.keys.get("pool") == "industry alpha" and i.statistic == "mean" and i.keys["measure_type"] == "item"
        ]
        return interval.interval[1]

    with duckdb.connect(str(path)) as con:
        (rank,) = con.execute(
            "select percentile_rank from published.company_vs_benchmark "
            "where benchmark_scope = 'industry' and measure_type = 'item'"
        ).fetchone()
        assert rank == 100.0
        assert highest(con) == pytest.approx(own, abs=1e-4)
        con.execute("update published.company_vs_benchmark set percentile_rank = null")
        assert highest(con) == pytest.approx(100.0, abs=1e-4)
