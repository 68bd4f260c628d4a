"""The attacker's tests of disclosure control (methodology §6): a participating company, holding its own published
numbers, every published benchmark, the leave-one-out comparisons shown to it and its own subgroup breakdowns, tries
to solve for another company's score or for a suppressed subgroup's score. Everything published is a mean over a
set of respondents together with its count, so every published number is a linear equation over unknown sums; an
exact derivation exists exactly when the target's indicator vector lies in the row space of the published sets.
The attacker here is stronger than a real one: it knows every company's and every cell's respondent count.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
from dbt_run import dbt_build, query  # noqa: E402
from raw_warehouse import build_raw_warehouse  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
ITEMS = pd.read_csv(REPO / "seeds" / "items.csv")
COMPANIES = pd.read_csv(REPO / "seeds" / "companies.csv").set_index("company_id")
MIN_RESPONDENTS = 5

SIZES = {
    2025: {
        "nordlys_bank": 40,
        "fjord_sparebank": 12,
        "kyst_sparebank": 9,
        "trygg_forsikring": 6,
        "vern_forsikring": 3,
        "fjelltele": 10,
        "bolge_mobil": 8,
        "signal_norge": 7,
        "vasskraft_ost": 11,
        "stromnett_energi": 6,
        "nordreiser": 9,
    },
    2024: {
        "nordlys_bank": 30,
        "fjord_sparebank": 10,
        "kyst_sparebank": 4,  # suppressed last year: this year's comparison must not show it
        "trygg_forsikring": 7,
        "vern_forsikring": 5,
        "fjelltele": 9,
        "bolge_mobil": 8,
        "signal_norge": 6,
        "vasskraft_ost": 12,
        "nordreiser": 8,
    },
}


def _nordlys_2025_breakdowns(rng: np.random.Generator) -> list[dict]:
    """40 people: Kundeservice (4) and Salg (6) are the only ones with tenure 0-2, so that
    Kundeservice = tenure 0-2 minus Salg across two breakdowns; two people gave no age band."""
    rows = []
    departments = ["Kundeservice"] * 4 + ["Salg"] * 6 + ["Bedrift"] * 14 + ["Privat"] * 16
    for r, department in enumerate(departments):
        rows.append(
            {
                "department": department,
                "tenure_band": "0-2" if department in ("Kundeservice", "Salg") else rng.choice(["2-5", "5+"]),
                "age_band": None if r in (20, 31) else rng.choice(["<30", "30-49", "50+"]),
                "role": "Leder" if r % 8 == 7 else "Medarbeider",
            }
        )
    return rows


def survey() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(4242)
    respondents, answers = [], []
    for year, sizes in SIZES.items():
        for company, size in sizes.items():
            level = rng.normal(0, 0.7)
            if company == "nordlys_bank" and year == 2025:
                breakdowns = _nordlys_2025_breakdowns(rng)
            else:
                breakdowns = [
                    {
                        "department": rng.choice(["Kundeservice", "Salg", "Drift"], p=[0.5, 0.3, 0.2]),
                        "tenure_band": rng.choice(["0-2", "2-5", "5+"]),
                        "age_band": rng.choice(["<30", "30-49", "50+"]),
                        "role": "Medarbeider",
                    }
                    for _ in range(size)
                ]
            for r, groups in enumerate(breakdowns):
                respondent = f"{company}-{year}-{r}"
                respondents.append({"year": year, "company_id": company, "respondent_id": respondent, **groups})
                person = level + rng.normal(0, 0.8)
                for item in ITEMS.itertuples():
                    u = rng.random()
                    if u < 0.04:
                        continue
                    if u < 0.08:
                        answers.append((year, company, respondent, item.item_id, np.nan, True))
                        continue
                    mid = (item.scale_min + item.scale_max) / 2
                    spread = (item.scale_max - item.scale_min) / 4
                    value = np.clip(np.rint(mid + spread * (person + rng.normal(0, 1))), item.scale_min, item.scale_max)
                    answers.append((year, company, respondent, item.item_id, float(value), False))
    answers = pd.DataFrame(
        answers, columns=["year", "company_id", "respondent_id", "item_id", "answer_value", "is_dont_know"]
    )
    return answers, pd.DataFrame(respondents)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("disclosure_attacks")
    path = work / "warehouse.duckdb"
    answers, respondents = survey()
    build_raw_warehouse(path, answers, respondents)
    result = dbt_build(path, work)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    return path


def _derivable(published: np.ndarray, target: np.ndarray) -> bool:
    """Is ``target`` a linear combination of the rows of ``published``? (least squares residual, not a rank call)"""
    if published.size == 0:
        return False
    weights, *_ = np.linalg.lstsq(published.T, target, rcond=None)
    return bool(np.allclose(published.T @ weights, target, atol=1e-7))


# ---------------------------------------------------------------------------------------------------------------
# Differencing between companies: benchmarks, company-weighted means and leave-one-out rows


def test_no_company_can_solve_for_another_company(warehouse: Path) -> None:
    companies = query(
        warehouse,
        "select year, company_id, industry_id, measure_type, measure_id, n_respondents "
        "from intermediate.int_company_measure_stats where n_respondents > 0",
    )
    benchmarks = query(warehouse, "select * from published.benchmarks where not suppressed")
    comparisons = query(warehouse, "select * from published.company_vs_benchmark where not suppressed")
    attempts = exposed = 0
    for (year, measure_type, measure_id), cells in companies.groupby(["year", "measure_type", "measure_id"]):
        cells = cells.set_index("company_id")
        scope_members = {("national", "all"): list(cells.index)}
        for industry, members in cells.groupby("industry_id"):
            scope_members[("industry", industry)] = list(members.index)
        published = benchmarks[
            (benchmarks.year == year)
            & (benchmarks.measure_type == measure_type)
            & (benchmarks.measure_id == measure_id)
        ]
        for attacker in cells.index:
            others = [c for c in cells.index if c != attacker]
            column = {c: i for i, c in enumerate(others)}
            rows = []
            for b in published.itertuples():
                members = [c for c in scope_members[(b.benchmark_scope, b.benchmark_id)] if c != attacker]
                pooled = np.zeros(len(others))
                pooled[[column[c] for c in members]] = 1.0  # sum of the scope's scores, own sum moved to the right
                rows.append(pooled)
                if not pd.isna(b.index_company_weighted):  # mean of company means: sum of S_c / n_c
                    weighted = np.zeros(len(others))
                    for c in members:
                        if cells.loc[c, "n_respondents"] >= MIN_RESPONDENTS:
                            weighted[column[c]] = 1.0 / cells.loc[c, "n_respondents"]
                    rows.append(weighted)
            shown = comparisons[
                (comparisons.year == year)
                & (comparisons.company_id == attacker)
                & (comparisons.measure_type == measure_type)
                & (comparisons.measure_id == measure_id)
            ]
            for loo in shown.itertuples():
                members = [c for c in scope_members[(loo.benchmark_scope, loo.benchmark_id)] if c != attacker]
                vector = np.zeros(len(others))
                vector[[column[c] for c in members]] = 1.0
                rows.append(vector)
            matrix = np.array(rows) if rows else np.zeros((0, len(others)))
            for target in others:
                attempts += 1
                unit = np.zeros(len(others))
                unit[column[target]] = 1.0
                if _derivable(matrix, unit):
                    exposed += 1
                    print(f"{attacker} derives {target} ({year} {measure_type} {measure_id})")
    assert attempts > 1000
    assert exposed == 0


def test_suppressed_industries_together_hide_each_other(warehouse: Path) -> None:
    """Control: the attack above is real. Insurance has two companies and is suppressed; had every other industry
    been published, national minus them would be insurance, and trygg_forsikring, knowing its own sum, would read
    vern_forsikring's. The industries withheld (primary or complementary) together pool at least four companies,
    so two of them stay unknown to any two colluding participants. (Counts from the internal model: a withheld
    benchmark publishes none.)"""
    industries = query(
        warehouse,
        "select benchmark_id, n_companies, suppression_reason from intermediate.int_benchmark_disclosure "
        "where year = 2025 and measure_type = 'index' and benchmark_scope = 'industry' order by benchmark_id",
    ).set_index("benchmark_id")
    assert industries.loc["insurance", "suppression_reason"] == "min_companies"
    withheld = industries[industries.suppression_reason.notna()]
    assert withheld.n_companies.sum() >= 4
    national = query(
        warehouse,
        "select suppressed from published.benchmarks where year = 2025 and measure_type = 'index' "
        "and benchmark_scope = 'national'",
    )
    assert not national.suppressed.iloc[0]


# ---------------------------------------------------------------------------------------------------------------
# Differencing inside a company: subgroups of four breakdowns against the company total


def _respondent_sets(warehouse: Path) -> pd.DataFrame:
    return query(
        warehouse,
        """
        select m.year, m.company_id, m.measure_type, m.measure_id, m.respondent_id,
               r.department, r.tenure_band as tenure, r.age_band as age, r.role
        from intermediate.int_respondent_measures as m
        join raw.respondents as r using (year, company_id, respondent_id)
        where m.score_0_100 is not null
        """,
    )


def test_no_suppressed_subgroup_can_be_derived(warehouse: Path) -> None:
    sets = _respondent_sets(warehouse)
    subgroups = query(warehouse, "select * from published.subgroup_scores")
    company = query(
        warehouse, "select year, company_id, measure_type, measure_id, suppressed from published.company_scores"
    )
    company = company.set_index(["year", "company_id", "measure_type", "measure_id"])["suppressed"]
    grouped = subgroups.groupby(["year", "company_id", "measure_type", "measure_id"])
    checked = complementary = 0
    for key, people in sets.groupby(["year", "company_id", "measure_type", "measure_id"]):
        if key not in grouped.groups:
            continue
        cells = grouped.get_group(key)
        people = people.reset_index(drop=True)
        rows = [] if company[key] else [np.ones(len(people))]
        targets = []
        for cell in cells.itertuples():
            vector = (people[cell.breakdown] == cell.subgroup).to_numpy(dtype=float)
            assert cell.suppressed or vector.sum() == cell.n_respondents
            (targets if cell.suppressed else rows).append((cell, vector) if cell.suppressed else vector)
        published = np.array(rows) if rows else np.zeros((0, len(people)))
        for cell, vector in targets:
            if vector.sum() == 0:  # nobody to reveal
                continue
            checked += 1
            complementary += cell.suppression_reason == "complementary"
            assert not _derivable(published, vector), f"{key} {cell.breakdown}={cell.subgroup} can be derived"
        # no published set minus the published subgroups of one breakdown inside it leaves 1-4 people
        if not company[key]:
            for breakdown in ("department", "tenure", "age", "role"):
                inside = [
                    v
                    for c, v in zip(cells.itertuples(), _vectors(cells, people), strict=True)
                    if c.breakdown == breakdown and not c.suppressed
                ]
                rest = len(people) - sum(v.sum() for v in inside)
                assert rest == 0 or rest >= MIN_RESPONDENTS, f"{key}: {rest} people without a published {breakdown}"
    assert checked > 100
    assert complementary > 0


def _vectors(cells: pd.DataFrame, people: pd.DataFrame) -> list[np.ndarray]:
    return [(people[c.breakdown] == c.subgroup).to_numpy(dtype=float) for c in cells.itertuples()]


# ---------------------------------------------------------------------------------------------------------------
# Re-identification: a department of 4 inside a company of 40


def test_small_department_cannot_be_read_or_derived(warehouse: Path) -> None:
    rows = query(
        warehouse,
        "select * from published.subgroup_scores where year = 2025 and company_id = 'nordlys_bank' "
        "and breakdown = 'department' and subgroup = 'Kundeservice'",
    )
    assert len(rows) > 0 and rows.suppressed.all()
    assert (rows.n_respondents <= 4).all()
    assert rows[["mean_score", "index_0_100", "sd", "ci_low", "ci_high", "favorable_pct"]].isna().all().all()
    # Kundeservice = tenure 0-2 minus Salg: one of the two must be withheld for every measure
    index = query(
        warehouse,
        "select breakdown, subgroup, suppressed, suppression_reason from published.subgroup_scores "
        "where year = 2025 and company_id = 'nordlys_bank' and measure_type = 'index'",
    ).set_index(["breakdown", "subgroup"])
    assert index.loc[("tenure", "0-2"), "suppressed"] or index.loc[("department", "Salg"), "suppressed"]
    # and never a single suppressed department next to a published total
    assert index.loc["department"].suppressed.sum() >= 2
    # the answer distribution has no scope below the company, so a department's answers are never shown
    scopes = set(query(warehouse, "select distinct scope from published.answer_distribution").scope)
    assert scopes <= {"company", "industry", "national"}
    assert "Kundeservice" not in set(
        query(warehouse, "select distinct scope_id from published.answer_distribution").scope_id
    )


def test_answer_distribution_never_reveals_a_suppressed_score(warehouse: Path) -> None:
    """A company's distribution of an item is withheld whenever its item score is (the mean follows from it)."""
    leaks = query(
        warehouse,
        """
        select d.year, d.scope_id, d.item_id
        from published.answer_distribution as d
        join published.company_scores as c
            on d.year = c.year and d.scope_id = c.company_id and c.measure_type = 'item' and d.item_id = c.measure_id
        where d.scope = 'company' and not d.suppressed and c.suppressed
        union all
        select d.year, d.scope_id, d.item_id
        from published.answer_distribution as d
        join published.benchmarks as b
            on d.year = b.year and d.scope = b.benchmark_scope and d.scope_id = b.benchmark_id
            and b.measure_type = 'item' and d.item_id = b.measure_id
        where d.scope != 'company' and not d.suppressed and b.suppressed
        """,
    )
    assert leaks.empty, leaks


