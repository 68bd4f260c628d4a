"""Bad exports: one ExportError naming the file, the data row and the column, never the respondent's data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from orchestration.ingest import ExportError, Reference, read_export

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
KEY = b"test-key"
HEADER = "respondent_id,company,department,email,Q01,Q02,Q18a"
GOOD_ROWS = [
    "r-0001,Nordlys Bank,Kundeservice,kari@example.no,5,4,Vet ikke",
    "r-0002,Bølge Mobil,Chat,ola@example.no,6,,2",
    "r-0003,aerlig_reise,Chat,per@example.no,1,2,3",
]


@pytest.fixture(scope="module")
def reference() -> Reference:
    return Reference.from_seeds(SEEDS)


def export(tmp_path: Path, header: str = HEADER, rows: list[str] | None = None, name: str = "bad.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *(GOOD_ROWS if rows is None else rows)]) + "\n", encoding="utf-8")
    return path


def with_row(n: int, row: str) -> list[str]:
    """The good rows with data row n (1-based) replaced."""
    return [row if i == n else r for i, r in enumerate(GOOD_ROWS, start=1)]


def error_of(path: Path, reference: Reference) -> ExportError:
    with pytest.raises(ExportError) as caught:
        read_export(path, 2023, reference, pseudonym_key=KEY)
    return caught.value


# (case id, header, rows, expected data rows, expected column, words the message must contain)
CASES = [
    (
        "value above the scale",
        HEADER,
        with_row(2, "r-0002,Bølge Mobil,Chat,,7,,2"),
        [2],
        "Q01",
        ["outside the scale", "1 to 6"],
    ),
    (
        "value below the scale",
        HEADER,
        with_row(3, "r-0003,aerlig_reise,Chat,,1,0,3"),
        [3],
        "Q02",
        ["outside the scale", "1 to 6"],
    ),
    ("not a whole number", HEADER, with_row(1, "r-0001,Nordlys Bank,,,4.5,4,1"), [1], "Q01", ["not whole"]),
    (
        "unknown label",
        HEADER,
        with_row(2, "r-0002,Bølge Mobil,Chat,,6,,Ganske bra"),
        [2],
        "Q18a",
        ["unknown answer label"],
    ),
    (
        "duplicate respondent id",
        HEADER,
        with_row(3, "r-0001,aerlig_reise,Chat,,1,2,3"),
        [1, 3],
        "respondent_id",
        ["duplicate respondent id"],
    ),
    ("missing respondent id", HEADER, with_row(2, ",Bølge Mobil,Chat,,6,,2"), [2], "respondent_id", ["missing"]),
    ("unknown company", HEADER, with_row(2, "r-0002,Bølge Mobilt,Chat,,6,,2"), [2], "company", ["'Bølge Mobilt'"]),
    ("missing company", HEADER, with_row(1, "r-0001,,Chat,,6,,2"), [1], "company", ["missing company"]),
    ("unknown question column", HEADER + ",Q99", [r + ",3" for r in GOOD_ROWS], [], "Q99", ["item_crosswalk"]),
    (
        "item not asked that year",
        HEADER.replace("Q18a", "Q18a,Q18"),
        [r + ",3" for r in GOOD_ROWS],
        [],
        "Q18",
        ["two columns map to item Q18"],
    ),
    ("unknown other column", HEADER + ",Mood", [r + ",ok" for r in GOOD_ROWS], [], "Mood", ["unknown column"]),
    ("no respondent id column", HEADER.replace("respondent_id", "person"), None, [], "person", ["unknown column"]),
    (
        "no company column",
        HEADER.replace("company,", "").replace("email", "email"),
        [r.split(",", 2)[0] + "," + r.split(",", 2)[2] for r in GOOD_ROWS],
        [],
        "company",
        ["no company column"],
    ),
    ("column named twice", HEADER + ",q01", [r + ",3" for r in GOOD_ROWS], [], "q01", ["twice"]),
    (
        "answer label of another scale",  # "I stor grad" is 5 on the 1-6 agreement scale, not an eNPS answer
        HEADER + ",Q25",
        [r + c for r, c in zip(GOOD_ROWS, [",9", ",I stor grad", ",Vet ikke"], strict=True)],
        [2],
        "Q25",
        ["answer label of another scale", "item Q25 is on the 0-10 scale", "from 0 to 10"],
    ),
]


@pytest.mark.parametrize(("case", "header", "rows", "data_rows", "column", "words"), CASES, ids=[c[0] for c in CASES])
def test_bad_export_names_file_row_and_column(
    case: str,
    header: str,
    rows: list[str] | None,
    data_rows: list[int],
    column: str,
    words: list[str],
    reference: Reference,
    tmp_path: Path,
) -> None:
    error = error_of(export(tmp_path, header, rows), reference)
    message = str(error)
    assert message.startswith("bad.csv"), message
    assert error.file == "bad.csv" and error.column == column and error.rows == data_rows
    assert f"column {column!r}" in message
    if data_rows:
        assert ("data row " if len(data_rows) == 1 else "data rows ") + ", ".join(map(str, data_rows)) in message
    for word in words:
        assert word in message, message
    # never a respondent's id, answer or personal data
    secrets = ["r-0001", "r-0002", "r-0003", "kari@example.no", "Kundeservice", "'7'", "'0'", "4.5", "Ganske bra"]
    for secret in [*secrets, "I stor grad"]:
        assert secret not in message, message


def test_answer_labels_map_to_codes_on_their_own_scale(reference: Reference, tmp_path: Path) -> None:
    header = "respondent_id,company,Q01,Q25"
    rows = ["r-0001,Nordlys Bank,I stor grad,Vet ikke", "r-0002,Nordlys Bank,to a very small extent,10"]
    answers = read_export(export(tmp_path, header, rows), 2023, reference, pseudonym_key=KEY).answers
    got = answers.reset_index().sort_values(["data_row", "item_id"])[["item_id", "answer_value", "is_dont_know"]]
    assert got.astype(object).where(got.notna(), None).values.tolist() == [
        ["Q01", 5.0, False],
        ["Q25", None, True],  # don't-know labels belong to every scale
        ["Q01", 1.0, False],
        ["Q25", 10.0, False],
    ]


def test_a_scored_answer_label_without_its_scale_is_refused(tmp_path: Path) -> None:
    import shutil

    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    labels = (seeds / "answer_labels.csv").read_text(encoding="utf-8")
    assert "I stor grad,nb,5,false,1,6\n" in labels
    (seeds / "answer_labels.csv").write_text(labels.replace("I stor grad,nb,5,false,1,6", "I stor grad,nb,5,false,,"))
    with pytest.raises(ValueError, match="label 'I stor grad' needs scale_min and scale_max"):
        Reference.from_seeds(seeds)
    (seeds / "answer_labels.csv").write_text(labels.replace("I stor grad,nb,5,false,1,6", "I stor grad,nb,7,false,1,6"))
    with pytest.raises(ValueError, match="answer_code between them"):
        Reference.from_seeds(seeds)


def test_item_not_asked_in_the_year(reference: Reference, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match=r"bad.csv, column 'Q01': item Q01 is not asked in 2022"):
        read_export(export(tmp_path), 2022, reference, pseudonym_key=KEY)


def test_no_respondent_id_column_when_the_column_is_only_dropped(reference: Reference, tmp_path: Path) -> None:
    rows = [r.split(",", 1)[1] for r in GOOD_ROWS]
    error = error_of(export(tmp_path, HEADER.replace("respondent_id,", ""), rows), reference)
    assert error.column == "respondent_id" and "no respondent_id column" in str(error)


@pytest.mark.parametrize(
    ("content", "words"),
    [(b"", "empty"), (b"\r\n\r\n", "empty"), (HEADER.encode() + b"\r\n", "no respondent rows")],
    ids=["zero bytes", "blank lines", "header only"],
)
def test_empty_file(content: bytes, words: str, reference: Reference, tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    assert words in str(error_of(path, reference))


def test_empty_workbook(reference: Reference, tmp_path: Path) -> None:
    pd.DataFrame().to_excel(tmp_path / "empty.xlsx", index=False)
    assert "empty" in str(error_of(tmp_path / "empty.xlsx", reference))


def test_out_of_range_in_xlsx_names_data_row(reference: Reference, tmp_path: Path) -> None:
    frame = pd.DataFrame({"respondent_id": ["a", "b", "c"], "company": ["Nordlys Bank"] * 3, "Q01": [1, 2, 9]})
    frame.to_excel(tmp_path / "bad.xlsx", index=False)
    error = error_of(tmp_path / "bad.xlsx", reference)
    assert error.rows == [3] and error.column == "Q01" and "outside the scale" in str(error) and "9" not in str(error)


def test_undeclared_code_in_sav_is_out_of_range(reference: Reference, tmp_path: Path) -> None:
    import pyreadstat

    frame = pd.DataFrame({"respondent_id": ["a", "b"], "company": ["Nordlys Bank"] * 2, "Q01": [1.0, 9.0]})
    pyreadstat.write_sav(frame, str(tmp_path / "bad.sav"))  # 9 has no "Vet ikke" label and is not user-missing
    error = error_of(tmp_path / "bad.sav", reference)
    assert error.rows == [2] and error.column == "Q01"


def test_many_bad_rows_are_summarised(reference: Reference, tmp_path: Path) -> None:
    rows = [f"r-{i},Nordlys Bank,,,7,1,1" for i in range(1, 21)]
    message = str(error_of(export(tmp_path, rows=rows), reference))
    assert "data rows 1, 2, 3, 4, 5 (and 15 more)" in message


def test_ragged_row_is_reported(reference: Reference, tmp_path: Path) -> None:
    rows = with_row(2, "r-0002,Bølge Mobil,Chat,,6,,2,extra,cells")
    assert "bad.csv" in str(error_of(export(tmp_path, rows=rows), reference))


def test_unsupported_file_type(reference: Reference, tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text("{}", encoding="utf-8")
    assert "unsupported file type" in str(error_of(path, reference))
