"""Syncing a year folder into raw.*: per-file transactions, skips, duplicates, withdrawals, failures."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.ingest import Reference, sync_year
from orchestration.ingest.loader import DDL, RAW_TABLES

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
EXPORTS = Path(__file__).parent / "fixtures" / "exports"
KEY = b"test-key"
YEAR = 2023
OTHER = "respondent_id;company;Q01;Q02\r\nx-1;Fjelltele;4;5\r\nx-2;Fjelltele;3;Vet ikke\r\nx-3;Signal Norge;6;\r\n"


@pytest.fixture(scope="module")
def reference() -> Reference:
    return Reference.from_seeds(SEEDS)


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    folder = tmp_path / "landing" / str(YEAR)
    folder.mkdir(parents=True)
    shutil.copy(EXPORTS / "canonical.csv", folder / "nordlys.csv")
    (folder / "fjell.csv").write_text(OTHER, encoding="utf-8")
    return folder


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return tmp_path / "warehouse" / "medarbeiderindeks.duckdb"


def sync(warehouse: Path, landing: Path, reference: Reference):
    return sync_year(warehouse, landing, YEAR, reference, KEY)


def snapshot(warehouse: Path) -> dict[str, tuple[int, str]]:
    """Row count and a checksum over every column (load metadata included) of each raw table."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            table: con.execute(
                "select count(*), coalesce(md5(string_agg(r, chr(10) order by r)), '') "
                f"from (select cast(t as varchar) as r from raw.{table} as t)"
            ).fetchone()
            for table in RAW_TABLES
        }


def query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_first_sync_loads_every_export_with_load_metadata(warehouse: Path, landing: Path, reference: Reference):
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    report = sync(warehouse, landing, reference)
    assert report.ok and report.errors() == []
    assert sorted(f.file_name for f in report.loaded) == ["fjell.csv", "nordlys.csv"]
    assert (report.n_respondents, report.n_answers) == (8, 21 + 5)
    counts = {t: n for t, (n, _) in snapshot(warehouse).items()}
    assert counts == {"survey_exports": 2, "respondents": 8, "answers": 26}
    exports = query(
        warehouse,
        "select file_name, source_format, n_respondents, n_answers, load_id, loaded_at, file_sha256 "
        "from raw.survey_exports order by file_name",
    )
    assert [e[:4] for e in exports] == [("fjell.csv", "csv", 3, 5), ("nordlys.csv", "csv", 5, 21)]
    assert {e[4] for e in exports} == {report.load_id} and len(report.load_id) == 32
    assert before <= exports[0][5] <= dt.datetime.now(dt.UTC).replace(tzinfo=None)
    respondents = query(warehouse, "select distinct file_name, file_sha256, load_id from raw.respondents order by 1")
    assert respondents == [(e[0], e[6], e[4]) for e in exports]
    # an answer's load metadata is its export's row
    answers = query(
        warehouse,
        "select distinct a.file_name, e.file_sha256, e.load_id from raw.answers as a "
        "left join raw.survey_exports as e using (year, file_name) order by 1",
    )
    assert answers == [(e[0], e[6], e[4]) for e in exports]


def test_resync_of_an_unchanged_folder_changes_nothing(warehouse: Path, landing: Path, reference: Reference):
    sync(warehouse, landing, reference)
    first = snapshot(warehouse)
    report = sync(warehouse, landing, reference)
    assert sorted(f.file_name for f in report.skipped) == ["fjell.csv", "nordlys.csv"]
    assert not report.loaded and not report.changed
    assert snapshot(warehouse) == first


def test_pseudonyms_are_stable_across_warehouses(tmp_path: Path, landing: Path, reference: Reference):
    ids = []
    for name in ("a.duckdb", "b.duckdb"):
        sync(tmp_path / name, landing, reference)
        ids.append(query(tmp_path / name, "select respondent_id from raw.respondents order by 1"))
    assert ids[0] == ids[1]