# ---------------------------------------------------------------------------------------------------------------
# Consistency across years


def test_previous_year_values_only_from_published_cells(warehouse: Path) -> None:
    kyst = query(
        warehouse,
        "select * from published.company_vs_benchmark where year = 2025 and company_id = 'kyst_sparebank' "
        "and benchmark_scope = 'national'",
    )
    assert len(kyst) > 0
    assert kyst.previous_index.isna().all() and kyst.yoy_change.isna().all() and kyst.yoy_p_value.isna().all()
    last_year = query(
        warehouse,
        "select suppressed from published.company_scores where year = 2024 and company_id = 'kyst_sparebank'",
    )
    assert last_year.suppressed.all()
    nordlys = query(
        warehouse,
        "select * from published.company_vs_benchmark where year = 2025 and company_id = 'nordlys_bank' "
        "and benchmark_scope = 'national' and measure_type = 'index'",
    ).iloc[0]
    assert not pd.isna(nordlys.previous_index)
    # generally: a previous value is shown only where that year's company cell is published
    shown = query(
        warehouse,
        """
        select v.year, v.company_id, v.measure_type, v.measure_id
        from published.company_vs_benchmark as v
        left join published.company_scores as previous
            on v.company_id = previous.company_id and previous.year = v.year - 1
            and v.measure_type = previous.measure_type and v.measure_id = previous.measure_id
        where (v.previous_index is not null or v.yoy_change is not null)
            and (previous.suppressed is null or previous.suppressed
                 or abs(previous.index_0_100 - v.previous_index) > 1e-9)
        """,
    )
    assert shown.empty, shown


