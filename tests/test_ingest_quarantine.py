"""Bad input: a file that cannot be trusted is quarantined with an error record, reported (the year stays blocked),
and the other files still load; a corrected file or a withdrawal clears it. Errors never show answers or personal
data."""

from __future__ import annotations

import errno
import json
import os
import shutil
import zipfile
from pathlib import Path

import duckdb
import openpyxl
import pytest

from orchestration.ingest import Reference, sync_year
from orchestration.ingest.loader import ERROR_SUFFIX, QUARANTINE_DIR, _safe_target, quarantine_entries

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
KEY = b"test-key"
YEAR = 2023
GOOD = "respondent_id;company;Q01;Q02\r\nn-1;Nordlys Bank;4;5\r\nn-2;Nordlys Bank;3;Vet ikke\r\n"
HEADER = "respondent_id,company,email,Q01,Q02"
ROWS = ["s-1001,Fjelltele,kari@example.no,4,5", "s-1002,Fjelltele,ola@example.no,3,2", "s-1003,Signal Norge,,6,1"]
# Respondent ids, personal data, and the bad answers themselves ("Sånn passe" an unknown label, 7 and 0 off the scale)
SECRETS = ["s-1001", "s-1002", "s-1003", "kari@example.no", "ola@example.no", "Sånn passe", "'7'", "'0'"]


@pytest.fixture(scope="module")
def reference() -> Reference:
    return Reference.from_seeds(SEEDS)


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    folder = tmp_path / "landing" / str(YEAR)
    folder.mkdir(parents=True)
    (folder / "nordlys.csv").write_text(GOOD, encoding="utf-8")
    return folder


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return tmp_path / "warehouse.duckdb"


def sync(warehouse: Path, landing: Path, reference: Reference):
    return sync_year(warehouse, landing, YEAR, reference, KEY)


def csv_text(header: str = HEADER, rows: list[str] = ROWS) -> str:
    return "\n".join([header, *rows]) + "\n"


def replace_row(n: int, row: str) -> list[str]:
    return [row if i == n else r for i, r in enumerate(ROWS, start=1)]


def formula_workbook(path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["respondent_id", "company", "Q01"])
    sheet.append(["s-1001", "Fjelltele", 4])
    sheet.append(["s-1002", "Fjelltele", "=B2+1"])
    book.save(path)


