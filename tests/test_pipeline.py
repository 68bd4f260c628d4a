"""The whole graph for one year, in process: published numbers against an independent pandas computation."""

from __future__ import annotations

import json

import dagster as dg
import duckdb
import pandas as pd
import pytest

from orchestration.resources import WarehousePaths
from orchestration.settings import DEMO_PSEUDONYM_KEY, EXPECTATIONS_DIR
from tests.conftest import Harness, paths_under
from tests.survey_fixtures import COMPANIES, NINE_COMPANIES, expected_respondent_scores, small_survey, write_landing

YEAR = 2025
SIZES = NINE_COMPANIES  # the banks' leave-one-out industry benchmark must be suppressed
POOLED = [company for company, size in SIZES.items() if size >= 5]


def _release(harness: Harness) -> tuple[Harness, pd.DataFrame]:
    survey = small_survey(YEAR, SIZES, seed=7)
    write_landing(harness.paths.year_dir(YEAR).parent, YEAR, survey)
    result = harness.release(YEAR)
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    return harness, survey


@pytest.fixture(scope="module")
def released_once(tmp_path_factory: pytest.TempPathFactory):
    """One release shared by the tests that only read it."""
    with dg.DagsterInstance.ephemeral() as instance:
        yield _release(Harness(paths_under(tmp_path_factory.mktemp("released")), instance))


@pytest.fixture
def released(harness: Harness):
    """A release of its own, for a test that releases again over it."""
    return _release(harness)


def _published(harness: Harness, table: str, package: str = "internal") -> pd.DataFrame:
    database = harness.release_dir(YEAR) / package / f"medarbeiderindeks_{YEAR}.duckdb"
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(f"select * from published.{table}").fetch_df()


def test_release_numbers_match_an_independent_computation(released_once) -> None:
    harness, survey = released_once
    scores = expected_respondent_scores(survey)
    company = _published(harness, "company_scores")
    overall = company[(company["measure_type"] == "index") & (company["measure_id"] == "overall")].set_index(
        "company_id"
    )
    expected_company = scores.groupby("company")["overall"].agg(["mean", "size"])
    for company_id, row in expected_company.iterrows():
        published = overall.loc[company_id]
        if row["size"] >= 5:
            assert not published["suppressed"] and published["n_respondents"] == row["size"]
            assert published["index_0_100"] == pytest.approx(row["mean"], abs=1e-9)
        else:
            assert published["suppressed"] and pd.isna(published["index_0_100"])
            assert pd.isna(published["n_respondents"])

    benchmarks = _published(harness, "benchmarks")
    national = benchmarks.query("benchmark_scope == 'national' and measure_type == 'index'").iloc[0]
    pooled = scores[scores["company"].isin(POOLED)]
    assert national["n_companies"] == len(POOLED) and national["n_companies_excluded"] == 1
    assert national["index_0_100"] == pytest.approx(pooled["overall"].mean(), abs=1e-9)

    versus = _published(harness, "company_vs_benchmark")
    gap = versus.query(
        "company_id == 'nordlys_bank' and benchmark_scope == 'national' and measure_type == 'index'"
    ).iloc[0]
    others = pooled.loc[pooled["company"] != "nordlys_bank", "overall"].mean()
    own = scores.loc[scores["company"] == "nordlys_bank", "overall"].mean()
    assert gap["benchmark_index"] == pytest.approx(others, abs=1e-9)
    assert gap["gap"] == pytest.approx(own - others, abs=1e-9)

    bank = versus.query("company_id == 'nordlys_bank' and benchmark_scope == 'industry' and measure_type == 'index'")
    assert bank["suppressed"].all() and bank["benchmark_index"].isna().all()


