"""The release writer: one package per audience, contract layout, checksums, atomic publication, and refusal of
respondent-level data."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchestration.release import ReleaseError, discard_staged, stage_release, write_release

THRESHOLDS = {"min_respondents": 5, "min_companies": 3, "max_company_share": 0.5}


def _warehouse(path: Path, extra_sql: str = "") -> str:
    """Two participants a (published) and b (suppressed), a benchmark with percentiles, distributions per scope."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema published")
        con.execute(
            "create table published.company_scores as select * from (values "
            "(2024, 'a', 'index', 'overall', 61.5, false, null), (2025, 'a', 'index', 'overall', 63.0, false, null), "
            "(2025, 'b', 'index', 'overall', null, true, 'min_respondents')) "
            "t(year, company_id, measure_type, measure_id, index_0_100, suppressed, suppression_reason)"
        )
        con.execute(
            "create table published.companies as select * from (values (2025, 'a', 'A AS'), (2025, 'b', 'B ASA')) "
            "t(year, company_id, company_name)"
        )
        con.execute(
            "create table published.benchmarks as select 2025 as year, 'all' as benchmark_id, 60.0 as index_0_100, "
            "58.5 as p50, 40.0 as max_company_share_pct, false as suppressed, "
            "cast(null as varchar) as suppression_reason"
        )
        con.execute(
            "create table published.answer_distribution as select * from (values "
            "(2025, 'company', 'a', 3), (2025, 'company', 'b', null), (2025, 'national', 'all', 9)) "
            "t(year, scope, scope_id, n)"
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
        audit={"passed": True},
    )


def _tables(package: Path) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(package / "medarbeiderindeks_2025.duckdb"), read_only=True) as con:
        names = [r[0] for r in con.execute("select table_name from duckdb_tables() order by 1").fetchall()]
        return {name: con.execute(f"select * from published.{name}").df() for name in names}


def test_every_audience_gets_its_own_package_in_every_format_with_checksums(tmp_path: Path) -> None:
    release = _publish(tmp_path, _warehouse(tmp_path / "wh.duckdb"))
    root = tmp_path / "releases" / "2025"
    assert root.is_symlink() and release.path == root
    assert sorted(p.name for p in root.iterdir()) == ["companies", "internal", "manifest.json", "public"]
    assert sorted(p.name for p in (root / "companies").iterdir()) == ["a", "b"]

    manifest = json.loads((root / "manifest.json").read_text())
    assert manifest["year"] == 2025 and manifest["thresholds"] == THRESHOLDS and manifest["audit"] == {"passed": True}
    assert sorted(manifest["packages"]) == ["companies/a", "companies/b", "internal", "public"]
    assert manifest["checks"][0]["passed"] is True
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((root / name).read_bytes()).hexdigest() == digest

    internal = root / "internal"
    package_manifest = json.loads((internal / "manifest.json").read_text())
    assert package_manifest["audience"] == "internal"
    assert set(package_manifest["files"]) == {
        "medarbeiderindeks_2025.duckdb",
        *(
            f"{kind}/{t}.{ext}"
            for kind, ext in (("parquet", "parquet"), ("csv", "csv"))
            for t in package_manifest["tables"]
        ),
    }
    assert pd.read_parquet(internal / "parquet" / "company_scores.parquet")["year"].tolist() == [2025, 2025]
    assert pd.read_csv(internal / "csv" / "themes.csv").to_dict("records") == [{"year": 2025, "theme_id": "culture"}]


def test_public_package_names_no_company_and_withholds_company_level_spread(tmp_path: Path) -> None:
    _publish(tmp_path, _warehouse(tmp_path / "wh.duckdb"))
    public = _tables(tmp_path / "releases" / "2025" / "public")
    assert "company_scores" not in public and "companies" not in public
    assert public["answer_distribution"]["scope"].tolist() == ["national"]
    benchmark = public["benchmarks"].iloc[0]
    assert benchmark["index_0_100"] == 60.0
    assert pd.isna(benchmark["p50"]) and pd.isna(benchmark["max_company_share_pct"])


def test_a_company_package_holds_its_own_rows_and_the_benchmarks_only(tmp_path: Path) -> None:
    _publish(tmp_path, _warehouse(tmp_path / "wh.duckdb"))
    own = _tables(tmp_path / "releases" / "2025" / "companies" / "a")
    assert own["company_scores"]["company_id"].tolist() == ["a"]
    assert own["companies"]["company_name"].tolist() == ["A AS"]
    assert sorted(own["answer_distribution"]["scope_id"]) == ["a", "all"]
    assert pd.isna(own["benchmarks"].iloc[0]["p50"])
    internal = _tables(tmp_path / "releases" / "2025" / "internal")
    assert internal["benchmarks"].iloc[0]["p50"] == 58.5
    assert sorted(internal["company_scores"]["company_id"]) == ["a", "b"]


def test_each_package_counts_only_its_own_suppressed_cells(tmp_path: Path) -> None:
    _publish(tmp_path, _warehouse(tmp_path / "wh.duckdb"))
    root = tmp_path / "releases" / "2025"
    summaries = {name: _tables(root / name)["suppression_summary"] for name in ("internal", "companies/a", "public")}
    assert summaries["internal"][["table_name", "suppression_reason", "n_cells"]].values.tolist() == [
        ["company_scores", "min_respondents", 1]
    ]
    assert summaries["companies/a"].empty and summaries["public"].empty


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


def test_a_discarded_staged_release_is_never_visible(tmp_path: Path) -> None:
    staged = stage_release(
        warehouse_path=_warehouse(tmp_path / "wh.duckdb"), releases_dir=str(tmp_path / "releases"), year=2025
    )
    assert (staged.path / "public" / "manifest.json").is_file()
    assert not (tmp_path / "releases" / "2025").exists()
    discard_staged(staged)
    assert list((tmp_path / "releases" / ".versions" / "2025").iterdir()) == []


def test_a_new_release_replaces_the_link_and_keeps_the_old_version(tmp_path: Path) -> None:
    warehouse = _warehouse(tmp_path / "wh.duckdb")
    first = _publish(tmp_path, warehouse)
    second = _publish(tmp_path, warehouse)
    assert (tmp_path / "releases" / "2025").resolve().name == second.release_id
    assert (tmp_path / "releases" / ".versions" / "2025" / first.release_id / "manifest.json").is_file()