# ---------------------------------------------------------------------------------------------------------------
# Dominance and the named profiles


def _benchmark_build(tmp_path: Path, sizes: dict[str, int], dbt_vars: dict | None = None) -> Path:
    rng = np.random.default_rng(7)
    rows = []
    for company, size in sizes.items():
        for r in range(size):
            for item in ITEMS.itertuples():
                value = float(rng.integers(item.scale_min, item.scale_max + 1))
                rows.append((2025, company, f"{company}-{r}", item.item_id, value, False))
    answers = pd.DataFrame(
        rows, columns=["year", "company_id", "respondent_id", "item_id", "answer_value", "is_dont_know"]
    )
    path = tmp_path / "warehouse.duckdb"
    build_raw_warehouse(path, answers)
    result = dbt_build(path, tmp_path, dbt_vars)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    return path


def test_dominated_benchmark_is_suppressed(tmp_path: Path) -> None:
    """Three banks and a telecom; nordlys_bank holds 40 of 55 answers (73%): the national benchmark is withheld for
    dominance (the banks, three companies, for too few companies beyond two colluders), and no company sees a
    leave-one-out value."""
    path = _benchmark_build(tmp_path, {"nordlys_bank": 40, "fjord_sparebank": 5, "kyst_sparebank": 5, "fjelltele": 5})
    benchmarks = query(path, "select * from published.benchmarks")
    assert benchmarks.suppressed.all()
    national = benchmarks[(benchmarks.benchmark_scope == "national") & (benchmarks.measure_type == "index")].iloc[0]
    assert national.suppression_reason == "dominance"
    assert benchmarks.index_0_100.isna().all() and benchmarks.mean_score.isna().all()
    assert pd.isna(national.max_company_share_pct)  # a withheld cell publishes no count or share
    share = query(
        path,
        "select max_company_share from intermediate.int_benchmark_measure_stats "
        "where benchmark_scope = 'national' and measure_type = 'index'",
    ).max_company_share.iloc[0]
    assert share == pytest.approx(40 / 55)
    comparisons = query(path, "select * from published.company_vs_benchmark")
    assert comparisons.suppressed.all() and comparisons.benchmark_index.isna().all()
    headline = query(path, "select * from published.national_headlines")
    assert headline.suppressed.all()


