"""Every Great Expectations suite can fail: each passes on a correct build and fails on a planted defect (one bad
row), and the failed check refuses the release (orchestration/gate.py)."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from orchestration.checks.gx_runner import fetch_frame, to_check_result, validate_frame
from orchestration.checks.mart_checks import _published_tables
from orchestration.checks.raw_checks import RAW_ANSWERS_SQL, RAW_RESPONDENTS_SQL, _sql_string
from orchestration.gate import Evaluation, refusals, required_checks
from orchestration.resources import DisclosureThresholds
from orchestration.settings import EXPECTATIONS_DIR, SEEDS_DIR

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
from dbt_run import dbt_build  # noqa: E402
from raw_warehouse import build_raw_warehouse  # noqa: E402

YEAR = 2025
# Six companies in three industries; aerlig_reise is under min_respondents, so every table has suppressed rows.
SIZES = {
    "nordlys_bank": 12,
    "fjord_sparebank": 10,
    "kyst_sparebank": 9,
    "fjelltele": 11,
    "bolge_mobil": 10,
    "signal_norge": 8,
    "aerlig_reise": 3,
}
ITEMS = pd.read_csv(SEEDS_DIR / "items.csv")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("suites")
    rng = np.random.default_rng(12)
    rows = []
    for company, size in SIZES.items():
        for r in range(size):
            for item in ITEMS.itertuples():
                value = float(rng.integers(item.scale_min, item.scale_max + 1))
                rows.append((YEAR, company, f"{company}-{r}", item.item_id, value, False))
    answers = pd.DataFrame(
        rows, columns=["year", "company_id", "respondent_id", "item_id", "answer_value", "is_dont_know"]
    )
    # two departments per company, so subgroup_scores has rows (and suppressed ones in the small company)
    respondents = answers[["year", "company_id", "respondent_id"]].drop_duplicates()
    respondents["department"] = np.where(respondents.respondent_id.str[-1].astype(int) % 2, "Kundeservice", "Drift")
    path = build_raw_warehouse(tmp / "warehouse.duckdb", answers, respondents)
    result = dbt_build(path, tmp)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    return path


def _mart(warehouse: Path, mart: str) -> pd.DataFrame:
    table = _published_tables()[mart]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(f"select * from published.{table} where year = ?", [YEAR]).fetch_df()


def _first(frame: pd.DataFrame, where: pd.Series) -> int:
    where = np.asarray(where)
    assert where.any(), "the fixture has no row to plant the defect in"
    return frame.index[where][0]


def _set(column: str, value: object, where: Callable[[pd.DataFrame], pd.Series]):
    def plant(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        frame.loc[_first(frame, where(frame)), column] = value
        return frame

    return plant


def _duplicate_first_row(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([frame, frame.iloc[[0]]], ignore_index=True)


def _published(frame: pd.DataFrame) -> pd.Series:
    return ~frame["suppressed"]


def _suppressed(frame: pd.DataFrame) -> pd.Series:
    return frame["suppressed"]


# mart -> (one bad row, the expectation that must catch it, its column); a duplicated row is two unexpected rows
DEFECTS = {
    "answer_distribution": (_set("pct", 12.5, _suppressed), "expect_column_values_to_be_null", "pct"),
    "benchmarks": (
        _set("index_0_100", 120.0, lambda f: _published(f) & (f.measure_type == "index")),
        "expect_column_values_to_be_between",
        "index_0_100",
    ),
    "company_scores": (_set("index_0_100", 50.0, _suppressed), "expect_column_values_to_be_null", "index_0_100"),
    "company_vs_benchmark": (
        _set("gap", 150.0, lambda f: _published(f) & (f.measure_type == "index")),
        "expect_column_values_to_be_between",
        "gap",
    ),
    "key_drivers": (
        _set("correlation_with_index", 1.5, lambda f: f.correlation_with_index.notna()),
        "expect_column_values_to_be_between",
        "correlation_with_index",
    ),
    "national_headlines": (
        _set("n_companies", 2, _published),
        "expect_column_values_to_be_between",
        "n_companies",
    ),
    "participating_companies": (_duplicate_first_row, "expect_compound_columns_to_be_unique", "year,company_id", 2),
    "participating_industries": (
        _set("industry_name_nb", None, lambda f: f.index == 0),
        "expect_column_values_to_not_be_null",
        "industry_name_nb",
    ),
    "questionnaire_items": (
        lambda f: f.assign(scale_max=np.where(f.index == 0, f.scale_min, f.scale_max)),
        "expect_column_pair_values_a_to_be_greater_than_b",
        "scale_max,scale_min",
    ),
    "questionnaire_themes": (_duplicate_first_row, "expect_compound_columns_to_be_unique", "year,theme_id", 2),
    "response_rates": (
        _set("response_rate", 120.0, lambda f: f.response_rate.notna()),
        "expect_column_values_to_be_between",
        "response_rate",
    ),
    "subgroup_scores": (_set("index_0_100", 50.0, _suppressed), "expect_column_values_to_be_null", "index_0_100"),
    "theme_reliability": (
        _set("cronbach_alpha", 1.2, lambda f: f.cronbach_alpha.notna()),
        "expect_column_values_to_be_between",
        "cronbach_alpha",
    ),
}
# Tables that may legitimately be empty (no company large enough for key drivers, no subgroups).
MAY_BE_EMPTY = {"key_drivers", "subgroup_scores"}


def test_every_published_mart_has_a_suite_and_a_planted_defect() -> None:
    assert set(DEFECTS) == set(_published_tables())
    assert {f"published_{mart}.json" for mart in DEFECTS} <= {p.name for p in EXPECTATIONS_DIR.glob("*.json")}


def _refused_for(check_name: str, asset: str, outcome) -> list[str]:
    """The gate's answer to a run where every required check passed except this suite's."""
    manifest = json.loads((Path(__file__).parents[1] / "dbt_project" / "target" / "manifest.json").read_text())
    from orchestration.assets.dbt import MedarbeiderindeksTranslator

    required = required_checks(manifest, MedarbeiderindeksTranslator())
    result = to_check_result(outcome)
    evaluations = [
        Evaluation(k.asset_key.to_user_string(), k.name, True, {}) for k in required if k.name != check_name
    ] + [Evaluation(asset, check_name, result.passed, {"description": result.description})]
    return refusals(required, evaluations)


@pytest.mark.parametrize("mart", sorted(DEFECTS))
def test_suite_passes_a_correct_build_and_fails_one_bad_row(warehouse: Path, mart: str) -> None:
    frame = _mart(warehouse, mart)
    parameters = DisclosureThresholds().check_parameters()
    assert len(frame) > 0
    clean = validate_frame(frame, f"published_{mart}", parameters)
    assert clean.success, [(f.expectation, f.column) for f in clean.failures]

    plant, expectation, column, *count = DEFECTS[mart]
    bad = validate_frame(plant(frame), f"published_{mart}", parameters)
    assert not bad.success
    assert [(f.expectation, f.column, f.unexpected_count) for f in bad.failures] == [
        (expectation, column, count[0] if count else 1)
    ]

    problems = _refused_for(f"{mart}_publishable", f"published/{mart}", bad)
    assert problems == [
        f"check published/{mart}:{mart}_publishable failed (1 of {len(bad.outcomes)} expectations of suite "
        f"'published_{mart}' failed)"
    ]


@pytest.mark.parametrize("mart", sorted(set(DEFECTS) - MAY_BE_EMPTY))
def test_an_empty_table_fails_its_suite(warehouse: Path, mart: str) -> None:
    empty = _mart(warehouse, mart).iloc[0:0]
    outcome = validate_frame(empty, f"published_{mart}", DisclosureThresholds().check_parameters())
    assert not outcome.success
    assert "expect_table_row_count_to_be_between" in [f.expectation for f in outcome.failures]


def test_enps_gaps_beyond_100_pass_index_gaps_do_not(warehouse: Path) -> None:
    """eNPS runs from -100 to 100, so a gap between two eNPS values can reach 200."""
    frame = _mart(warehouse, "company_vs_benchmark")
    parameters = DisclosureThresholds().check_parameters()
    enps = _set("gap", 180.0, lambda f: _published(f) & (f.measure_type == "enps"))(frame)
    assert validate_frame(enps, "published_company_vs_benchmark", parameters).success
    too_far = _set("gap", 201.0, lambda f: _published(f) & (f.measure_type == "enps"))(frame)
    failures = validate_frame(too_far, "published_company_vs_benchmark", parameters).failures
    assert [(f.expectation, f.column) for f in failures] == [("expect_column_values_to_be_between", "gap")]


@pytest.mark.parametrize("mart", ["benchmarks", "company_vs_benchmark"])
def test_p_percent_rule_is_proven_on_every_published_pool(warehouse: Path, mart: str) -> None:
    """Under the p_percent profile a published pool must keep, beyond its two largest companies, at least p% of the
    largest's respondents; a planted pool with less fails. The default profile (p = 0) accepts it."""
    frame = _mart(warehouse, mart)
    published = frame[_published(frame)]
    # the fixture's pools: recompute the margin from the company sizes, independently of dbt
    sizes = sorted((n for n in SIZES.values() if n >= 5), reverse=True)  # the companies a benchmark pools
    if mart == "benchmarks":
        national = published[(published.benchmark_scope == "national") & (published.measure_type == "index")]
        expected = 100.0 * (sum(sizes) - sizes[0] - sizes[1]) / sizes[0]
        assert national.p_rule_remainder_pct.iloc[0] == pytest.approx(expected)
    assert (published.p_rule_remainder_pct >= 25).all()

    p_percent = DisclosureThresholds(disclosure_profile="p_percent", min_companies=5).check_parameters()
    assert validate_frame(frame, f"published_{mart}", p_percent).success
    violation = _set("p_rule_remainder_pct", 24.0, _published)(frame)
    failures = validate_frame(violation, f"published_{mart}", p_percent).failures
    assert [(f.expectation, f.column, f.unexpected_count) for f in failures] == [
        ("expect_column_values_to_be_between", "p_rule_remainder_pct", 1)
    ]
    assert validate_frame(violation, f"published_{mart}", DisclosureThresholds().check_parameters()).success


