"""Leak test: personal data planted in a survey export never reaches a published file.

Unique marker strings go into the personal-data columns of canonical CSV exports (name, e-mail, IP address, free-text
comments) and into the respondent ids; the exports are ingested (orchestration.ingest.sync_year), built (dbt) and
released (orchestration.release.write_release); then every file of the release (DuckDB, Parquet, CSV, manifest) is
searched byte by byte for every marker, in UTF-8 and UTF-16 (DuckDB and Parquet may store strings either way).
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from orchestration.ingest import Reference, sync_year
from orchestration.release import write_release

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
from dbt_run import dbt_build, query  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
ITEMS = pd.read_csv(REPO / "seeds" / "items.csv")
YEAR = 2025
SIZES = {"nordlys_bank": 12, "fjord_sparebank": 9, "kyst_sparebank": 8, "fjelltele": 7}


def _exports(folder: Path) -> list[str]:
    rng = np.random.default_rng(99)
    markers = []
    for company, size in SIZES.items():
        rows = []
        for r in range(size):
            tag = f"{company[:4].upper()}{r:02d}"
            marker = {
                "respondent_id": f"RID-LEAKMARK-{tag}",
                "name": f"Kari LEAKNAME{tag} Nordmann",
                "email": f"leakmail{tag.lower()}@example.no",
                "ip_address": f"10.99.{len(markers) % 250}.{r + 1}",
                "comments": f"Sjefen min LEAKCOMMENT{tag} er urettferdig",
            }
            markers += [marker["respondent_id"], marker["name"], marker["email"], marker["comments"]]
            markers.append(marker["ip_address"])
            answers = {
                item.item_id: int(rng.integers(item.scale_min, item.scale_max + 1)) for item in ITEMS.itertuples()
            }
            rows.append({**marker, "company": company, "department": "Kundeservice" if r % 2 else "Drift", **answers})
        pd.DataFrame(rows).to_csv(folder / f"{company}.csv", index=False)
    return markers


def test_no_personal_data_in_any_published_file(tmp_path: Path) -> None:
    landing = tmp_path / "landing" / str(YEAR)
    landing.mkdir(parents=True)
    markers = _exports(landing)
    warehouse = tmp_path / "warehouse.duckdb"
    report = sync_year(warehouse, landing, YEAR, Reference.from_seeds(REPO / "seeds"), b"leak-test-key")
    assert report.ok, report.errors()
    assert report.n_respondents == sum(SIZES.values())

    result = dbt_build(warehouse, tmp_path)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert len(query(warehouse, "select * from published.company_scores where not suppressed")) > 0

    release = write_release(
        warehouse_path=str(warehouse),
        releases_dir=str(tmp_path / "releases"),
        year=YEAR,
        thresholds={"min_respondents": 5, "min_companies": 3, "max_company_share": 0.5},
        checks=[],
    )
    files = [p for p in Path(release.path).resolve().rglob("*") if p.is_file()]
    kinds = {p.suffix for p in files}
    assert {".duckdb", ".parquet", ".csv", ".json"} <= kinds
    assert any(p.name == "subgroup_scores.parquet" for p in files)
    # DuckDB and Parquet compress strings, so their bytes would hide a leak: search their values instead
    texts = {str(path): _published_text(path) for path in files}  # every package's files, by their full path
    found = [(name, m) for name, text in texts.items() for m in markers if m.lower() in text]
    assert not found, found[:10]
    # control: the search does see strings that are published (a department name in subgroup_scores)
    for suffix in (".duckdb", ".parquet", ".csv"):
        assert any("kundeservice" in texts[str(p)] for p in files if p.suffix == suffix), suffix
    # and the planted data did not reach the warehouse either (dropped when the export was read)
    warehouse_text = _duckdb_text(warehouse)
    assert "kundeservice" in warehouse_text  # control
    assert not [m for m in markers if "LEAK" in m and m.lower() in warehouse_text]


def _duckdb_text(path: Path) -> str:
    """Every table, column name and value of a DuckDB file, as lower-case text."""
    parts = []
    with duckdb.connect(str(path), read_only=True) as con:
        columns = con.execute(
            "select schema_name, table_name, column_name from duckdb_columns() "
            "where database_name = current_database() and not internal"
        ).fetchall()
        for schema, table, column in columns:
            parts += [schema, table, column]
            values = con.execute(
                f'select distinct cast("{column}" as varchar) from "{schema}"."{table}" where "{column}" is not null'
            ).fetchall()
            parts += [value for (value,) in values]
    return "\n".join(parts).lower()


def _published_text(path: Path) -> str:
    """A published file's content as lower-case text: DuckDB and Parquet by their values, the rest decoded."""
    if path.suffix == ".duckdb":
        return _duckdb_text(path)
    if path.suffix == ".parquet":
        frame = pd.read_parquet(path)
        return "\n".join([*frame.columns, *frame.astype(str).to_numpy().ravel()]).lower()
    content = path.read_bytes()
    return "\n".join(content.decode(encoding, errors="ignore") for encoding in ("utf-8", "utf-16-le")).lower()


def test_the_pseudonym_key_never_shows_in_the_launchpad(monkeypatch) -> None:
    """A deployment's HMAC key goes in by reference: the run config that the launchpad scaffolds (and that a launch
    from the UI stores with the run) names the variable, never the key; the runs themselves get the key."""
    import dagster as dg

    from orchestration.definitions import build_definitions, configured_paths

    monkeypatch.setenv("MEDARBEIDERINDEKS_PSEUDONYM_KEY", "KEYLEAKMARK-9f3c")
    paths = configured_paths()
    job = build_definitions(paths).resolve_job_def("yearly_index_release")
    scaffold = job.run_config_schema.config_type.fields["resources"].config_type.fields["paths"].default_value
    assert "KEYLEAKMARK" not in repr(scaffold)
    assert scaffold["config"]["pseudonym_key"] == {"env": "MEDARBEIDERINDEKS_PSEUDONYM_KEY"}
    with dg.build_resources({"paths": paths}) as resources:
        assert resources.paths.pseudonym_key == "KEYLEAKMARK-9f3c"