@pytest.mark.parametrize(
    ("profile", "expected"),
    [("default", None), ("competitors", "dominance"), ("p_percent", None)],
)
def test_disclosure_profiles(tmp_path: Path, profile: str, expected: str | None) -> None:
    """Five companies, the largest with 30 of 70 respondents (43%): published by default; the competitors profile
    (none above 25%) withholds it; the p%-rule (the 40 respondents beyond the two largest are more than 25% of 30)
    publishes it."""
    sizes = {"nordlys_bank": 30, "fjord_sparebank": 10, "kyst_sparebank": 10, "fjelltele": 10, "bolge_mobil": 10}
    path = _benchmark_build(tmp_path, sizes, {"disclosure_profile": profile})
    national = query(
        path,
        "select suppression_reason from published.benchmarks where benchmark_scope = 'national' "
        "and measure_type = 'index'",
    ).suppression_reason.iloc[0]
    assert (None if pd.isna(national) else national) == expected


def test_p_percent_rule_withholds_two_dominant_companies(tmp_path: Path) -> None:
    """64 + 64 + 3 x 5 respondents: the three small companies hold 15 < 25% of 64: the second largest could estimate
    the largest to within p% -> p_percent. (The small companies have 5 respondents each, so they enter the pool.)"""
    sizes = {"nordlys_bank": 64, "trygg_forsikring": 64, "kyst_sparebank": 5, "fjord_sparebank": 5, "bolge_mobil": 5}
    path = _benchmark_build(tmp_path, sizes, {"disclosure_profile": "p_percent"})
    national = query(
        path,
        "select suppression_reason from published.benchmarks where benchmark_scope = 'national' "
        "and measure_type = 'index'",
    ).suppression_reason.iloc[0]
    assert national == "p_percent"


