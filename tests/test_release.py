"""The release writer: contract layout, checksums, atomic publication and refusal of respondent-level data."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchestration.release import ReleaseError, write_release

THRESHOLDS = {"min_respondents": 5, "min_companies": 3, "max_company_share": 0.5}


def _warehouse(path: Path, extra_sql: str = "") -> str:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema published")
        con.execute(
            "create table published.company_scores as select * from (values "
            "(2024, 'a', 'index', 'overall', 61.5), (2025, 'a', 'index', 'overall', 63.0), "
            "(2025, 'b', 'index', 'overall', 58.25)) t(year, company_id, measure_type, measure_id, index_0_100)"
        )
        con.execute("create table published.themes as select 2025 as year, 'culture' as theme_id")
        if extra_sql:
            con.execute(extra_sql)
    return str(path)


def _publish(tmp_path: Path, warehouse: str) -> object:
    return write_release(
        warehouse_path=warehouse,
        releases_dir=str(tmp_path / "releases"),
        year=2025,
        thresholds=THRESHOLDS,
        checks=[{"asset": "company_scores", "check": "company_scores_publishable", "passed": True}],
    )


def test_release_holds_only_the_year_in_every_format_with_checksums(tmp_path: Path) -> None:
    release = _publish(tmp_path, _warehouse(tmp_path / "wh.duckdb"))
    root = tmp_path / "releases" / "2025"
    assert root.is_symlink() and release.path == root

    with duckdb.connect(str(root / "medarbeiderindeks_2025.duckdb"), read_only=True) as con:
        rows = con.execute("select company_id, index_0_100 from published.company_scores order by 1").fetchall()
    assert rows == [("a", 63.0), ("b", 58.25)]
    assert pd.read_parquet(root / "parquet" / "company_scores.parquet")["year"].tolist() == [2025, 2025]
    assert pd.read_csv(root / "csv" / "themes.csv").to_dict("records") == [{"year": 2025, "theme_id": "culture"}]

    manifest = json.loads((root / "manifest.json").read_text())
    assert manifest["year"] == 2025 and manifest["thresholds"] == THRESHOLDS
    assert manifest["tables"]["company_scores"]["rows"] == 2
    assert manifest["checks"][0]["passed"] is True
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((root / name).read_bytes()).hexdigest() == digest
    assert set(manifest["files"]) == {
        "medarbeiderindeks_2025.duckdb",
        "parquet/company_scores.parquet",
        "parquet/themes.parquet",
        "csv/company_scores.csv",
        "csv/themes.csv",
    }


def test_failed_release_leaves_the_previous_one_untouched(tmp_path: Path) -> None:
    first = _publish(tmp_path, _warehouse(tmp_path / "wh.duckdb"))
    before = {p: p.read_bytes() for p in (tmp_path / "releases" / "2025").resolve().rglob("*") if p.is_file()}

    leaky = _warehouse(
        tmp_path / "leaky.duckdb", "create table published.answers as select 2025 as year, 'r-1' as respondent_id"
    )
    with pytest.raises(ReleaseError, match="respondent_id"):
        _publish(tmp_path, leaky)

    current = (tmp_path / "releases" / "2025").resolve()
    assert current.name == first.release_id
    assert {p: p.read_bytes() for p in current.rglob("*") if p.is_file()} == before
    versions = list((tmp_path / "releases" / ".versions" / "2025").iterdir())
    assert [v.name for v in versions] == [first.release_id]  # no half-written version left behind


def test_a_new_release_replaces_the_link_and_keeps_the_old_version(tmp_path: Path) -> None:
    warehouse = _warehouse(tmp_path / "wh.duckdb")
    first = _publish(tmp_path, warehouse)
    second = _publish(tmp_path, warehouse)
    assert (tmp_path / "releases" / "2025").resolve().name == second.release_id
    assert (tmp_path / "releases" / ".versions" / "2025" / first.release_id / "manifest.json").is_file()