def test_a_corrected_file_replaces_its_rows(warehouse: Path, landing: Path, reference: Reference):
    sync(warehouse, landing, reference)
    untouched = query(warehouse, "select * from raw.answers where file_name = 'nordlys.csv' order by all")
    (landing / "fjell.csv").write_text(OTHER.replace("x-3;Signal Norge;6;", "x-3;Signal Norge;2;1"), encoding="utf-8")
    report = sync(warehouse, landing, reference)
    assert [f.file_name for f in report.loaded] == ["fjell.csv"]
    assert [f.file_name for f in report.skipped] == ["nordlys.csv"]
    rows = query(
        warehouse,
        "select item_id, answer_value from raw.answers a join raw.respondents r using (respondent_id) "
        "where r.company_id = 'signal_norge' order by item_id",
    )
    assert rows == [("Q01", 2.0), ("Q02", 1.0)]
    assert query(warehouse, "select count(*) from raw.answers where file_name = 'fjell.csv'") == [(6,)]
    assert query(warehouse, "select count(distinct load_id) from raw.survey_exports") == [(2,)]
    assert query(warehouse, "select * from raw.answers where file_name = 'nordlys.csv' order by all") == untouched


def test_a_duplicate_under_another_name_is_not_loaded_twice(warehouse: Path, landing: Path, reference: Reference):
    sync(warehouse, landing, reference)
    before = snapshot(warehouse)
    shutil.copy(landing / "nordlys.csv", landing / "nordlys (1).csv")
    report = sync(warehouse, landing, reference)
    assert [(f.file_name, f.duplicate_of) for f in report.duplicates] == [("nordlys (1).csv", "nordlys.csv")]
    assert report.ok and snapshot(warehouse) == before


def test_two_new_identical_files_load_once(warehouse: Path, landing: Path, reference: Reference):
    shutil.copy(landing / "fjell.csv", landing / "zz_fjell_copy.csv")
    report = sync(warehouse, landing, reference)
    assert [(f.file_name, f.duplicate_of) for f in report.duplicates] == [("zz_fjell_copy.csv", "fjell.csv")]
    assert query(warehouse, "select count(*) from raw.respondents") == [(8,)]


def test_a_removed_file_is_withdrawn(warehouse: Path, landing: Path, reference: Reference):
    sync(warehouse, landing, reference)
    (landing / "fjell.csv").unlink()
    report = sync(warehouse, landing, reference)
    assert [f.file_name for f in report.withdrawn] == ["fjell.csv"]
    for table in RAW_TABLES:
        assert query(warehouse, f"select count(*) from raw.{table} where file_name = 'fjell.csv'") == [(0,)]
    assert query(warehouse, "select count(*) from raw.respondents") == [(5,)]


def test_a_renamed_file_moves_its_rows(warehouse: Path, landing: Path, reference: Reference):
    sync(warehouse, landing, reference)
    (landing / "fjell.csv").rename(landing / "fjelltele.csv")
    report = sync(warehouse, landing, reference)
    assert [f.file_name for f in report.withdrawn] == ["fjell.csv"]
    assert [f.file_name for f in report.loaded] == ["fjelltele.csv"]
    assert query(warehouse, "select count(*) from raw.respondents where file_name = 'fjelltele.csv'") == [(3,)]


# raw.answers as warehouses created before it left its load metadata to raw.survey_exports hold it (the other raw
# tables are as they were: the current DDL creates them)
OLD_ANSWERS_DDL = """
create schema if not exists raw;
create table raw.answers (
    year integer not null,
    respondent_id varchar not null,
    company_id varchar not null,
    item_id varchar not null,
    source_column varchar not null,
    answer_value double,
    is_dont_know boolean not null,
    file_name varchar not null,
    file_sha256 varchar not null,
    load_id varchar not null,
    loaded_at timestamp not null
);
"""
KEPT_ANSWER_COLUMNS = "year, respondent_id, company_id, item_id, source_column, answer_value, is_dont_know, file_name"


def answers_columns(warehouse: Path) -> list[tuple]:
    return query(
        warehouse,
        "select column_name, data_type, is_nullable from duckdb_columns() "
        "where schema_name = 'raw' and table_name = 'answers' order by column_index",
    )