def _raw_frame(warehouse: Path, sql: str, seeds: Path) -> pd.DataFrame:
    query = sql.format(
        items_csv=_sql_string(seeds / "items.csv"), headcount_csv=_sql_string(seeds / "invited_headcount.csv")
    )
    return fetch_frame(warehouse, query, YEAR)


def _planted_raw(warehouse: Path, tmp_path: Path, sql: str) -> Path:
    copy = tmp_path / "planted.duckdb"
    shutil.copy(warehouse, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute(sql)
    return copy


RAW_DEFECTS = {
    # an answer whose respondent is not in raw.respondents
    "orphan answer": (
        "raw_answers",
        "insert into raw.answers select year, 'ghost', company_id, item_id, source_column, answer_value, "
        "is_dont_know, file_name from raw.answers limit 1",
        ("expect_column_values_to_be_in_set", "respondent_known"),
    ),
    # a respondent of a company not invited in 2025
    "uninvited company": (
        "raw_respondents",
        "update raw.respondents set company_id = 'vasskraft_ost_2' where respondent_id = 'nordlys_bank-0'; "
        "update raw.answers set company_id = 'vasskraft_ost_2' where respondent_id = 'nordlys_bank-0'",
        ("expect_column_values_to_not_be_null", "invited"),
    ),
    # a respondent without a single answer
    "respondent without answers": (
        "raw_respondents",
        "delete from raw.answers where respondent_id = 'nordlys_bank-1'",
        ("expect_column_values_to_be_between", "n_answers"),
    ),
    # a respondent's answer to an item loaded twice (raw.answers has no key)
    "answered twice": (
        "raw_answers",
        "insert into raw.answers select * from raw.answers where respondent_id = 'fjelltele-0' and item_id = 'Q01'",
        ("expect_column_values_to_be_between", "times_answered"),
    ),
    # an answer above its item's scale
    "off the scale": (
        "raw_answers",
        "update raw.answers set answer_value = 7 where respondent_id = 'fjelltele-0' and item_id = 'Q01'",
        ("expect_column_pair_values_a_to_be_greater_than_b", "scale_max,answer_value"),
    ),
}


@pytest.mark.parametrize("defect", sorted(RAW_DEFECTS))
def test_raw_suites_catch_what_the_ddl_does_not(warehouse: Path, tmp_path: Path, defect: str) -> None:
    suite, plant, (expectation, column) = RAW_DEFECTS[defect]
    sql = RAW_ANSWERS_SQL if suite == "raw_answers" else RAW_RESPONDENTS_SQL
    assert validate_frame(_raw_frame(warehouse, sql, SEEDS_DIR), suite).success
    planted = _planted_raw(warehouse, tmp_path, plant)
    failures = validate_frame(_raw_frame(planted, sql, SEEDS_DIR), suite).failures
    assert [(f.expectation, f.column) for f in failures] == [(expectation, column)]


def test_raw_answers_catch_an_item_not_asked_that_year(warehouse: Path, tmp_path: Path) -> None:
    """Q24 retired after 2024 in the questionnaire seed: its 2025 answers fail the suite."""
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS_DIR, seeds)
    items = pd.read_csv(seeds / "items.csv")
    items["last_year"] = items["last_year"].astype("Int64").mask(items.item_id == "Q24", 2024)
    items.to_csv(seeds / "items.csv", index=False)
    failures = validate_frame(_raw_frame(warehouse, RAW_ANSWERS_SQL, seeds), "raw_answers").failures
    assert [(f.expectation, f.column, f.unexpected_count) for f in failures] == [
        ("expect_column_values_to_be_in_set", "asked_that_year", sum(SIZES.values()))
    ]


@pytest.mark.parametrize("suite", ["raw_answers", "raw_respondents"])
def test_an_empty_year_fails_the_raw_suites(warehouse: Path, suite: str) -> None:
    sql = RAW_ANSWERS_SQL if suite == "raw_answers" else RAW_RESPONDENTS_SQL
    empty = _raw_frame(warehouse, sql, SEEDS_DIR).iloc[0:0]
    failures = validate_frame(empty, suite).failures
    assert [f.expectation for f in failures] == ["expect_table_row_count_to_be_between"]


@pytest.mark.parametrize(("suite", "table"), [("raw_answers", "answers"), ("raw_respondents", "respondents")])
def test_the_raw_suites_count_every_row_though_their_frames_count_alike_rows_once(
    warehouse: Path, suite: str, table: str
) -> None:
    sql = RAW_ANSWERS_SQL if suite == "raw_answers" else RAW_RESPONDENTS_SQL
    frame = _raw_frame(warehouse, sql, SEEDS_DIR)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        (rows,) = con.execute(f"select count(*) from raw.{table} where year = ?", [YEAR]).fetchone()
    assert "respondent_id" not in frame.columns
    assert len(frame) < rows
    assert validate_frame(frame, suite).n_rows == rows
