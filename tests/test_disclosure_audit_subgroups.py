"""Subgroup protection inside a company against every published statistic (issue 9, attack 3; methodology §6).

Planted: in one company, the suppressed roles Fagansvarlig (2), Seniorrådgiver (2) and Teamleder (1) all answered 6
on Q04. Company minus the published role (Rådgiver) is exactly those five people, and the published sd (or the
favourable share) tells that they all answered the same: each of the three suppressed cells is 100. The old rank
audit (a suppressed cell is protected when its indicator vector is not a linear combination of the published ones)
lets this through; the LP audit names the cells, and the dbt suppression that uses it defeats the attack.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from orchestration.disclosure.subgroups import audit_subgroups

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
from dbt_run import dbt_build  # noqa: E402
from raw_warehouse import build_raw_warehouse  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
ITEMS = pd.read_csv(REPO / "seeds" / "items.csv")
YEAR = 2025
PLANTED = "fjord_sparebank"
SMALL_ROLES = {"Fagansvarlig": 2, "Seniorrådgiver": 2, "Teamleder": 1}
MARGIN_1_6 = 20.0  # one scale point of a 1-6 item in index points
STRUCTURE = ["year", "company_id", "department", "tenure_band", "age_band", "role"]


def _items(year: int) -> pd.DataFrame:
    started = ITEMS.first_year.isna() | (ITEMS.first_year <= year)
    return ITEMS[started & (ITEMS.last_year.isna() | (ITEMS.last_year >= year))]


def survey() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The planted company (15 Rådgiver with mixed answers, five people in three small roles who all answered 6 on
    Q04, two departments of 10) and three more companies so that benchmarks exist."""
    rng = np.random.default_rng(909)
    respondents, answers = [], []
    people = [(PLANTED, "Rådgiver")] * 15 + [(PLANTED, role) for role, k in SMALL_ROLES.items() for _ in range(k)]
    others = ("nordlys_bank", "kyst_sparebank", "signal_norge")
    people += [(company, "Rådgiver") for company in others for _ in range(8)]
    for r, (company, role) in enumerate(people):
        respondent = f"{company}-{r}"
        department = ("Kundeservice", "Bedrift")[r % 2] if company == PLANTED else None
        respondents.append(
            {"year": YEAR, "company_id": company, "respondent_id": respondent, "department": department, "role": role}
        )
        for item in _items(YEAR).itertuples():
            if company == PLANTED and item.item_id == "Q04":
                value = 6 if role in SMALL_ROLES else int(rng.integers(1, 7))
            else:
                value = int(rng.integers(item.scale_min, item.scale_max + 1))
            answers.append((YEAR, company, respondent, item.item_id, float(value), False))
    answers = pd.DataFrame(
        answers, columns=["year", "company_id", "respondent_id", "item_id", "answer_value", "is_dont_know"]
    )
    return answers, pd.DataFrame(respondents)


def _structure(respondents: pd.DataFrame) -> pd.DataFrame:
    frame = respondents.reindex(columns=STRUCTURE)
    return frame.astype(object).where(frame.notna(), None).drop_duplicates().reset_index(drop=True)


# ---- an independent package: Q04 statistics computed here with numpy, suppression as given --------------------------
def _q04_stats(values: np.ndarray) -> dict:
    index = (values - 1) * 20.0
    n = len(index)
    return {
        "n_respondents": n,
        "index_0_100": index.mean() if n else None,
        "sd": index.std(ddof=1) if n > 1 else None,
        "favorable_pct": 100.0 * np.mean(values >= 5) if n else None,
        "neutral_pct": 100.0 * np.mean((values >= 3) & (values <= 4)) if n else None,
        "unfavorable_pct": 100.0 * np.mean(values <= 2) if n else None,
        "dont_know_pct": 0.0 if n else None,
    }