def test_a_warehouse_with_the_old_answers_table_is_migrated_by_the_next_sync(
    warehouse: Path, landing: Path, reference: Reference, tmp_path: Path
):
    # the old warehouse holds what a load of the folder wrote then: each answer with its export's metadata
    current = tmp_path / "current.duckdb"
    sync(current, landing, reference)
    warehouse.parent.mkdir(parents=True)
    with duckdb.connect(str(warehouse)) as con:
        con.execute(OLD_ANSWERS_DDL)
        con.execute(DDL)  # the tables not there yet: survey_exports and respondents
        con.execute(f"attach '{current}' as current (read_only)")
        con.execute("insert into raw.survey_exports select * from current.raw.survey_exports")
        con.execute("insert into raw.respondents select * from current.raw.respondents")
        con.execute(
            f"insert into raw.answers select {KEPT_ANSWER_COLUMNS}, e.file_sha256, e.load_id, e.loaded_at "
            "from current.raw.answers join current.raw.survey_exports as e using (year, file_name)"
        )
    kept_answers = f"select {KEPT_ANSWER_COLUMNS} from raw.answers where file_name != 'signal.csv' order by all"
    kept_respondents = "select * from raw.respondents where file_name != 'signal.csv' order by all"
    old_answers, old_respondents = query(warehouse, kept_answers), query(warehouse, kept_respondents)
    assert len(old_answers) == 26 and len(answers_columns(warehouse)) == 11

    (landing / "signal.csv").write_text("respondent_id;company;Q01\r\ns-1;Signal Norge;5\r\n", encoding="utf-8")
    report = sync(warehouse, landing, reference)
    assert report.ok and [f.file_name for f in report.loaded] == ["signal.csv"]
    assert sorted(f.file_name for f in report.skipped) == ["fjell.csv", "nordlys.csv"]
    assert answers_columns(warehouse) == answers_columns(current)  # the three columns are gone
    assert query(warehouse, kept_answers) == old_answers
    assert query(warehouse, kept_respondents) == old_respondents
    assert query(warehouse, "select item_id, answer_value from raw.answers where file_name = 'signal.csv'") == [
        ("Q01", 5.0)
    ]
    migrated = snapshot(warehouse)
    assert not sync(warehouse, landing, reference).changed and snapshot(warehouse) == migrated  # nothing left to do


BAD_VERSIONS = {
    "out of range": OTHER.replace("x-2;Fjelltele;3;", "x-2;Fjelltele;7;"),
    "unknown label": OTHER.replace("Vet ikke", "Kanskje"),
    "unknown company": OTHER.replace("Signal Norge", "Signal Sverige"),
    "duplicate id": OTHER.replace("x-3", "x-1"),
    "unknown question": OTHER.replace(";Q02", ";Q99"),
    "no respondent id column": OTHER.replace("respondent_id;", "person;"),
    "empty": "",
}


@pytest.mark.parametrize("case", list(BAD_VERSIONS))
def test_a_bad_file_fails_alone_and_keeps_its_previous_rows(
    case: str, warehouse: Path, landing: Path, reference: Reference
):
    sync(warehouse, landing, reference)
    before = snapshot(warehouse)
    (landing / "fjell.csv").write_text(BAD_VERSIONS[case], encoding="utf-8")
    report = sync(warehouse, landing, reference)
    assert not report.ok
    assert [f.file_name for f in report.failed] == ["fjell.csv"]
    assert report.errors()[0].startswith("fjell.csv"), report.errors()
    assert snapshot(warehouse) == before
    again = sync(warehouse, landing, reference)  # still failing, still reported, still nothing changed
    assert [f.file_name for f in again.failed] == ["fjell.csv"] and snapshot(warehouse) == before


