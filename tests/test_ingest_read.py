"""Reading exports: every format gives the same long table; labels, encodings, names and privacy at read time."""

from __future__ import annotations

import hashlib
import hmac
import sys
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestration.ingest import ANSWER_COLUMNS, RESPONDENT_COLUMNS, Reference, load_layout, pseudonymise, read_export
from orchestration.ingest.readers import WHITESPACE, _scan_csv_records, _scan_records

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
EXPORTS = Path(__file__).parent / "fixtures" / "exports"
KEY = b"test-key"
FORMATS = {
    "canonical.csv": "csv",
    "labels_nb_cp1252.csv": "csv",
    "labels_en_bom_crlf.csv": "csv",
    "export.xlsx": "xlsx",
    "export.sav": "sav",
}
PERSONAL_VALUES = ["kari@example.no", "Kari Nordmann", "10.0.0.1", "Travel dag", "Per Ås", "Bra ledelse"]


@pytest.fixture(scope="module")
def reference() -> Reference:
    return Reference.from_seeds(SEEDS)


def read(name: str, reference: Reference):
    return read_export(EXPORTS / name, 2023, reference, pseudonym_key=KEY)


def pid(raw_id: str) -> str:
    return hmac.new(KEY, raw_id.encode(), hashlib.sha256).hexdigest()


@pytest.mark.parametrize("name", list(FORMATS))
def test_every_format_reads_to_the_same_long_tables(name: str, reference: Reference) -> None:
    expected = read("canonical.csv", reference)
    parsed = read(name, reference)
    assert parsed.source_format == FORMATS[name]
    pd.testing.assert_frame_equal(parsed.answers.reset_index(drop=True), expected.answers.reset_index(drop=True))
    pd.testing.assert_frame_equal(
        parsed.respondents.reset_index(drop=True), expected.respondents.reset_index(drop=True)
    )


def test_long_table_has_one_row_per_answer_or_dont_know_and_none_for_blanks(reference: Reference) -> None:
    parsed = read("canonical.csv", reference)
    assert list(parsed.answers.columns) == ANSWER_COLUMNS
    assert list(parsed.respondents.columns) == RESPONDENT_COLUMNS
    answers = parsed.answers.set_index(["respondent_id", "item_id"])
    # r-0001: Q01..Q03 and Q21 answered, Q18a "Vet ikke"
    assert answers.loc[(pid("r-0001"), "Q01"), "answer_value"] == 5.0
    dont_know = answers.loc[(pid("r-0001"), "Q18")]
    assert bool(dont_know["is_dont_know"]) and pd.isna(dont_know["answer_value"])
    # r-0004 answered only Q01 and Q21: blanks are not rows
    assert sorted(answers.loc[pid("r-0004")].index) == ["Q01", "Q21"]
    assert len(parsed.answers) == 21 and parsed.answers["answer_value"].dtype == "float64"
    assert parsed.answers["is_dont_know"].sum() == 3


def test_renamed_question_keeps_its_item_id_and_source_column(reference: Reference) -> None:
    answers = read("canonical.csv", reference).answers
    renamed = answers[answers["source_column"] == "Q18a"]
    assert set(renamed["item_id"]) == {"Q18"}


@pytest.mark.parametrize("name", ["labels_nb_cp1252.csv", "labels_en_bom_crlf.csv"])
def test_labels_map_to_codes(name: str, reference: Reference) -> None:
    answers = read(name, reference).answers.set_index(["respondent_id", "item_id"])
    assert answers.loc[(pid("r-0001"), "Q02"), "answer_value"] == 4.0  # "I nokså stor grad" / "To a fairly large…"
    assert answers.loc[(pid("r-0002"), "Q01"), "answer_value"] == 6.0  # "I svært stor grad" / upper-case English
    assert bool(answers.loc[(pid("r-0002"), "Q21"), "is_dont_know"])  # "Ikke relevant" / "N/A"


def test_label_lookup_is_case_and_space_insensitive_and_knows_every_dont_know(reference: Reference) -> None:
    labels = reference.label_lookup(1, 6)
    from orchestration.ingest.reference import normalise_text

    assert labels[normalise_text("  i SVÆRT  stor grad ")].answer_code == 6.0
    for dont_know in ["Vet ikke", "Ikke relevant", "Don't know", "N/A", "n/a"]:
        for scale in ((1, 6), (0, 10)):  # don't-know labels belong to every scale
            label = reference.label_lookup(*scale)[normalise_text(dont_know)]
            assert label.is_dont_know and label.answer_code is None
    assert normalise_text("I stor grad") not in reference.label_lookup(0, 10)  # agreement words are no eNPS code


