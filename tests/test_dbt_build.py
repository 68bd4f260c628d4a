"""`dbt build` on a small raw warehouse: unit and schema tests pass, and published numbers match an independent
pandas computation of the methodology (docs/methodology.md §1-§5: scoring, group statistics, eNPS, benchmarks,
company against benchmark; §11: suppression)."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import stats

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
from dbt_run import dbt_build, dbt_command, query  # noqa: E402
from raw_warehouse import build_raw_warehouse  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"

# 6 companies in 3 industries; trygg_forsikring has fewer respondents than min_respondents (5), so it enters no
# benchmark: the national benchmark pools the other 5 (two of them unknown to any two colluding companies)
COMPANY_SIZES = {
    "nordlys_bank": 7,
    "fjord_sparebank": 6,
    "kyst_sparebank": 5,
    "trygg_forsikring": 3,
    "fjelltele": 6,
    "bolge_mobil": 5,
}
POOLED = [c for c, size in COMPANY_SIZES.items() if size >= 5]
YEARS = (2024, 2025)


def _fixture_answers() -> pd.DataFrame:
    rng = np.random.default_rng(20251123)
    items = pd.read_csv(SEEDS / "items.csv")
    rows = []
    for year in YEARS:
        for company, size in COMPANY_SIZES.items():
            shift = {"nordlys_bank": 1, "kyst_sparebank": -1}.get(company, 0)
            for r in range(size):
                respondent = f"{company}-{year}-{r}"
                partly = company == "fjord_sparebank" and r == 0  # answers only the first six items
                for i, item in enumerate(items.itertuples()):
                    if partly and i >= 6:
                        continue
                    if rng.random() < 0.05:  # a blank cell: no row
                        continue
                    if rng.random() < 0.06:
                        rows.append((year, company, respondent, item.item_id, np.nan, True))
                        continue
                    value = int(np.clip(rng.integers(2, 6) + shift * (rng.random() < 0.5), 1, 6))
                    rows.append((year, company, respondent, item.item_id, float(value), False))
    frame = pd.DataFrame(
        rows, columns=["year", "company_id", "respondent_id", "item_id", "answer_value", "is_dont_know"]
    )
    # the reverse-coded item Q03 and a certain don't-know, so the fixture always has both
    frame = frame[~((frame.respondent_id == "nordlys_bank-2025-0") & frame.item_id.isin(["Q03", "Q04"]))]
    extra = pd.DataFrame(
        [
            (2025, "nordlys_bank", "nordlys_bank-2025-0", "Q03", 6.0, False),
            (2025, "nordlys_bank", "nordlys_bank-2025-0", "Q04", np.nan, True),
        ],
        columns=frame.columns,
    )
    return pd.concat([frame, extra], ignore_index=True)


def _respondent_indices(answers: pd.DataFrame) -> pd.DataFrame:
    """Independent implementation of methodology §1-§2: one row per respondent with the overall index."""
    items = pd.read_csv(SEEDS / "items.csv")
    a = answers.merge(items, on="item_id")
    asked = (a.first_year.isna() | (a.first_year <= a.year)) & (a.last_year.isna() | (a.year <= a.last_year))
    a = a[asked]
    valid = a[~a.is_dont_know].copy()
    x = np.where(valid.reverse_coded, valid.scale_min + valid.scale_max - valid.answer_value, valid.answer_value)
    valid["item_index"] = (x - valid.scale_min) / (valid.scale_max - valid.scale_min) * 100
    n_items = items.groupby("theme_id").size()  # every seed item is asked in the fixture years
    themes = (
        valid.groupby(["year", "company_id", "respondent_id", "theme_id"])
        .item_index.agg(["mean", "count"])
        .reset_index()
    )
    themes["needed"] = themes.theme_id.map(lambda t: math.ceil(n_items[t] / 2))
    themes["theme_score"] = themes["mean"].where(themes["count"] >= themes["needed"])
    n_themes = items.theme_id.nunique()
    respondents = answers[["year", "company_id", "respondent_id"]].drop_duplicates()
    scored = themes.groupby(["year", "company_id", "respondent_id"]).theme_score.agg(["mean", "count"]).reset_index()
    respondents = respondents.merge(scored, how="left", on=["year", "company_id", "respondent_id"])
    respondents["index"] = respondents["mean"].where(respondents["count"] >= math.ceil(n_themes / 2))
    return respondents[["year", "company_id", "respondent_id", "index"]]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, pd.DataFrame, subprocess.CompletedProcess]:
    tmp = tmp_path_factory.mktemp("dbt_build")
    warehouse = tmp / "warehouse.duckdb"
    answers = _fixture_answers()
    build_raw_warehouse(warehouse, answers)
    result = dbt_build(warehouse, tmp)
    return warehouse, answers, result


def test_dbt_build_passes_unit_and_schema_tests(built):
    warehouse, _, result = built
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert "ERROR=0" in result.stdout
    # The unit tests run here, in `make test`, and not in a release's build (tests/test_dbt_selection.py): every
    # one of the project's unit tests must have run and passed.
    run = json.loads((warehouse.parent / "target" / "run_results.json").read_text(encoding="utf-8"))
    statuses = {r["unique_id"]: r["status"] for r in run["results"]}
    manifest = json.loads((warehouse.parent / "target" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["unit_tests"], "the project has unit tests"
    assert {u: statuses.get(u) for u in manifest["unit_tests"]} == {u: "pass" for u in manifest["unit_tests"]}


def test_company_index_matches_pandas(built):
    warehouse, answers, _ = built
    expected = _respondent_indices(answers).groupby(["year", "company_id"])["index"].mean()
    published = query(
        warehouse,
        "select year, company_id, index_0_100, n_respondents from published.company_scores "
        "where measure_type = 'index' and not suppressed",
    ).set_index(["year", "company_id"])
    assert len(published) == len(YEARS) * len(POOLED)
    for key, row in published.iterrows():
        assert row.index_0_100 == pytest.approx(expected[key], abs=1e-9)


def test_national_benchmark_is_respondent_weighted(built):
    warehouse, answers, _ = built
    indices = _respondent_indices(answers)
    published = query(
        warehouse,
        "select year, index_0_100, n_respondents, n_companies from published.benchmarks "
        "where measure_type = 'index' and benchmark_scope = 'national'",
    ).set_index("year")
    for year in YEARS:
        of_year = indices[(indices.year == year) & indices.company_id.isin(POOLED)]["index"].dropna()
        assert published.loc[year, "n_respondents"] == len(of_year)
        assert published.loc[year, "n_companies"] == len(POOLED)
        assert published.loc[year, "index_0_100"] == pytest.approx(of_year.mean(), abs=1e-9)


def test_leave_one_out_gap_and_welch_p_value(built):
    warehouse, answers, _ = built
    indices = _respondent_indices(answers).dropna(subset=["index"])
    of_year = indices[indices.year == 2025]
    own = of_year[of_year.company_id == "nordlys_bank"]["index"]
    others = of_year[(of_year.company_id != "nordlys_bank") & of_year.company_id.isin(POOLED)]["index"]
    row = query(
        warehouse,
        "select * from published.company_vs_benchmark where year = 2025 and company_id = 'nordlys_bank' "
        "and benchmark_scope = 'national' and measure_type = 'index'",
    ).iloc[0]
    assert not row.suppressed
    assert row.benchmark_index == pytest.approx(others.mean(), abs=1e-9)
    assert row.gap == pytest.approx(own.mean() - others.mean(), abs=1e-9)
    welch = stats.ttest_ind(own, others, equal_var=False)
    # t and df are computed from sums in SQL, scipy's from the scores: they agree to rounding, and so does p
    assert row.p_value == pytest.approx(welch.pvalue, rel=1e-10)


def test_p_values_match_scipy_everywhere(built):
    warehouse, _, _ = built
    tests = query(
        warehouse,
        "select gap_t as t, gap_df as df, p_value as p from intermediate.int_company_vs_benchmark "
        "where gap_t is not null union all "
        "select yoy_t, yoy_df, yoy_p_value from intermediate.int_company_vs_benchmark where yoy_t is not null",
    )
    assert len(tests) > 50
    expected = 2 * stats.t.sf(np.abs(tests.t), tests.df)
    # the p-value of the same t and df is scipy's own (orchestration/duckdb_functions.py), bit for bit
    assert (tests.p.to_numpy() == expected).all(), np.max(np.abs(expected - tests.p))


def test_small_company_is_suppressed_with_null_values(built):
    warehouse, _, _ = built
    rows = query(
        warehouse,
        "select * from published.company_scores where company_id = 'trygg_forsikring'",
    )
    assert len(rows) > 0  # the rows are kept
    assert rows.suppressed.all()
    assert (rows.suppression_reason == "min_respondents").all()
    assert rows.n_respondents.isna().all()  # no count of a suppressed cell is published
    value_columns = ["mean_score", "index_0_100", "sd", "ci_low", "ci_high", "favorable_pct", "dont_know_pct"]
    assert rows[value_columns].isna().all().all()
    # an industry whose only company is under the threshold pools nobody and is not published
    insurance = query(warehouse, "select * from published.benchmarks where benchmark_id = 'insurance'")
    assert insurance.suppressed.all()
    assert set(insurance.suppression_reason) <= {"min_respondents", "min_companies"}
    assert insurance.index_0_100.isna().all()


def test_reverse_coded_item_and_dont_know(built):
    warehouse, _, _ = built
    scored = query(
        warehouse,
        "select item_id, answer_value, score_raw, item_index, is_dont_know from intermediate.int_answers_scored "
        "where respondent_id = 'nordlys_bank-2025-0' and item_id in ('Q03', 'Q04') order by item_id",
    )
    assert scored.iloc[0].tolist() == ["Q03", 6.0, 1.0, 0.0, False]
    assert scored.iloc[1].is_dont_know and pd.isna(scored.iloc[1].score_raw)


def test_confidence_interval_uses_student_t_and_finite_population_correction(built):
    warehouse, answers, _ = built
    indices = _respondent_indices(answers).dropna(subset=["index"])
    invited = pd.read_csv(SEEDS / "invited_headcount.csv").set_index(["year", "company_id"])["invited"]
    published = query(
        warehouse,
        "select year, company_id, index_0_100, sd, ci_low, ci_high from published.company_scores "
        "where measure_type = 'index' and not suppressed",
    )
    for row in published.itertuples():
        scores = indices[(indices.year == row.year) & (indices.company_id == row.company_id)]["index"]
        n, big_n = len(scores), invited[(row.year, row.company_id)]
        se = scores.std(ddof=1) / math.sqrt(n) * math.sqrt((big_n - n) / (big_n - 1))
        half_width = stats.t.ppf(0.975, n - 1) * se
        assert row.sd == pytest.approx(scores.std(ddof=1), abs=1e-9)
        # exact t quantile: only the rounding of sums is left (a rounded t table was off by up to 1e-8)
        assert row.ci_low == pytest.approx(scores.mean() - half_width, abs=1e-11)
        assert row.ci_high == pytest.approx(scores.mean() + half_width, abs=1e-11)


# One row per respondent (x item, theme, measure or breakdown): the tables whose size grows with the survey.
PER_RESPONDENT_TABLES = [
    "int_answers_scored",
    "int_respondent_theme_scores",
    "int_respondent_index",
    "int_respondent_summary_measures",
    "int_respondent_measures",
    "int_respondent_subgroups",
    "int_respondent_breakdowns",
]


def test_per_respondent_tables_hold_no_hugeint(built):
    """DuckDB's sum() of integers is a HUGEINT; millions of HUGEINT cells make a table several times slower to scan
    and join (int_respondent_measures: 42 s against 9 s at 100,000 respondents), so counts are stored as integers."""
    warehouse, _, _ = built
    columns = query(
        warehouse,
        "select table_name, column_name, data_type from duckdb_columns() "
        f"where schema_name = 'intermediate' and table_name in ({', '.join(repr(t) for t in PER_RESPONDENT_TABLES)})",
    )
    assert set(columns.table_name) == set(PER_RESPONDENT_TABLES)
    hugeint = columns[columns.data_type == "HUGEINT"]
    assert hugeint.empty, hugeint.to_string()


def test_dbt_connections_bound_duckdb_memory(tmp_path):
    """Unbounded, DuckDB takes up to 80% of the machine's memory; dbt's connections get the profile's memory_limit
    (MEDARBEIDERINDEKS_DUCKDB_MEMORY_LIMIT overrides it) and spill beyond it, and keep insertion order only where a
    model orders its rows."""
    env = {
        **os.environ,
        "MEDARBEIDERINDEKS_WAREHOUSE": str(tmp_path / "warehouse.duckdb"),
        "MEDARBEIDERINDEKS_DUCKDB_MEMORY_LIMIT": "1GB",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    shown = subprocess.run(
        [
            sys.executable,
            "-m",
            "dbt.cli.main",
            "--quiet",
            "show",
            "--inline",
            "select current_setting('memory_limit') as memory_limit, "
            "current_setting('preserve_insertion_order') as preserve_insertion_order",
            "--output",
            "json",
            "--profiles-dir",
            ".",
            "--target-path",
            str(tmp_path / "target"),
            "--log-path",
            str(tmp_path / "logs"),
        ],
        cwd=REPO / "dbt_project",
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert shown.returncode == 0, shown.stdout[-3000:] + shown.stderr[-2000:]
    (row,) = json.loads(shown.stdout)["show"]
    with duckdb.connect(config={"memory_limit": "1GB"}) as con:  # DuckDB's own rendering of 1 GB
        one_gigabyte = con.execute("select current_setting('memory_limit')").fetchone()[0]
    assert row == {"memory_limit": one_gigabyte, "preserve_insertion_order": False}


def _failing_test_on_planted_copy(warehouse: Path, tmp_path: Path, select: str, *planting: str) -> tuple[dict, Path]:
    """Run the one data test ``select`` on a copy of the warehouse altered by the ``planting`` statements: it fails
    there (its run result and the copy are returned) and passes on the warehouse itself."""
    planted = tmp_path / "warehouse.duckdb"
    shutil.copy(warehouse, planted)
    with duckdb.connect(str(planted)) as con:
        for statement in planting:
            con.execute(statement)
    result = dbt_command("test", planted, tmp_path, "--select", select)
    assert result.returncode == 1, result.stdout[-3000:]
    (test,) = json.loads((tmp_path / "target" / "run_results.json").read_text(encoding="utf-8"))["results"]
    assert dbt_command("test", warehouse, tmp_path, "--select", select).returncode == 0
    return test, planted


def test_the_uniqueness_test_fails_on_one_repeated_row(built, tmp_path):
    """unique_combination groups hashes first: one planted repeat of a respondent's measure is still one failure."""
    warehouse, _, _ = built
    test, _ = _failing_test_on_planted_copy(
        warehouse,
        tmp_path,
        "int_respondent_summary_measures,test_name:unique_combination",
        "insert into intermediate.int_respondent_summary_measures "
        "select * from intermediate.int_respondent_summary_measures "
        "order by year, respondent_id, measure_type, measure_id limit 1",
    )
    assert (test["status"], test["failures"]) == ("fail", 1)


