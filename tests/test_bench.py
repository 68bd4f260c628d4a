"""`make bench`'s pandas baseline computes the figures the marts publish, and a stage that fails (here: over its
memory limit) is reported in its cell instead of ending the bench. One small synthetic year of the bench's 40-item
questionnaire through the bench's own ingest and dbt stage processes (bench/stages.py), which read that
questionnaire's seeds folder (MEDARBEIDERINDEKS_SEEDS_DIR)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from bench import stages
from bench.pandas_baseline import company_and_benchmark_figures
from bench.questionnaire import write_questionnaire
from bench.run_bench import StageResult, run_stage, table_row
from orchestration.demo_data import write_synthetic_year
from orchestration.settings import SEEDS_DIR

RESPONDENTS = 400
ITEMS = 40
KEYS = {
    "company_scores": ["company_id", "measure_type", "measure_id"],
    "benchmarks": ["benchmark_scope", "benchmark_id", "measure_type", "measure_id"],
}


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("bench")
    seeds = write_questionnaire(work / "seeds", ITEMS, stages.YEAR)
    write_synthetic_year(work / "landing", stages.YEAR, RESPONDENTS, seed=1, seeds_dir=seeds)
    stages.write_headcount(work)
    for stage in ("ingest", "dbt"):
        result = run_stage(stage, work, None, seeds)
        assert result.failure is None, (work / f"{stage}.log").read_text()
    return work


def test_the_bench_questionnaire_adds_statements_to_the_seeded_one(tmp_path):
    seeded = pd.read_csv(SEEDS_DIR / "items.csv")
    items = pd.read_csv(write_questionnaire(tmp_path / "seeds", ITEMS, stages.YEAR) / "items.csv")
    assert len(seeded) == 25 and len(items) == ITEMS
    pd.testing.assert_frame_equal(items.head(len(seeded)), seeded)
    added = items.iloc[len(seeded) :]
    assert added["item_id"].tolist() == [f"Q{k}" for k in range(26, 41)]
    themes = pd.read_csv(SEEDS_DIR / "themes.csv").sort_values("sort_order")["theme_id"].tolist()
    assert added["theme_id"].tolist() == (themes * 2)[:15]  # the themes in turn
    assert (added["first_year"] == stages.YEAR).all() and added["last_year"].isna().all()
    assert (added[["scale_min", "scale_max"]] == [1, 6]).all().all() and not added["reverse_coded"].any()
    assert items["sort_order"].is_unique
    with pytest.raises(ValueError, match="already has more"):
        write_questionnaire(tmp_path / "fewer", 24, stages.YEAR)


def _published(work: Path, table: str) -> pd.DataFrame:
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(f"select * from published.{table} where not suppressed and n_respondents > 0").df()


def _baseline(work: Path) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        answers = con.execute("select * from raw.answers").df()
    seeds = work / "seeds"
    company, benchmarks = company_and_benchmark_figures(
        answers, pd.read_csv(seeds / "items.csv"), pd.read_csv(seeds / "companies.csv"), stages.YEAR, 5, "Q25"
    )
    return {"company_scores": company, "benchmarks": benchmarks}


@pytest.mark.parametrize("table", sorted(KEYS))
def test_pandas_baseline_equals_the_published_figures(work, table):
    published = _published(work, table)
    merged = published.merge(_baseline(work)[table], on=KEYS[table], how="left", suffixes=("", "_pandas"))
    # every published cell is computed by the baseline, of every measure type
    assert merged["n_respondents_pandas"].notna().all()
    assert set(merged["measure_type"]) == {"index", "enps", "theme", "item"}
    assert merged.loc[merged["measure_type"] == "item", "measure_id"].nunique() == ITEMS  # the added items too
    # at least the national benchmark, and most companies, are published
    if table == "company_scores":
        assert merged["company_id"].nunique() >= 10
    else:
        assert (merged["benchmark_id"] == "all").sum() >= 30
    assert (merged["n_respondents"] == merged["n_respondents_pandas"]).all()
    for column in ("index_0_100", "sd", "mean_score"):
        np.testing.assert_allclose(merged[column], merged[f"{column}_pandas"], rtol=1e-9, atol=1e-9, err_msg=column)


def test_a_stage_over_its_memory_limit_fails_in_its_cell(work):
    refused = run_stage("pandas", work, memory_limit=256 * 2**20, seeds_dir=work / "seeds")
    assert refused.failure == "out of memory"
    assert run_stage("pandas", work, None, work / "seeds").failure is None  # the limit, not the stage, refused it

    row = {name: StageResult(1.0, 100.0, 1.0) for name in stages.STAGES}
    row["dbt"] = refused
    line = table_row(RESPONDENTS, row)
    assert "| failed (out of memory) |" in line
    assert line.endswith("| - | - |")  # no ratio of a failed stage


def test_a_failing_stage_names_its_error(tmp_path):
    missing = run_stage("duckdb_pass", tmp_path, memory_limit=None)
    assert missing.failure.endswith('warehouse.duckdb" in read-only mode: database does not exist')
