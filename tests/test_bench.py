"""`make bench`'s pandas baseline computes the figures the marts publish, and a stage that fails (here: over its
memory limit) is reported in its cell instead of ending the bench. One small synthetic year through the bench's own
ingest and dbt stages (bench/stages.py)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from bench import stages
from bench.pandas_baseline import company_and_benchmark_figures
from bench.run_bench import StageResult, run_stage, table_row
from orchestration.demo_data import write_synthetic_year
from orchestration.settings import SEEDS_DIR

RESPONDENTS = 400
KEYS = {
    "company_scores": ["company_id", "measure_type", "measure_id"],
    "benchmarks": ["benchmark_scope", "benchmark_id", "measure_type", "measure_id"],
}


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("bench")
    write_synthetic_year(work / "landing", stages.YEAR, RESPONDENTS, seed=1)
    stages.write_headcount(work)
    stages.ingest(work)
    stages.dbt(work)
    return work


def _published(work: Path, table: str) -> pd.DataFrame:
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(f"select * from published.{table} where not suppressed and n_respondents > 0").df()


def _baseline(work: Path) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        answers = con.execute("select * from raw.answers").df()
    company, benchmarks = company_and_benchmark_figures(
        answers, pd.read_csv(SEEDS_DIR / "items.csv"), pd.read_csv(SEEDS_DIR / "companies.csv"), stages.YEAR, 5, "Q25"
    )
    return {"company_scores": company, "benchmarks": benchmarks}


@pytest.mark.parametrize("table", sorted(KEYS))
def test_pandas_baseline_equals_the_published_figures(work, table):
    published = _published(work, table)
    merged = published.merge(_baseline(work)[table], on=KEYS[table], how="left", suffixes=("", "_pandas"))
    # every published cell is computed by the baseline, of every measure type
    assert merged["n_respondents_pandas"].notna().all()
    assert set(merged["measure_type"]) == {"index", "enps", "theme", "item"}
    # at least the national benchmark, and most companies, are published
    if table == "company_scores":
        assert merged["company_id"].nunique() >= 10
    else:
        assert (merged["benchmark_id"] == "all").sum() >= 30
    assert (merged["n_respondents"] == merged["n_respondents_pandas"]).all()
    for column in ("index_0_100", "sd", "mean_score"):
        np.testing.assert_allclose(merged[column], merged[f"{column}_pandas"], rtol=1e-9, atol=1e-9, err_msg=column)


def test_a_stage_over_its_memory_limit_fails_in_its_cell(work):
    refused = run_stage("pandas", work, memory_limit=256 * 2**20)
    assert refused.failure == "out of memory"
    assert run_stage("pandas", work, memory_limit=None).failure is None  # the limit, not the stage, refused it

    row = {name: StageResult(1.0, 100.0, 1.0) for name in stages.STAGES}
    row["dbt"] = refused
    line = table_row(RESPONDENTS, row)
    assert "| failed (out of memory) |" in line
    assert line.endswith("| - | - |")  # no ratio of a failed stage


def test_a_failing_stage_names_its_error(tmp_path):
    missing = run_stage("duckdb_pass", tmp_path, memory_limit=None)
    assert missing.failure.endswith('warehouse.duckdb" in read-only mode: database does not exist')