def test_other_files_still_load_beside_a_bad_one(warehouse: Path, landing: Path, reference: Reference):
    (landing / "fjell.csv").write_text(BAD_VERSIONS["out of range"], encoding="utf-8")
    report = sync(warehouse, landing, reference)
    assert [f.file_name for f in report.loaded] == ["nordlys.csv"]
    error = report.failed[0].error
    assert "fjell.csv, data row 2, column 'Q01'" in error
    assert query(warehouse, "select count(*) from raw.survey_exports") == [(1,)]
    assert "failed fjell.csv" in report.summary()


def test_a_respondent_in_two_files_is_rejected(warehouse: Path, landing: Path, reference: Reference):
    (landing / "later.csv").write_text("respondent_id,company,Q01\nr-0003,Fjelltele,4\n", encoding="utf-8")
    report = sync(warehouse, landing, reference)
    failed = {f.file_name: f.error for f in report.failed}
    assert list(failed) == ["nordlys.csv"]  # later.csv sorts first and loaded r-0003
    error = failed["nordlys.csv"]
    assert "nordlys.csv, data row 3" in error and "'later.csv'" in error
    assert "already loaded" in error and "column 'respondent_id'" in error and "r-0003" not in error


def test_every_format_loads_and_personal_data_never_reaches_the_raw_tables(tmp_path: Path, reference: Reference):
    personal = ["kari@example.no", "Kari Nordmann", "10.0.0.1", "Travel dag", "Per Ås", "Bra ledelse", "r-0001"]
    for name in ("canonical.csv", "labels_nb_cp1252.csv", "labels_en_bom_crlf.csv", "export.xlsx", "export.sav"):
        folder = tmp_path / name / str(YEAR)
        folder.mkdir(parents=True)
        shutil.copy(EXPORTS / name, folder / name)
        warehouse = tmp_path / name / "w.duckdb"
        report = sync(warehouse, folder, reference)
        assert [f.file_name for f in report.loaded] == [name], report.summary()
        with duckdb.connect(str(warehouse), read_only=True) as con:
            columns = {
                c
                for (c,) in con.execute("select column_name from duckdb_columns() where schema_name = 'raw'").fetchall()
            }
            assert not columns & {"email", "name", "ip_address", "comment", "Kommentar", "Navn", "E-post"}
            for table in RAW_TABLES:
                text = con.execute(f"select string_agg(cast(t as varchar), chr(10)) from raw.{table} t").fetchone()[0]
                for value in personal:
                    assert value not in text, (name, table, value)


def test_sub_folders_hidden_and_non_export_files(warehouse: Path, landing: Path, reference: Reference):
    (landing / "extra").mkdir()
    (landing / "extra" / "vern.csv").write_text("respondent_id,company,Q01\nv-1,Vern Forsikring,3\n", encoding="utf-8")
    (landing / ".hidden.csv").write_text("junk", encoding="utf-8")
    (landing / "~$nordlys.xlsx").write_bytes(b"lock")
    (landing / "README.md").write_text("notes", encoding="utf-8")
    report = sync(warehouse, landing, reference)
    assert sorted(f.file_name for f in report.loaded) == ["extra/vern.csv", "fjell.csv", "nordlys.csv"]
    assert [f.file_name for f in report.ignored] == ["README.md"]
    assert report.ok


def test_a_missing_year_folder_raises_instead_of_withdrawing(warehouse: Path, landing: Path, reference: Reference):
    sync(warehouse, landing, reference)
    with pytest.raises(FileNotFoundError):
        sync_year(warehouse, landing.parent / "2099", YEAR, reference, KEY)
    assert snapshot(warehouse)["respondents"][0] == 8


def test_years_are_independent(warehouse: Path, landing: Path, reference: Reference, tmp_path: Path):
    sync(warehouse, landing, reference)
    other_year = tmp_path / "landing" / "2024"
    other_year.mkdir()
    (other_year / "fjell.csv").write_text(OTHER, encoding="utf-8")
    report = sync_year(warehouse, other_year, 2024, reference, KEY)
    assert [f.file_name for f in report.loaded] == ["fjell.csv"]
    assert query(warehouse, "select year, count(*) from raw.respondents group by year order by year") == [
        (2023, 8),
        (2024, 3),
    ]
