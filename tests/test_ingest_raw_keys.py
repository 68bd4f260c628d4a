"""One duplicate-respondent policy, enforced once: ingestion rejects a respondent delivered twice and raw's keys
refuse it; staging passes raw rows as they are (its unit test `test_stg_survey__respondents_passes_every_raw_row`).
The test fixture that builds raw warehouses for dbt tests uses the same DDL, so those tests run on data production
could hold."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchestration.ingest import create_raw_schema

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
from raw_warehouse import build_raw_warehouse  # noqa: E402


def schema_of(path: Path) -> dict[str, list]:
    with duckdb.connect(str(path), read_only=True) as con:
        columns = con.execute(
            "select table_name, column_name, data_type, is_nullable from duckdb_columns() "
            "where schema_name = 'raw' order by table_name, column_index"
        ).fetchall()
        constraints = con.execute(
            "select table_name, constraint_type, constraint_column_names from duckdb_constraints() "
            "where schema_name = 'raw' order by all"
        ).fetchall()
    return {"columns": columns, "constraints": constraints}


def answers(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["respondent_id", "company_id", "item_id"])
    return frame.assign(year=2024, answer_value=4.0)


def test_the_fixture_builds_raw_with_the_production_ddl(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "production.duckdb")) as con:
        create_raw_schema(con)
    built = build_raw_warehouse(tmp_path / "fixture.duckdb", answers([("r1", "c1", "Q01"), ("r2", "c1", "Q01")]))
    assert schema_of(built) == schema_of(tmp_path / "production.duckdb")
    assert ("respondents", "PRIMARY KEY", ["year", "respondent_id"]) in schema_of(built)["constraints"]


def test_the_fixture_refuses_a_respondent_twice_in_a_year_as_production_does(tmp_path: Path) -> None:
    # the same respondent id under two companies: two respondent rows for one (year, respondent_id)
    duplicated = answers([("r1", "c1", "Q01"), ("r1", "c2", "Q01")])
    with pytest.raises(duckdb.ConstraintException, match="duplicate key"):
        build_raw_warehouse(tmp_path / "fixture.duckdb", duplicated)
    with pytest.raises(duckdb.ConstraintException):  # and explicitly given respondents likewise
        build_raw_warehouse(
            tmp_path / "fixture.duckdb",
            answers([("r1", "c1", "Q01")]),
            pd.DataFrame({"year": [2024, 2024], "company_id": ["c1", "c1"], "respondent_id": ["r1", "r1"]}),
        )