def test_the_tests_of_tables_that_grow_with_the_respondents_read_the_years_built(built, tmp_path):
    """A release writes control.build_years; the tests configured `where: "__built_years__"` (macro
    get_where_subquery) then read only those years. With 2025 built, a repeated row of 2025 fails the uniqueness test,
    and one of 2024 (stored by 2024's release and not rewritten by this build) is not read; without the control table
    (a plain dbt build) every year is tested."""
    warehouse, _, _ = built
    select = "int_respondent_summary_measures,test_name:unique_combination"

    def failures(repeated_year: int, built_years: list[int] | None) -> int:
        work = tmp_path / f"{repeated_year}-{built_years}"
        work.mkdir()
        planted = work / "warehouse.duckdb"
        shutil.copy(warehouse, planted)
        with duckdb.connect(str(planted)) as con:
            con.execute(
                "insert into intermediate.int_respondent_summary_measures "
                "select * from intermediate.int_respondent_summary_measures "
                "where year = ? order by respondent_id, measure_type, measure_id limit 1",
                [repeated_year],
            )
            if built_years is not None:
                con.execute("create schema control")
                con.execute("create table control.build_years (year integer primary key)")
                con.executemany("insert into control.build_years values (?)", [[y] for y in built_years])
        result = dbt_command("test", planted, work, "--select", select)
        (test,) = json.loads((work / "target" / "run_results.json").read_text(encoding="utf-8"))["results"]
        assert result.returncode == (1 if test["failures"] else 0), result.stdout[-3000:]
        return test["failures"]

    assert failures(2025, [2025]) == 1
    assert failures(2024, [2025]) == 0
    assert failures(2024, [2024, 2025]) == 1
    assert failures(2024, None) == 1


