"""Landing files are not trusted further than they must be: no symbolic link is followed (an export, its sidecar or
a companion label/structure file), and a linked file's content never reaches an error, the quarantine record or
the log; every read is capped in size; .xlsx XML is parsed with defusedxml (no entity expansion); paths never go
into SQL as text."""

from __future__ import annotations

import json
import os
import sys
import zipfile
from pathlib import Path

import duckdb
import openpyxl
import pytest

from orchestration.ingest import ExportError, Reference, read_raw, readers, sync_year
from orchestration.ingest.loader import QUARANTINE_DIR

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
KEY = b"test-key"
YEAR = 2024
MARK = "SECRETMARK-7f3a"  # the content of a linked file: must show up nowhere
GOOD = "respondent_id,company,Q01,Q02\nn-1,Nordlys Bank,4,5\nn-2,Nordlys Bank,3,Vet ikke\n"
SX_DATASET = "respondentid;selskap;s_1;s_2\r\na;Fjelltele;5;6\r\nb;Fjelltele;2;3\r\n"
SX_STRUCTURE = "variable;text\r\ns_1;Jeg er motivert for jobben min\r\ns_2;Jeg gleder meg til å gå på jobb\r\n"

_opened: list[tuple[str, int]] | None = None


def _audit(event: str, args: tuple) -> None:
    if _opened is not None and event == "open" and isinstance(args[0], str | bytes | Path):
        path = os.fsdecode(args[0])
        flags = args[2] if len(args) > 2 and isinstance(args[2], int) else 0
        _opened.append((os.path.abspath(path), flags))  # the path as opened, links not resolved


sys.addaudithook(_audit)  # every open() and os.open() of the process, recorded while a test asks


@pytest.fixture
def opened() -> list[tuple[str, int]]:
    global _opened
    _opened = []
    yield _opened
    _opened = None


def read_through(link: Path, target: Path, opened: list[tuple[str, int]]) -> bool:
    """Whether the target was opened: by its own name, or through the link without O_NOFOLLOW."""
    return any(path == str(target) or (path == str(link) and not flags & os.O_NOFOLLOW) for path, flags in opened)


@pytest.fixture(scope="module")
def reference() -> Reference:
    return Reference.from_seeds(SEEDS)


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    folder = tmp_path / "landing" / str(YEAR)
    folder.mkdir(parents=True)
    return folder


def outside(tmp_path: Path, name: str, text: str) -> Path:
    target = tmp_path / name
    target.write_text(text, encoding="utf-8")
    return target


def everything_reported(report, landing: Path) -> str:
    records = [p.read_text(encoding="utf-8") for p in (landing / QUARANTINE_DIR).rglob("*.json")]
    files = json.dumps([f.__dict__ for f in report.files], ensure_ascii=False)
    return "\n".join([report.summary(), *report.errors(), files, *records])


def test_a_linked_sidecar_is_refused_unread(
    landing: Path, tmp_path: Path, reference: Reference, opened: list[tuple[str, int]]
) -> None:
    (landing / "nordlys.csv").write_text(GOOD, encoding="utf-8")
    target = outside(tmp_path, "elsewhere.yml", f"source: {MARK}\n")
    (landing / "nordlys.csv.source.yml").symlink_to(target)
    opened.clear()
    report = sync_year(tmp_path / "w.duckdb", landing, YEAR, reference, KEY)
    assert [f.file_name for f in report.failed] == ["nordlys.csv"] and not report.loaded
    assert report.errors() == [
        "nordlys.csv.source.yml: the file is a symbolic link: copy the file itself into the landing folder instead"
    ]
    assert MARK not in everything_reported(report, landing)
    assert not read_through(landing / "nordlys.csv.source.yml", target, opened)
    assert (landing / "nordlys.csv").is_file()  # the export is fine: not quarantined


def test_a_linked_companion_file_is_refused_unread(
    landing: Path, tmp_path: Path, reference: Reference, opened: list[tuple[str, int]]
) -> None:
    (landing / "sx_dataset.csv").write_bytes(SX_DATASET.encode("cp1252"))
    (landing / "sx_structure.csv").write_text(SX_STRUCTURE, encoding="cp1252")
    # a labels file whose first field would be quoted as a column if it were read
    target = outside(tmp_path, "elsewhere.csv", f"variable;value;label\r\n{MARK};not a number;x\r\n")
    (landing / "sx_labels.csv").symlink_to(target)
    opened.clear()
    report = sync_year(tmp_path / "w.duckdb", landing, YEAR, reference, KEY)
    assert "sx_dataset.csv" in [f.file_name for f in report.failed] and not report.loaded
    assert any(e.startswith("sx_labels.csv: the file is a symbolic link") for e in report.errors()), report.errors()
    assert MARK not in everything_reported(report, landing)
    assert not read_through(landing / "sx_labels.csv", target, opened)