def test_bom_and_crlf_do_not_leak_into_names_or_values(reference: Reference) -> None:
    raw = (EXPORTS / "labels_en_bom_crlf.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    parsed = read("labels_en_bom_crlf.csv", reference)
    assert parsed.respondents["respondent_id"].iloc[0] == pid("r-0001")  # the BOM is not part of the first header
    assert not parsed.respondents["role"].dropna().str.contains("\r").any()


def test_cp1252_keeps_norwegian_letters(reference: Reference) -> None:
    raw = (EXPORTS / "labels_nb_cp1252.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    respondents = read("labels_nb_cp1252.csv", reference).respondents
    assert "Bedriftsmarked Sør" in set(respondents["department"])
    assert "Rådgiver" in set(respondents["role"])


def test_companies_resolve_by_id_or_name_with_norwegian_letters(reference: Reference) -> None:
    given = pd.Series(["nordlys_bank", "Bølge Mobil", "  ÆRLIG   reise", "vasskraft øst", "STROMNETT_ENERGI", "Nope"])
    resolved = reference.resolve_companies(given)
    assert resolved.tolist()[:5] == ["nordlys_bank", "bolge_mobil", "aerlig_reise", "vasskraft_ost", "stromnett_energi"]
    assert pd.isna(resolved.iloc[5])
    companies = read("canonical.csv", reference).respondents["company_id"]
    assert companies.tolist() == ["nordlys_bank", "bolge_mobil", "aerlig_reise", "vasskraft_ost", "stromnett_energi"]


def test_decomposed_unicode_matches_composed() -> None:
    import unicodedata

    from orchestration.ingest.reference import normalise_text

    decomposed = unicodedata.normalize("NFD", "Ås Kundesenter")
    assert decomposed != "Ås Kundesenter"
    assert normalise_text(decomposed) == normalise_text("ås  kundesenter ")


def test_column_map_per_year(reference: Reference) -> None:
    assert reference.column_map(2023)["q18a"] == "Q18"
    assert "q18a" not in reference.column_map(2024)
    assert reference.column_map(2024)["q18"] == "Q18"


@pytest.mark.parametrize("name", list(FORMATS))
def test_personal_data_columns_are_dropped_at_read_time(name: str, reference: Reference) -> None:
    parsed = read(name, reference)
    for frame in (parsed.respondents, parsed.answers):
        text = frame.astype(str).to_csv()
        for value in PERSONAL_VALUES:
            assert value not in text
        assert not {"email", "name", "ip_address", "comment", "Kommentar", "E-post"} & set(frame.columns)
    assert "r-0001" not in parsed.respondents.to_csv()


def test_respondent_ids_are_hmac_sha256_of_the_raw_id(reference: Reference) -> None:
    ids = pd.Series(["r-0001", "1001", "Ærlig-7"])
    assert pseudonymise(ids, KEY).tolist() == [pid(i) for i in ids]
    long_key = b"k" * 100  # longer than the SHA-256 block: hashed first, as RFC 2104 says
    assert pseudonymise(ids, long_key).iloc[0] == hmac.new(long_key, b"r-0001", hashlib.sha256).hexdigest()
    assert pseudonymise(ids, b"other").iloc[0] != pid("r-0001")


def test_spreadsheet_numbers_as_ids_have_no_decimal_point(reference: Reference, tmp_path: Path) -> None:
    frame = pd.DataFrame({"respondent_id": [1001, 1002], "company": ["Nordlys Bank"] * 2, "Q01": [1, None]})
    frame.to_excel(tmp_path / "ids.xlsx", index=False)
    parsed = read_export(tmp_path / "ids.xlsx", 2023, reference, pseudonym_key=KEY)
    assert parsed.respondents["respondent_id"].tolist() == [pid("1001"), pid("1002")]


def test_completion_is_every_question_column_answered_or_dont_know(reference: Reference) -> None:
    complete = read("canonical.csv", reference).respondents["is_complete"].tolist()
    assert complete == [True, False, True, False, True]


def test_a_completion_column_is_used_when_the_export_has_one(reference: Reference, tmp_path: Path) -> None:
    path = tmp_path / "finished.csv"
    path.write_text("respondent_id,company,Finished,Q01\na,Nordlys Bank,1,\nb,Nordlys Bank,0,4\n", encoding="utf-8")
    parsed = read_export(path, 2023, reference, pseudonym_key=KEY)
    assert parsed.respondents["is_complete"].tolist() == [True, False]


def test_submitted_at_iso_with_offset_is_converted_to_utc(reference: Reference, tmp_path: Path) -> None:
    path = tmp_path / "tz.csv"
    path.write_text(
        "respondent_id,company,submitted_at,Q01\na,Nordlys Bank,2023-03-01T10:15:00+01:00,1\n"
        "b,Nordlys Bank,01.03.2023 09:15,2\n",
        encoding="utf-8",
    )
    submitted = read_export(path, 2023, reference, pseudonym_key=KEY).respondents["submitted_at"]
    assert submitted.tolist() == [pd.Timestamp("2023-03-01 09:15")] * 2


def test_declared_dont_know_and_missing_codes_of_a_layout(reference: Reference, tmp_path: Path) -> None:
    layout = load_layout("canonical")
    layout = type(layout)(**{**layout.__dict__, "dont_know_codes": {"Q01": (6.0,)}, "missing_codes": (-99.0,)})
    path = tmp_path / "codes.csv"
    path.write_text("respondent_id,company,Q01,Q02\na,Nordlys Bank,6,-99\nb,Nordlys Bank,2,6\n", encoding="utf-8")
    answers = read_export(path, 2023, reference, pseudonym_key=KEY, layout=layout).answers
    assert answers[["item_id", "answer_value", "is_dont_know"]].astype(str).values.tolist() == [
        ["Q01", "nan", "True"],
        ["Q01", "2.0", "False"],
        ["Q02", "6.0", "False"],
    ]


def test_blank_trailing_rows_and_unnamed_empty_columns_are_ignored(reference: Reference, tmp_path: Path) -> None:
    path = tmp_path / "excel_style.csv"
    path.write_text("respondent_id;company;Q01;\r\na;Nordlys Bank;3;\r\n;;;\r\n\r\n", encoding="utf-8")
    parsed = read_export(path, 2023, reference, pseudonym_key=KEY)
    assert parsed.n_respondents == 1 and parsed.n_answers == 1


def test_every_layout_in_sources_loads_and_names_the_required_columns() -> None:
    sources = Path(__file__).resolve().parents[1] / "orchestration" / "ingest" / "sources"
    layouts = [load_layout(path) for path in sorted(sources.glob("*.yml"))]
    assert "canonical" in {layout.name for layout in layouts}
    for layout in layouts:
        assert layout.columns.get("respondent_id") or layout.respondent_id_from_row, layout.name
        assert layout.columns.get("company"), layout.name


def test_utf16_tab_separated_export(reference: Reference, tmp_path: Path) -> None:
    path = tmp_path / "surveyxact.csv"
    path.write_bytes("respondent_id\tcompany\tQ01\r\na\tBølge Mobil\tVet ikke\r\n".encode("utf-16"))
    parsed = read_export(path, 2023, reference, pseudonym_key=KEY)
    assert parsed.respondents["company_id"].tolist() == ["bolge_mobil"]
    assert parsed.answers["is_dont_know"].tolist() == [True]


def test_excel_sep_hint_line(reference: Reference, tmp_path: Path) -> None:
    path = tmp_path / "hint.csv"
    path.write_bytes("sep=;\r\nrespondent_id;company;Q01\r\na;Ærlig Reise;2\r\n".encode("cp1252"))
    parsed = read_export(path, 2023, reference, pseudonym_key=KEY)
    assert parsed.answers["answer_value"].tolist() == [2.0]


# Text without quotes, from the characters that matter to splitting records: delimiters, every line end the csv module
# knows, blanks, and line ends it does not (\x85, \u2028, \x0b, \x0c: str.splitlines would split there, csv does not).
_UNQUOTED = st.text(alphabet=list("ab ,;\t\r\nå\x85\u2028\x0b\x0c\u3000\xa0"), max_size=60)


@settings(max_examples=400, deadline=None)
@given(text=_UNQUOTED, delimiter=st.sampled_from([",", ";", "\t"]))
def test_the_unquoted_scan_reads_the_records_the_csv_module_reads(text: str, delimiter: str) -> None:
    assert _scan_records(text, delimiter, "f.csv") == _scan_csv_records(text, delimiter, "f.csv")


@pytest.mark.parametrize(
    "text",
    ["a,b\r\n\r\nc,d", "a,b\n\n", "a,b", "", "\n", " , \n,,\r", "a\rb,c\r\n", "x," * 10 + "\n" + "r\n" * 20],
)
def test_the_unquoted_scan_on_line_ends_blank_lines_and_many_rows(text: str) -> None:
    assert _scan_records(text, ",", "f.csv") == _scan_csv_records(text, ",", "f.csv")


def test_the_blank_characters_of_the_unquoted_scan_are_those_str_strip_removes() -> None:
    assert set(WHITESPACE) == {c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()}
