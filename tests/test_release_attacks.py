"""Issue 9's attacks, run against demo releases as published (2023 and 2024, through the yearly release job): only
the packages' files, all tables and years together, as an attacker holding them would. Each attack first states what
it would recover; the released packages must leave it nothing. The last test reads what the gate's own search (the
blocking disclosure audit over every package and coalition) found.
"""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
import pytest

from orchestration.demo_data import write_demo_landing
from orchestration.packages import INTERNAL_ONLY_COLUMNS
from orchestration.settings import DEMO_PSEUDONYM_KEY
from tests.conftest import Harness, paths_under

YEARS = (2023, 2024)
SPREAD_COLUMNS = list(INTERNAL_ONLY_COLUMNS["benchmarks"])


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Harness, Path]:
    root = tmp_path_factory.mktemp("demo")
    paths = paths_under(root, pseudonym_key=DEMO_PSEUDONYM_KEY, demo=True)
    write_demo_landing(root / "landing", YEARS)
    with dg.DagsterInstance.ephemeral() as instance:
        harness = Harness(paths, instance)
        for year in YEARS:
            result = harness.release(year)
            assert result.success, [e.message for e in result.all_events if e.is_failure]
        yield harness, root / "releases"


def _package(releases: Path, year: int, name: str) -> dict[str, pd.DataFrame]:
    database = releases / str(year) / name / f"medarbeiderindeks_{year}.duckdb"
    with duckdb.connect(str(database), read_only=True) as con:
        tables = [r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()]
        return {t: con.execute(f"select * from published.{t}").df() for t in tables}


def _companies(releases: Path, year: int) -> list[str]:
    return sorted(p.name for p in (releases / str(year) / "companies").iterdir())


def test_a_suppressed_company_is_not_the_benchmark_minus_the_published_companies(demo) -> None:
    """Attack 1: national (or industry) benchmark minus every published company, in n, n x mean and answer counts.
    In 2023-2025 this gave Ærlig Reise exactly; now the remainder is empty in every cell."""
    _, releases = demo
    checked = 0
    for year in YEARS:
        internal = _package(releases, year, "internal")
        companies = internal["company_scores"]
        assert companies[companies.company_id == "aerlig_reise"].suppressed.all()
        published = companies[~companies.suppressed]
        for row in internal["benchmarks"][~internal["benchmarks"].suppressed].itertuples():
            pool = published[(published.measure_type == row.measure_type) & (published.measure_id == row.measure_id)]
            if row.benchmark_scope == "industry":
                pool = pool[pool.industry_id == row.benchmark_id]
            assert row.n_respondents == pool.n_respondents.sum(), row
            total = (pool.n_respondents * pool.index_0_100).sum()
            assert row.n_respondents * row.index_0_100 == pytest.approx(total, rel=1e-12, abs=1e-9), row
            checked += 1
        distribution = internal["answer_distribution"]
        national = distribution[(distribution.scope == "national") & ~distribution.suppressed]
        company_rows = distribution[(distribution.scope == "company") & ~distribution.suppressed]
        code = company_rows.answer_code.fillna(-1).astype(int)  # the don't-know row has no code
        sums = company_rows.assign(code=code).groupby(["item_id", "code"])["n"].sum()
        for row in national.itertuples():
            key = (row.item_id, -1 if pd.isna(row.answer_code) else int(row.answer_code))
            assert row.n == sums.get(key, 0), row
    assert checked > 50


def test_suppressed_industries_leave_two_companies_unknown_to_any_two_readers(demo) -> None:
    """Attack 2: a withheld industry as the sum of its published companies. In the public and company packages no
    company is named; the withheld industries together (national minus the published ones) pool at least four
    companies, so no two colluding participants can subtract their way to a third."""
    _, releases = demo
    for year in YEARS:
        benchmarks = _package(releases, year, "public")["benchmarks"]
        for (measure_type, measure_id), cells in benchmarks.groupby(["measure_type", "measure_id"]):
            national = cells[cells.benchmark_scope == "national"].iloc[0]
            if national.suppressed:
                continue
            industries = cells[cells.benchmark_scope == "industry"]
            published = industries[~industries.suppressed]
            assert (published.n_companies >= 4).all(), (year, measure_id)
            withheld_companies = national.n_companies - published.n_companies.sum()
            assert withheld_companies == 0 or withheld_companies >= 4, (year, measure_type, measure_id)