def broken_sheet_workbook(path: Path) -> None:
    """A real .xlsx whose first sheet's XML is cut off: openpyxl opens it and fails while reading the rows."""
    formula_workbook(path.with_suffix(".tmp"))
    with zipfile.ZipFile(path.with_suffix(".tmp")) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item, data[: len(data) // 2] if item.filename == "xl/worksheets/sheet1.xml" else data)
    path.with_suffix(".tmp").unlink()


def binary(path: Path) -> None:
    path.write_bytes(bytes(range(256)) * 40)


# case → (file name, how to write it, expected column, expected data rows, words of the error)
CASES = {
    "unknown question column": (
        "signal.csv",
        lambda p: p.write_text(csv_text(HEADER + ",Q99", [r + ",3" for r in ROWS]), encoding="utf-8"),
        "Q99",
        [],
        ["maps to no item_id for 2023"],
    ),
    "missing respondent id": (
        "signal.csv",
        lambda p: p.write_text(csv_text(rows=replace_row(2, ",Fjelltele,ola@example.no,3,2")), encoding="utf-8"),
        "respondent_id",
        [2],
        ["missing respondent id"],
    ),
    "no respondent id column": (
        "signal.csv",
        lambda p: p.write_text(csv_text("company,email,Q01,Q02", [r.split(",", 1)[1] for r in ROWS]), encoding="utf-8"),
        "respondent_id",
        [],
        ["no respondent_id column"],
    ),
    "no company column": (
        "signal.csv",
        lambda p: p.write_text(
            csv_text("respondent_id,email,Q01,Q02", [",".join(r.split(",")[:1] + r.split(",")[2:]) for r in ROWS]),
            encoding="utf-8",
        ),
        "company",
        [],
        ["no company column"],
    ),
    "value 7 on a 1-6 item": (
        "signal.csv",
        lambda p: p.write_text(csv_text(rows=replace_row(3, "s-1003,Signal Norge,,7,1")), encoding="utf-8"),
        "Q01",
        [3],
        ["invalid answer (a number outside the scale)", "from 1 to 6"],
    ),
    "value 0 on a 1-6 item": (
        "signal.csv",
        lambda p: p.write_text(csv_text(rows=replace_row(1, "s-1001,Fjelltele,kari@example.no,4,0")), encoding="utf-8"),
        "Q02",
        [1],
        ["invalid answer (a number outside the scale)", "from 1 to 6"],
    ),
    "unknown answer label": (
        "signal.csv",
        lambda p: p.write_text(csv_text(rows=replace_row(2, "s-1002,Fjelltele,,Sånn passe,2")), encoding="utf-8"),
        "Q01",
        [2],
        ["unknown answer label"],
    ),
    "duplicate respondent ids": (
        "signal.csv",
        lambda p: p.write_text(csv_text(rows=replace_row(3, "s-1001,Signal Norge,,6,1")), encoding="utf-8"),
        "respondent_id",
        [1, 3],
        ["duplicate respondent id"],
    ),
    "unknown company": (
        "signal.csv",
        lambda p: p.write_text(csv_text(rows=replace_row(3, "s-1003,Signal Sverige,,6,1")), encoding="utf-8"),
        "company",
        [3],
        ["unknown company 'Signal Sverige'"],
    ),
    "empty file": ("signal.csv", lambda p: p.write_bytes(b""), None, [], ["empty"]),
    "header only": (
        "signal.csv",
        lambda p: p.write_text(HEADER + "\n", encoding="utf-8"),
        None,
        [],
        ["no respondent rows"],
    ),
    "truncated last line": (
        "signal.csv",
        lambda p: p.write_text(csv_text()[:-12], encoding="utf-8"),  # '…,Signal Norge,,6,1\n' cut mid-row
        None,
        [3],
        ["truncated"],
    ),
    "truncated inside a quoted value": (
        "signal.csv",
        lambda p: p.write_text(csv_text() + 's-1004,"Signal', encoding="utf-8"),
        None,
        [4],
        ["truncated"],
    ),
    "ragged row": (
        "signal.csv",
        lambda p: p.write_text(csv_text(rows=replace_row(2, "s-1002,Fjelltele,,3,2,extra")), encoding="utf-8"),
        None,
        [2],
        ["6 fields where the header has 5"],
    ),
    "binary file named .csv": ("signal.csv", binary, None, [], ["binary data"]),
    "workbook named .csv": (
        "signal.csv",
        lambda p: (formula_workbook(p.with_suffix(".tmp")), os.replace(p.with_suffix(".tmp"), p)),
        None,
        [],
        ["not a text CSV"],
    ),
    "spreadsheet with a formula": ("signal.xlsx", formula_workbook, None, [], ["cell C3", "formula"]),
    "broken workbook": (
        "signal.xlsx",
        lambda p: p.write_bytes(b"PK\x03\x04 not really a zip"),
        None,
        [],
        ["cannot read the workbook"],
    ),
    "workbook with a broken sheet": ("signal.xlsx", broken_sheet_workbook, None, [], ["cannot read the workbook"]),
    "name with dots and spaces": (
        "..  signal  ..v2 (kopi).csv".lstrip("."),
        lambda p: p.write_text(csv_text(rows=replace_row(3, "s-1003,Signal Norge,,7,1")), encoding="utf-8"),
        "Q01",
        [3],
        ["invalid answer (a number outside the scale)"],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_file_is_quarantined_reported_and_blocks_the_year(
    case: str, warehouse: Path, landing: Path, reference: Reference
) -> None:
    name, write, column, rows, words = CASES[case]
    write(landing / name)
    report = sync(warehouse, landing, reference)

    # reported (the Dagster check fails on report.errors()), the other file still loads
    assert [f.file_name for f in report.failed] == [name] and not report.ok
    assert [f.file_name for f in report.loaded] == ["nordlys.csv"]
    error = report.errors()[0]
    assert error.startswith(name), error
    if column is not None:
        assert f"column {column!r}" in error
    if rows:
        assert ("data row " if len(rows) == 1 else "data rows ") + ", ".join(map(str, rows)) in error
    for word in words:
        assert word in error, error

    # moved aside with an error record; nothing of it in the warehouse
    assert not (landing / name).exists()
    assert (landing / QUARANTINE_DIR / name).is_file()
    record = json.loads((landing / QUARANTINE_DIR / f"{name}{ERROR_SUFFIX}").read_text(encoding="utf-8"))
    assert record["file"] == name and record["column"] == column and record["rows"] == rows
    assert record["error"] == error and "resolve" in record
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select file_name from raw.survey_exports").fetchall() == [("nordlys.csv",)]

    # never a respondent id, an answer, or personal data
    for text in (error, json.dumps(record, ensure_ascii=False), report.summary()):
        for secret in SECRETS:
            assert secret not in text, (secret, text)

    # the year stays blocked on every later sync
    again = sync(warehouse, landing, reference)
    assert [f.file_name for f in again.failed] == [name] and again.errors()[0].startswith(name)
    assert "quarantined" in again.errors()[0]


def test_a_corrected_file_with_the_same_name_loads_and_clears_the_quarantine(
    warehouse: Path, landing: Path, reference: Reference
) -> None:
    (landing / "signal.csv").write_text(csv_text(rows=replace_row(3, "s-1003,Signal Norge,,7,1")), encoding="utf-8")
    assert not sync(warehouse, landing, reference).ok
    (landing / "signal.csv").write_text(csv_text(), encoding="utf-8")
    report = sync(warehouse, landing, reference)
    assert report.ok and [f.file_name for f in report.loaded] == ["signal.csv"]
    assert quarantine_entries(landing) == {}
    assert not (landing / QUARANTINE_DIR / "signal.csv").exists()
    assert sync(warehouse, landing, reference).ok


def test_deleting_the_quarantine_entry_withdraws_the_file(warehouse: Path, landing: Path, reference: Reference) -> None:
    (landing / "signal.csv").write_text(csv_text(), encoding="utf-8")
    assert sync(warehouse, landing, reference).ok
    # a bad new version replaces the good one: quarantined, the good rows stay while the year is blocked
    (landing / "signal.csv").write_text(csv_text(rows=replace_row(1, "s-1001,Fjelltele,,9,1")), encoding="utf-8")
    report = sync(warehouse, landing, reference)
    assert [f.file_name for f in report.failed] == ["signal.csv"] and not report.withdrawn
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from raw.respondents where file_name = 'signal.csv'").fetchone() == (3,)
    # withdrawn: the entry deleted → the file's rows go and the year is no longer blocked
    shutil.rmtree(landing / QUARANTINE_DIR)
    report = sync(warehouse, landing, reference)
    assert report.ok and [f.file_name for f in report.withdrawn] == ["signal.csv"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from raw.respondents where file_name = 'signal.csv'").fetchone() == (0,)


def test_the_same_export_dropped_twice_loads_once(warehouse: Path, landing: Path, reference: Reference) -> None:
    (landing / "signal.csv").write_text(csv_text(), encoding="utf-8")
    shutil.copy(landing / "signal.csv", landing / "signal kopi.csv")
    report = sync(warehouse, landing, reference)
    assert report.ok  # a duplicate is reported, not loaded, and does not block the year
    assert [(f.file_name, f.duplicate_of) for f in report.duplicates] == [("signal.csv", "signal kopi.csv")]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from raw.respondents").fetchone() == (5,)
    assert quarantine_entries(landing) == {}


def test_a_bad_file_in_a_sub_folder_is_quarantined_under_the_same_relative_name(
    warehouse: Path, landing: Path, reference: Reference
) -> None:
    (landing / "uke 2").mkdir()
    (landing / "uke 2" / "signal.csv").write_bytes(b"")
    report = sync(warehouse, landing, reference)
    assert [f.file_name for f in report.failed] == ["uke 2/signal.csv"]
    assert (landing / QUARANTINE_DIR / "uke 2" / "signal.csv.error.json").is_file()
    assert list(quarantine_entries(landing)) == ["uke 2/signal.csv"]


def test_hidden_and_dot_dot_names_are_never_read_and_nothing_leaves_the_year_folder(
    warehouse: Path, landing: Path, reference: Reference, tmp_path: Path
) -> None:
    (landing / "..signal.csv").write_text(csv_text(), encoding="utf-8")  # a hidden file: not an export
    outside = tmp_path / "secret.csv"
    outside.write_text(csv_text(), encoding="utf-8")
    (landing / "lenke.csv").symlink_to(outside)  # a link out of the landing folder is refused, never followed
    report = sync(warehouse, landing, reference)
    assert [f.file_name for f in report.loaded] == ["nordlys.csv"]
    assert [f.file_name for f in report.failed] == ["lenke.csv"] and "symbolic link" in report.errors()[0]
    assert outside.read_text(encoding="utf-8") == csv_text()  # the target is untouched
    assert (landing / QUARANTINE_DIR / "lenke.csv").is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["landing", "secret.csv", "warehouse.duckdb"]
    with pytest.raises(ValueError, match="unsafe"):
        _safe_target(landing / QUARANTINE_DIR, "../../escape.csv")


def test_a_file_still_being_written_is_failed_but_not_quarantined(
    warehouse: Path, landing: Path, reference: Reference, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestration.ingest import loader

    real = loader.content_sha256
    calls = {"n": 0}

    def changing(path, source=None):
        calls["n"] += 1
        return real(path, source) if calls["n"] <= 1 else "changed"  # changed after it was listed

    monkeypatch.setattr(loader, "content_sha256", changing)
    report = sync(warehouse, landing, reference)
    assert [f.file_name for f in report.failed] == ["nordlys.csv"]
    assert "changed while it was being loaded" in report.errors()[0]
    assert quarantine_entries(landing) == {} and (landing / "nordlys.csv").exists()


# Failures of the machine or of our code, not of the file: (what is raised, its type)
INTERNAL_FAILURES = {
    "a bug": lambda: KeyError("item_id"),
    "out of memory": MemoryError,
    "a full disk": lambda: OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)),
}


def raw_rows(warehouse: Path) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return (
            con.execute(
                "select file_name, respondent_id, company_id, file_sha256 from raw.respondents order by all"
            ).fetchall()
            + con.execute("select file_name, file_sha256 from raw.survey_exports order by all").fetchall()
        )


@pytest.mark.parametrize("stage", ["read_raw", "parse_export"])
@pytest.mark.parametrize("failure", list(INTERNAL_FAILURES))
def test_an_internal_error_fails_the_sync_loudly_and_leaves_the_file_and_the_loaded_rows(
    failure: str, stage: str, warehouse: Path, landing: Path, reference: Reference, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestration.ingest import loader

    (landing / "signal.csv").write_text(csv_text(), encoding="utf-8")
    assert sync(warehouse, landing, reference).ok
    before = raw_rows(warehouse)
    # a new file that loads before it, and a new version of signal.csv whose load hits the internal error
    (landing / "fjelltele.csv").write_text(csv_text(rows=["f-1,Fjelltele,,4,5"]), encoding="utf-8")
    new_version = csv_text(rows=replace_row(3, "s-1003,Signal Norge,,5,5"))
    (landing / "signal.csv").write_text(new_version, encoding="utf-8")
    real = getattr(loader, stage)
    error = INTERNAL_FAILURES[failure]()

    def failing(raw_or_path, *args, **kwargs):
        named = getattr(raw_or_path, "file", None) or Path(raw_or_path).name
        if named == "signal.csv":
            raise error
        return real(raw_or_path, *args, **kwargs)

    monkeypatch.setattr(loader, stage, failing)
    with pytest.raises(type(error)) as raised:
        sync(warehouse, landing, reference)
    assert raised.value is error  # raised as it is, not turned into a verdict on the file
    assert any("signal.csv" in note and "not a defect of the file" in note for note in raised.value.__notes__)

    # the file stays where it was, nothing is quarantined
    assert (landing / "signal.csv").read_text(encoding="utf-8") == new_version
    assert not (landing / QUARANTINE_DIR).exists() and quarantine_entries(landing) == {}
    # what was loaded stays: signal.csv's earlier rows, nordlys.csv, and fjelltele.csv committed before the error
    after = raw_rows(warehouse)
    assert [r for r in after if r[0] != "fjelltele.csv"] == before
    assert [r[0] for r in after if r[0] == "fjelltele.csv"] == ["fjelltele.csv", "fjelltele.csv"]
    # and once the machine is fine again, the same file loads
    monkeypatch.setattr(loader, stage, real)
    report = sync(warehouse, landing, reference)
    assert report.ok and [f.file_name for f in report.loaded] == ["signal.csv"]