def test_benchmark_interval_never_lets_a_company_solve_for_the_others(tmp_path: Path) -> None:
    """Three banks: the benchmark is published (3 companies, none dominant). Its cluster standard error gives
    sum_c d_c^2 with d_c = n_c (mean_c - mean); the attacker knows its own d_a and that the d_c sum to zero, so the
    other two d_c are the roots of a quadratic and, with the counts, the other companies' exact indices. Control: the
    internal interval would give that away. Three companies leave only one unknown to two colluding participants:
    the benchmark itself is withheld, and its interval with it."""
    sizes = {"nordlys_bank": 14, "fjord_sparebank": 12, "kyst_sparebank": 10}
    path = _benchmark_build(tmp_path, sizes)
    where = "year = 2025 and benchmark_scope = 'national' and measure_type = 'index'"
    internal = query(path, f"select * from intermediate.int_benchmark_measure_stats where {where}").iloc[0]
    companies = query(
        path,
        "select company_id, n_respondents, index_0_100 from intermediate.int_company_measure_stats "
        "where year = 2025 and measure_type = 'index'",
    ).set_index("company_id")
    attacker, others = "nordlys_bank", ["fjord_sparebank", "kyst_sparebank"]

    n, mean, clusters = internal.n_respondents, internal.index_0_100, len(sizes)
    squares = (clusters - 1) / clusters * (internal.se * n) ** 2  # sum_c d_c^2
    own = companies.loc[attacker]
    d_own = own.n_respondents * (own.index_0_100 - mean)
    rest = squares - d_own**2
    root = np.sqrt(2 * rest - d_own**2)
    candidates = [(-d_own + root) / 2, (-d_own - root) / 2]
    truth = [companies.loc[c].index_0_100 for c in others]
    solved = [mean + d / companies.loc[c].n_respondents for d, c in zip(candidates, others, strict=True)]
    swapped = [mean + d / companies.loc[c].n_respondents for d, c in zip(reversed(candidates), others, strict=True)]
    assert np.allclose(solved, truth, atol=1e-6) or np.allclose(swapped, truth, atol=1e-6)

    published = query(path, f"select * from published.benchmarks where {where}").iloc[0]
    assert published.suppressed and published.suppression_reason == "min_companies"
    assert pd.isna(published.ci_low) and pd.isna(published.ci_high) and pd.isna(published.index_0_100)