def test_the_not_null_test_names_each_column_holding_nulls(built, tmp_path):
    """not_null_columns checks all of a model's required columns in one query and fails once per column with nulls."""
    warehouse, _, _ = built
    test, planted = _failing_test_on_planted_copy(
        warehouse,
        tmp_path,
        "int_answers_scored,test_name:not_null_columns",
        "update intermediate.int_answers_scored set company_id = null where respondent_id = "
        "(select min(respondent_id) from intermediate.int_answers_scored) and item_id = 'Q01'",
        "update intermediate.int_answers_scored set item_id = null where respondent_id = "
        "(select max(respondent_id) from intermediate.int_answers_scored) and item_id in ('Q02', 'Q05')",
    )
    assert (test["status"], test["failures"]) == ("fail", 2)
    failing = query(planted, test["compiled_code"])
    assert dict(zip(failing.column_name, failing.null_rows, strict=True)) == {"company_id": 1, "item_id": 2}


def test_published_marts_hold_their_constraints(built):
    """The marts' contracts declare required columns (not_null) and value ranges and row rules (check): DuckDB holds
    each of them on the table, so a violating row refuses the build itself (no test query needed), while every other
    column stays nullable for suppressed cells."""
    warehouse, _, _ = built
    manifest = json.loads((warehouse.parent / "target" / "manifest.json").read_text(encoding="utf-8"))
    marts = [
        n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["config"]["schema"] == "published"
    ]
    declared_not_null = {
        (node["alias"], column["name"]): any(c["type"] == "not_null" for c in column["constraints"])
        for node in marts
        for column in node["columns"].values()
    }
    declared_checks = {
        node["alias"]: sum(c["type"] == "check" for column in node["columns"].values() for c in column["constraints"])
        + sum(c["type"] == "check" for c in node["constraints"])
        for node in marts
    }
    assert sum(declared_not_null.values()) >= 40 and sum(declared_checks.values()) >= 30
    held = query(
        warehouse,
        "select table_name, column_name, is_nullable = 'NO' as not_null "
        "from information_schema.columns where table_schema = 'published'",
    )
    assert {(t, c): n for t, c, n in held.itertuples(index=False) if t in declared_checks} == declared_not_null
    checks = query(
        warehouse,
        "select table_name, count(*) as n from duckdb_constraints() "
        "where schema_name = 'published' and constraint_type = 'CHECK' group by table_name",
    )
    held_checks = {t: n for t, n in checks.itertuples(index=False) if t in declared_checks}
    assert held_checks == {t: n for t, n in declared_checks.items() if n}
    with duckdb.connect(str(warehouse)) as con:
        with pytest.raises(duckdb.ConstraintException, match="NOT NULL"):
            con.execute("insert into published.company_scores (year) values (null)")
        row = "select * replace (101.0 as response_rate) from published.response_rates limit 1"
        with pytest.raises(duckdb.ConstraintException, match="CHECK"):
            con.execute(f"insert into published.response_rates {row}")
        row = (
            "select * replace (30.0 as index_0_100, 10.0 as ci_low, 20.0 as ci_high) from published.benchmarks limit 1"
        )
        with pytest.raises(duckdb.ConstraintException, match="CHECK"):
            con.execute(f"insert into published.benchmarks {row}")