def q04_package(path: Path, answers: pd.DataFrame, respondents: pd.DataFrame, suppressed: set) -> Path:
    """A company package of the planted company with only Q04: `suppressed` {(breakdown, subgroup): reason}
    rows show no statistics and no n (packages.md)."""
    q04 = answers[(answers.company_id == PLANTED) & (answers.item_id == "Q04")].merge(
        respondents, on=["year", "company_id", "respondent_id"]
    )
    keys = {"year": YEAR, "company_id": PLANTED, "measure_type": "item", "measure_id": "Q04"}
    company = pd.DataFrame([{**keys, **_q04_stats(q04.answer_value.to_numpy()), "suppressed": False}])
    rows = []
    for breakdown, column in (("department", "department"), ("role", "role")):
        for subgroup, group in q04.groupby(column):
            reason = suppressed.get((breakdown, subgroup))
            stats = _q04_stats(group.answer_value.to_numpy())
            if reason:
                stats = dict.fromkeys(stats)
            rows.append(
                {
                    **keys,
                    "breakdown": breakdown,
                    "subgroup": subgroup,
                    **stats,
                    "suppressed": reason is not None,
                    "suppression_reason": reason,
                }
            )
    counts = q04.answer_value.value_counts()
    distribution = pd.DataFrame(
        [
            {
                "year": YEAR,
                "scope": "company",
                "scope_id": PLANTED,
                "item_id": "Q04",
                "answer_code": code,
                "is_dont_know": False,
                "n": int(counts.get(float(code), 0)),
            }
            for code in range(1, 7)
        ]
        + [
            {
                "year": YEAR,
                "scope": "company",
                "scope_id": PLANTED,
                "item_id": "Q04",
                "answer_code": None,
                "is_dont_know": True,
                "n": 0,
            }
        ]
    )
    items = _items(YEAR).assign(year=YEAR, reverse_coded=lambda f: f.reverse_coded.astype(bool))
    with duckdb.connect(str(path)) as con:
        con.execute("create schema published")
        for name, frame in (
            ("company_scores", company),
            ("subgroup_scores", pd.DataFrame(rows)),
            ("answer_distribution", distribution),
            ("items", items),
        ):
            con.register("frame", frame)
            con.execute(f"create table published.{name} as select * from frame")
            con.unregister("frame")
    return path


def old_rank_audit(respondents: pd.DataFrame, min_respondents: int = 5) -> dict:
    """The criterion of the old int_subgroup_disclosure: suppress a further subgroup only while a suppressed one is
    a linear combination of the published sets (company and published subgroups), or while a published set minus
    the published subgroups of one breakdown leaves 1..min_respondents-1 people. Returns {key: reason}."""
    people = respondents[respondents.company_id == PLANTED]
    vectors = {
        (b, v): (people[c] == v).to_numpy(float)
        for b, c in (("department", "department"), ("role", "role"))
        for v in people[c].dropna().unique()
    }
    reasons = {k: "min_respondents" for k, vec in vectors.items() if vec.sum() < min_respondents}
    company = np.ones(len(people))
    published = np.vstack([company] + [vec for k, vec in vectors.items() if k not in reasons])
    for key in reasons:
        weights, *_ = np.linalg.lstsq(published.T, vectors[key], rcond=None)
        assert not np.allclose(published.T @ weights, vectors[key]), f"{key} would be derivable"
    for breakdown in ("department", "role"):
        rest = len(people) - sum(vec.sum() for k, vec in vectors.items() if k[0] == breakdown and k not in reasons)
        assert rest == 0 or rest >= min_respondents
    return reasons  # nothing more to suppress


def test_the_old_rank_audit_lets_the_planted_attack_through_and_the_lp_audit_names_the_cells(tmp_path: Path) -> None:
    answers, respondents = survey()
    reasons = old_rank_audit(respondents)
    assert reasons == {("role", role): "min_respondents" for role in SMALL_ROLES}  # the old model stops here
    package = q04_package(tmp_path / "package.duckdb", answers, respondents, reasons)
    with duckdb.connect(str(package), read_only=True) as con:
        findings = audit_subgroups(con, YEAR, _structure(respondents), scale_points=1, min_respondents=5)
    named = {(f.keys["breakdown"], f.keys["subgroup"], f.statistic) for f in findings}
    assert named == {("role", role, "mean") for role in SMALL_ROLES}
    for finding in findings:
        assert finding.table == "subgroup_scores" and finding.margin == MARGIN_1_6
        assert finding.interval == pytest.approx((100.0, 100.0), abs=1e-2)
    assert findings.narrowest[0]["width"] == pytest.approx(0.0, abs=1e-2)


def test_the_audit_passes_a_package_that_hides_the_union(tmp_path: Path) -> None:
    # Rådgiver withheld too: company minus published roles is everyone, whose Q04 answers differ
    answers, respondents = survey()
    reasons = {**old_rank_audit(respondents), ("role", "Rådgiver"): "complementary"}
    package = q04_package(tmp_path / "package.duckdb", answers, respondents, reasons)
    with duckdb.connect(str(package), read_only=True) as con:
        findings = audit_subgroups(con, YEAR, _structure(respondents), scale_points=1, min_respondents=5)
    assert list(findings) == []