def test_a_linked_export_is_refused_without_opening_its_target(
    landing: Path, tmp_path: Path, reference: Reference, opened: list[tuple[str, int]]
) -> None:
    target = outside(tmp_path, "elsewhere.csv", GOOD.replace("n-1", MARK))
    (landing / "lenke.csv").symlink_to(target)
    opened.clear()
    report = sync_year(tmp_path / "w.duckdb", landing, YEAR, reference, KEY)
    assert [f.file_name for f in report.failed] == ["lenke.csv"] and "symbolic link" in report.errors()[0]
    assert MARK not in everything_reported(report, landing)
    assert not read_through(landing / "lenke.csv", target, opened)  # not hashed, not peeked at, not read


def test_every_read_is_capped(
    landing: Path, tmp_path: Path, reference: Reference, monkeypatch: pytest.MonkeyPatch
) -> None:
    (landing / "nordlys.csv").write_text(GOOD, encoding="utf-8")
    (landing / "fjelltele.csv").write_text(GOOD.replace("n-", "f-").replace("Nordlys Bank", "Fjelltele"))
    (landing / "fjelltele.csv.source.yml").write_text("source: canonical\n" + "# padding\n" * 20, encoding="utf-8")
    monkeypatch.setattr(readers, "MAX_FILE_BYTES", len(GOOD) + 10)  # the exports fit, the sidecar does not
    report = sync_year(tmp_path / "w.duckdb", landing, YEAR, reference, KEY)
    assert [f.file_name for f in report.loaded] == ["nordlys.csv"]
    assert report.errors() == [
        "fjelltele.csv.source.yml: the file is 0 MiB: larger than the 0 MiB a landing file may be (MAX_FILE_BYTES, "
        "docs/sources.md); split the export"
    ]
    monkeypatch.setattr(readers, "MAX_FILE_BYTES", len(GOOD) - 1)
    with pytest.raises(ExportError, match="larger than"):
        read_raw(landing / "nordlys.csv")


def workbook_with_entities(path: Path) -> None:
    """A workbook whose sheet declares an XML entity and uses it in a cell (the billion-laughs shape, one level)."""
    book = openpyxl.Workbook()
    book.active.append(["respondent_id", "company", "Q01"])
    book.active.append(["x-1", "Nordlys Bank", "PLACEHOLDER"])
    plain = path.with_suffix(".plain")
    book.save(plain)
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                declaration = '<!DOCTYPE worksheet [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
                text = declaration + text.replace("PLACEHOLDER", "&lol2;")
                data = text.encode()
            target.writestr(item, data)
    plain.unlink()


def test_an_xlsx_with_xml_entities_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "entities.xlsx"
    workbook_with_entities(path)
    with pytest.raises(ExportError, match=r"entities.xlsx: cannot read the workbook \(EntitiesForbidden\)"):
        read_raw(path)


def test_no_workbook_is_read_unless_openpyxl_parses_with_defusedxml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import xml.etree.ElementTree as plain

    from openpyxl.xml import functions

    book = openpyxl.Workbook()
    book.active.append(["respondent_id", "company", "Q01"])
    book.save(tmp_path / "ok.xlsx")
    monkeypatch.setattr(functions, "iterparse", plain.iterparse)  # as with OPENPYXL_DEFUSEDXML=False
    with pytest.raises(RuntimeError, match="defusedxml"):
        read_raw(tmp_path / "ok.xlsx")


def test_a_zip_bomb_workbook_is_refused_before_it_is_unpacked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = openpyxl.Workbook()
    book.active.append(["respondent_id", "company", "Q01"])
    book.save(tmp_path / "big.xlsx")
    with zipfile.ZipFile(tmp_path / "big.xlsx") as z:
        unpacked = sum(i.file_size for i in z.infolist())
    monkeypatch.setattr(readers, "MAX_FILE_BYTES", (tmp_path / "big.xlsx").stat().st_size + 1)
    assert unpacked > readers.MAX_FILE_BYTES  # the packed file fits; what it unpacks to does not
    with pytest.raises(ExportError, match="larger than"):
        read_raw(tmp_path / "big.xlsx")


def test_paths_with_quotes_are_bound_not_spliced_into_sql(tmp_path: Path, reference: Reference) -> None:
    landing = tmp_path / "o'brien; drop table raw.respondents; --" / str(YEAR)
    landing.mkdir(parents=True)
    (landing / "it's.csv").write_text(GOOD, encoding="utf-8")
    warehouse = tmp_path / "ware'house.duckdb"
    report = sync_year(warehouse, landing, YEAR, reference, KEY)
    assert report.ok and [f.file_name for f in report.loaded] == ["it's.csv"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select file_name, count(*) from raw.respondents group by 1").fetchall() == [("it's.csv", 2)]