def test_release_folder_follows_the_contract(released_once) -> None:
    harness, _ = released_once
    root = harness.release_dir(YEAR)
    manifest = json.loads((root / "manifest.json").read_text())
    assert manifest["year"] == YEAR
    # the thresholds the marts were built with (intermediate.int_disclosure_settings), configured and applied
    assert manifest["thresholds"] == {
        "min_respondents": 5,
        "min_companies": 3,
        "max_company_share": 0.5,
        "disclosure_profile": "default",
        "min_companies_distribution": 10,
        "colluding_companies": 2,
        "applied_min_respondents": 5,
        "applied_min_companies": 3,
        "applied_max_company_share": 0.5,
        "applied_p_percent": None,
        "applied_min_companies_distribution": 10,
    }
    # the evidence: every suite that gated the release, and the built thresholds, listed and checksummed
    suites = {f"evidence/{p.stem}.json" for p in EXPECTATIONS_DIR.glob("*.json")}
    assert set(manifest["evidence"]) == suites | {"evidence/disclosure_settings.json"}
    assert set(manifest["evidence"]) <= set(manifest["files"])
    benchmarks_evidence = json.loads((root / "evidence" / "published_benchmarks.json").read_text())
    assert benchmarks_evidence["success"] is True and benchmarks_evidence["results"]
    assert sorted(manifest["packages"]) == sorted(["internal", "public", *(f"companies/{c}" for c in SIZES)])
    assert manifest["checks"] and all(c["passed"] for c in manifest["checks"])
    assert any(c["check"] == "company_scores_publishable" for c in manifest["checks"])
    assert manifest["audit"]["passed"] and manifest["audit"]["pool_intervals"] > 0
    tables = manifest["packages"]["internal"]["tables"]
    assert {"company_scores", "benchmarks", "company_vs_benchmark"} <= set(tables)
    for table in tables:
        internal = root / "internal"
        assert (internal / "parquet" / f"{table}.parquet").is_file() and (internal / "csv" / f"{table}.csv").is_file()
        frame = _published(harness, table)
        assert "respondent_id" not in frame.columns
        assert set(frame["year"]) <= {YEAR}
    assert "company_scores" not in manifest["packages"]["public"]["tables"]
    companies = _published(harness, "companies")
    assert set(companies["company_id"]) == set(SIZES)
    assert set(COMPANIES["company_id"]) >= set(companies["company_id"])


def test_a_value_outside_the_scale_stops_the_release_and_keeps_the_previous_one(released) -> None:
    harness, survey = released
    before = (harness.release_dir(YEAR) / "manifest.json").read_text()
    bad = small_survey(YEAR, {"fjelltele": 11}, seed=8)
    bad.loc[4, "Q05"] = 7
    write_landing(harness.paths.year_dir(YEAR).parent, YEAR, bad)

    result = harness.release(YEAR)
    assert not result.success
    assert (harness.release_dir(YEAR) / "manifest.json").read_text() == before
    check = next(c for c in result.get_asset_check_evaluations() if c.check_name == "all_exports_loaded")
    assert not check.passed
    assert "fjelltele.csv" in json.dumps(check.metadata["rejected"].value) and "Q05" in json.dumps(
        check.metadata["rejected"].value
    )


def test_too_few_companies_stops_the_release_and_keeps_the_previous_one(released) -> None:
    harness, _ = released
    before = (harness.release_dir(YEAR) / "manifest.json").read_text()
    result = harness.release(YEAR, min_companies=len(POOLED) + 1)
    assert not result.success
    assert (harness.release_dir(YEAR) / "manifest.json").read_text() == before
    failed = [c for c in result.get_asset_check_evaluations() if not c.passed]
    assert [c.check_name for c in failed] == ["benchmarks_publishable"]


def test_a_release_with_the_public_demo_key_needs_demo_mode(harness: Harness) -> None:
    settings = {**harness.paths.model_dump(), "pseudonym_key": DEMO_PSEUDONYM_KEY}
    harness.paths = WarehousePaths(**settings)
    write_landing(harness.paths.year_dir(YEAR).parent, YEAR, small_survey(YEAR, SIZES, seed=7))
    result = harness.release(YEAR)
    assert not result.success
    assert not harness.release_dir(YEAR).exists()
    errors = [e.step_failure_data.error.message for e in result.all_events if e.is_step_failure]
    assert any("demo pseudonym key" in message for message in errors)