def test_a_suppressed_count_left_in_a_package_is_a_finding(tmp_path: Path) -> None:
    # an old-style package that keeps n on suppressed rows: the count of the one-person Teamleder is shown
    answers, respondents = survey()
    reasons = {**old_rank_audit(respondents), ("role", "Rådgiver"): "complementary"}
    package = q04_package(tmp_path / "package.duckdb", answers, respondents, reasons)
    with duckdb.connect(str(package)) as con:
        con.execute("update published.subgroup_scores set n_respondents = 1 where subgroup = 'Teamleder'")
    with duckdb.connect(str(package), read_only=True) as con:
        findings = audit_subgroups(con, YEAR, _structure(respondents), scale_points=1, min_respondents=5)
    assert [(f.keys["subgroup"], f.statistic) for f in findings] == [("Teamleder", "n")]
    assert findings[0].interval == pytest.approx((1.0, 1.0), abs=1e-5)


# ---- the dbt suppression on the same data ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    work = tmp_path_factory.mktemp("audit_subgroups")
    path = work / "warehouse.duckdb"
    answers, respondents = survey()
    build_raw_warehouse(path, answers, respondents)
    result = dbt_build(path, work)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    # the package as packages.md specifies it: suppressed rows carry no n
    package = work / "package.duckdb"
    with duckdb.connect(str(package)) as con:
        con.execute(f"attach '{path}' as warehouse (read_only)")
        con.execute("create schema published")
        con.execute(
            "create table published.subgroup_scores as select * replace "
            "(case when suppressed then null else n_respondents end as n_respondents) "
            "from warehouse.published.subgroup_scores"
        )
        con.execute(
            "create table published.company_scores as select * replace "
            "(case when suppressed then null else n_respondents end as n_respondents) "
            "from warehouse.published.company_scores"
        )
        con.execute(
            "create table published.answer_distribution as select * replace (case when suppressed then null else n "
            "end as n) from warehouse.published.answer_distribution"
        )
        con.execute("create table published.items as select * from warehouse.published.items")
    return package, respondents


def test_dbt_suppression_defeats_the_planted_attack(built: tuple[Path, pd.DataFrame]) -> None:
    package, respondents = built
    with duckdb.connect(str(package), read_only=True) as con:
        findings = audit_subgroups(con, YEAR, _structure(respondents), scale_points=1, min_respondents=5)
        assert list(findings) == []
        assert findings.company_measures > 30  # every measure of the planted company was audited
        rows = con.execute(
            "select * from published.subgroup_scores where company_id = ? and measure_id = 'Q04'", [PLANTED]
        ).df()
        company = (
            con.execute("select * from published.company_scores where company_id = ? and measure_id = 'Q04'", [PLANTED])
            .df()
            .iloc[0]
        )
    reasons = dict(zip(zip(rows.breakdown, rows.subgroup, strict=True), rows.suppression_reason, strict=True))
    assert {reasons[("role", role)] for role in SMALL_ROLES} == {"min_respondents"}
    assert reasons[("role", "Rådgiver")] == "complementary"

    # The attacker's subtraction, per breakdown: company minus the published subgroups, with sums from means, sums
    # of squares from sd, favourable counts from shares. Whatever is left must not be a group that all answered the
    # same (which would give every suppressed cell inside it exactly).
    def sums(row) -> np.ndarray:
        n = row.n_respondents
        return np.array(
            [n, n * row.index_0_100, (n - 1) * row.sd**2 + n * row.index_0_100**2, n * row.favorable_pct / 100.0]
        )

    for breakdown in ("department", "role"):
        published = rows[(rows.breakdown == breakdown) & ~rows.suppressed]
        rest = sums(company) - sum((sums(r) for r in published.itertuples()), np.zeros(4))
        n, total, sum_sq, favorable = rest
        if n < 0.5:
            continue
        spread = sum_sq / n - (total / n) ** 2  # the variance of the rest
        assert spread > 1.0, f"{breakdown}: the {n:.0f} people not published all answered {total / n:.0f}"
        assert n >= 5
    # the people in the small roles did answer 6: the attack above would have found them
    people = respondents[(respondents.company_id == PLANTED) & respondents.role.isin(list(SMALL_ROLES))]
    assert len(people) == 5