def test_withheld_subgroups_together_never_answered_alike(demo) -> None:
    """Attack 3: company total minus the published subgroups of a breakdown gives the withheld subgroups' union: its
    count, sum (n x mean) and sum of squares (from sd). A union with no spread tells what each member answered
    (2023 Fjord Sparebank x role x Q04: everybody 6); the gate's search (last test) bounds each member further."""
    _, releases = demo
    unions = 0
    for year in YEARS:
        for company in _companies(releases, year):
            package = _package(releases, year, f"companies/{company}")
            total = package["company_scores"].set_index(["measure_type", "measure_id"])
            subgroups = package["subgroup_scores"]
            for (breakdown, measure_type, measure_id), cells in subgroups.groupby(
                ["breakdown", "measure_type", "measure_id"]
            ):
                whole = total.loc[(measure_type, measure_id)]
                withheld = cells[cells.suppressed]
                if whole.suppressed or withheld.empty:
                    continue
                shown = cells[~cells.suppressed]
                n = whole.n_respondents - shown.n_respondents.sum()
                if n <= 0:
                    continue
                s = whole.n_respondents * whole.index_0_100 - (shown.n_respondents * shown.index_0_100).sum()
                q = _sum_of_squares(whole) - sum(_sum_of_squares(r) for r in shown.itertuples())
                unions += 1
                spread = q / n - (s / n) ** 2
                assert spread > 1e-6, (year, company, breakdown, measure_id, n, s / n)
    assert unions > 100


def _sum_of_squares(row) -> float:
    sd = 0.0 if pd.isna(row.sd) else row.sd
    return (row.n_respondents - 1) * sd**2 + row.n_respondents * row.index_0_100**2


def test_no_percentile_or_company_weighted_figure_outside_internal(demo) -> None:
    """Attack 4: with 11 companies the national p50 is the 6th company. Public and company packages carry no
    percentile, company-weighted mean or company-clustered interval; in the internal package, where every company is
    named, they are exactly the percentiles of the published company indices."""
    _, releases = demo
    for year in YEARS:
        for name in ["public", *(f"companies/{c}" for c in _companies(releases, year))]:
            benchmarks = _package(releases, year, name)["benchmarks"]
            assert benchmarks[SPREAD_COLUMNS].isna().all().all(), (year, name)
        internal = _package(releases, year, "internal")
        national = internal["benchmarks"]
        national = national[(national.benchmark_scope == "national") & (national.measure_type == "index")].iloc[0]
        indices = internal["company_scores"]
        indices = indices[(indices.measure_type == "index") & ~indices.suppressed].index_0_100
        if not pd.isna(national.p50):
            assert national.p50 == pytest.approx(np.percentile(indices, 50), abs=1e-9)


def test_no_count_of_a_withheld_cell_is_published(demo) -> None:
    """Attack 5: withheld cells kept their n (2,646 one-person subgroups), and response rates showed the small
    company's 3 and 4 respondents."""
    _, releases = demo
    for year in YEARS:
        internal = _package(releases, year, "internal")
        for table, frame in internal.items():
            if "suppressed" not in frame.columns:
                continue
            withheld = frame[frame.suppressed]
            for column in ("n_respondents", "n_companies", "n", "n_other_companies", "response_rate"):
                if column in frame.columns:
                    assert withheld[column].isna().all(), (year, table, column)
        rates = internal["response_rates"].set_index("company_id")
        assert rates.loc["aerlig_reise"].suppressed and pd.isna(rates.loc["aerlig_reise"].n_respondents)


def test_a_company_package_names_no_other_company_and_public_names_none(demo) -> None:
    """Attack 6: company_scores named every company in the file that held the benchmarks."""
    _, releases = demo
    for year in YEARS:
        for company in _companies(releases, year):
            for table, frame in _package(releases, year, f"companies/{company}").items():
                if "company_id" in frame.columns:
                    assert set(frame.company_id) <= {company}, (year, company, table)
                if "scope" in frame.columns:
                    assert set(frame[frame.scope == "company"].scope_id) <= {company}, (year, company, table)
        public = _package(releases, year, "public")
        assert not any("company_id" in frame.columns for frame in public.values())
        assert not any((frame.get("scope") == "company").any() for frame in public.values() if "scope" in frame)


def test_the_gates_search_found_nothing_in_any_published_package(demo) -> None:
    """Every protected value of every package, and of every coalition of two companies, was bounded by linear
    programming over every published relation before the release was published: none narrower than its margin."""
    _, releases = demo
    for year in YEARS:
        manifest = json.loads((releases / str(year) / "manifest.json").read_text(encoding="utf-8"))
        audit = manifest["audit"]
        assert audit["passed"], year
        assert audit["packages"] == len(manifest["packages"]) >= 3
        assert audit["pool_intervals"] > 100 and audit["subgroup_audits"] > 100, audit
        assert all(i["high"] - i["low"] >= i["margin"] - 1e-6 for i in audit["narrowest"] if "margin" in i)
