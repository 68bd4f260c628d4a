"""Every supported survey tool's export loads to the same long table as its canonical-CSV twin, and its source is
recognised by its header or declared by a sidecar or a folder."""

from __future__ import annotations

import hashlib
import hmac
import shutil
from pathlib import Path

import pandas as pd
import pytest

from orchestration.ingest import ExportError, Reference, read_export, sync_year
from orchestration.ingest.detect import resolve_source

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
EXPORTS = Path(__file__).parent / "fixtures" / "exports"
KEY = b"test-key"
YEAR = 2023
CANONICAL_IDS = ["r-0001", "r-0002", "r-0003", "r-0004", "r-0005"]
ROW_NUMBERS = ["1", "2", "3", "4", "5"]

# file → (source layout it is read with, how the source is known, raw respondent ids the export carries)
TWINS = {
    "canonical.csv": ("canonical", "default", CANONICAL_IDS),
    "plain_semicolon_decimal_comma.csv": ("canonical", "default", CANONICAL_IDS),
    "labels_nb_cp1252.csv": ("canonical", "default", CANONICAL_IDS),
    "labels_en_bom_crlf.csv": ("canonical", "default", CANONICAL_IDS),
    "export.xlsx": ("canonical", "default", CANONICAL_IDS),
    "export.sav": ("canonical", "default", CANONICAL_IDS),
    "spss_variable_labels.sav": ("canonical", "default", CANONICAL_IDS),
    "qualtrics_labels.csv": ("qualtrics", "header", CANONICAL_IDS),
    "qualtrics_codes.csv": ("qualtrics", "sidecar", CANONICAL_IDS),
    "surveymonkey.csv": ("surveymonkey", "header", CANONICAL_IDS),
    "surveymonkey.xlsx": ("surveymonkey", "header", CANONICAL_IDS),
    "questback.xlsx": ("questback", "header", CANONICAL_IDS),
    "questback_efs.csv": ("questback_efs", "sidecar", ROW_NUMBERS),
    "surveyxact_dataset.csv": ("surveyxact", "sidecar", CANONICAL_IDS),
    "surveyxact_utf16_dataset.csv": ("surveyxact", "sidecar", CANONICAL_IDS),
    "google_forms.csv": ("google_forms", "header", [f"google_forms.csv#{n}" for n in ROW_NUMBERS]),
    "microsoft_forms.csv": ("microsoft_forms", "header", ROW_NUMBERS),
}
PERSONAL = ["kari@example.no", "Kari Nordmann", "Nordmann", "10.0.0.1", "Travel dag", "Per Ås", "Bra ledelse"]


@pytest.fixture(scope="module")
def reference() -> Reference:
    return Reference.from_seeds(SEEDS)


def pid(raw_id: str) -> str:
    return hmac.new(KEY, raw_id.encode(), hashlib.sha256).hexdigest()


def comparable(parsed) -> tuple[pd.DataFrame, pd.DataFrame]:
    respondents = parsed.respondents.reset_index(drop=True)
    answers = parsed.answers.drop(columns=["source_column"]).reset_index(drop=True)
    return respondents, answers


@pytest.mark.parametrize("name", list(TWINS))
def test_every_source_loads_to_the_same_long_table_as_its_canonical_twin(name: str, reference: Reference) -> None:
    layout, declared_by, raw_ids = TWINS[name]
    source = resolve_source(EXPORTS / name, name)
    assert (source.layout.name, source.declared_by) == (layout, declared_by)
    expected_respondents, expected_answers = comparable(
        read_export(EXPORTS / "canonical.csv", YEAR, reference, pseudonym_key=KEY)
    )
    respondents, answers = comparable(read_export(EXPORTS / name, YEAR, reference, pseudonym_key=KEY))
    # the pseudonym of the id the export carries (canonical ids where the tool lets the survey set them)
    assert respondents["respondent_id"].tolist() == [pid(i) for i in raw_ids]
    ids = dict(zip(respondents["respondent_id"], expected_respondents["respondent_id"], strict=True))
    respondents["respondent_id"] = respondents["respondent_id"].map(ids)
    answers["respondent_id"] = answers["respondent_id"].map(ids)
    pd.testing.assert_frame_equal(respondents, expected_respondents)
    pd.testing.assert_frame_equal(answers, expected_answers)


@pytest.mark.parametrize("name", list(TWINS))
def test_personal_data_of_every_source_is_dropped(name: str, reference: Reference) -> None:
    parsed = read_export(EXPORTS / name, YEAR, reference, pseudonym_key=KEY)
    text = parsed.respondents.astype(str).to_csv() + parsed.answers.astype(str).to_csv()
    for value in [*PERSONAL, "anonymous", "r-0001"]:
        assert value not in text, value


def test_qualtrics_unfinished_responses_are_kept_and_flagged(reference: Reference) -> None:
    for name in ("qualtrics_labels.csv", "qualtrics_codes.csv"):
        respondents = read_export(EXPORTS / name, YEAR, reference, pseudonym_key=KEY).respondents
        assert len(respondents) == 5  # not dropped
        assert respondents["is_complete"].tolist() == [True, False, True, False, True]


def test_qualtrics_progress_under_100_is_incomplete_even_if_finished(reference: Reference, tmp_path: Path) -> None:
    text = (EXPORTS / "qualtrics_labels.csv").read_text(encoding="utf-8").splitlines()
    first = text[3].split(",")
    first[4] = "80"  # Progress of r-0001; Finished stays True
    (tmp_path / "q.csv").write_text("\n".join([*text[:3], ",".join(first), *text[4:]]) + "\n", encoding="utf-8")
    respondents = read_export(tmp_path / "q.csv", YEAR, reference, pseudonym_key=KEY).respondents
    assert respondents["is_complete"].tolist()[:2] == [False, False]


def test_qualtrics_numeric_codes_without_the_declaration_are_rejected(reference: Reference, tmp_path: Path) -> None:
    shutil.copy(EXPORTS / "qualtrics_codes.csv", tmp_path / "qualtrics_codes.csv")  # no sidecar: 7 undeclared
    with pytest.raises(ExportError) as caught:
        read_export(tmp_path / "qualtrics_codes.csv", YEAR, reference, pseudonym_key=KEY)
    assert caught.value.column == "Q1_1" and "outside the scale" in str(caught.value) and caught.value.rows == [5]


def test_efs_missing_codes_are_blanks_not_scores(reference: Reference) -> None:
    parsed = read_export(EXPORTS / "questback_efs.csv", YEAR, reference, pseudonym_key=KEY)
    assert not parsed.answers["answer_value"].isin([0, -66, -77, -99]).any()
    assert parsed.n_answers == 21  # the same 21 answers and don't-knows as canonical.csv


def test_surveyxact_dont_know_inside_the_range_is_declared_per_item(reference: Reference, tmp_path: Path) -> None:
    """'Vet ikke' = 6 on Q01's list (inside 1-6) is declared for Q01 only: Q02's 6 is a score."""
    dataset = "respondentid;selskap;s_1;s_2\r\na;Fjelltele;6;6\r\nb;Fjelltele;2;3\r\n"
    (tmp_path / "sx_dataset.csv").write_bytes(dataset.encode("cp1252"))
    (tmp_path / "sx_structure.csv").write_text(
        "variable;text\r\ns_1;Jeg er motivert for jobben min\r\ns_2;Jeg gleder meg til å gå på jobb\r\n",
        encoding="cp1252",
    )
    sidecar = tmp_path / "sx_dataset.csv.source.yml"
    sidecar.write_text("source: surveyxact\ndont_know_codes:\n  Q01: [6]\n", encoding="utf-8")
    answers = read_export(tmp_path / "sx_dataset.csv", YEAR, reference, pseudonym_key=KEY).answers
    assert answers[["item_id", "answer_value", "is_dont_know"]].astype(str).values.tolist() == [
        ["Q01", "nan", "True"],
        ["Q02", "6.0", "False"],
        ["Q01", "2.0", "False"],
        ["Q02", "3.0", "False"],
    ]
    sidecar.unlink()  # undeclared: 6 is a score on Q01 too (never inferred)
    answers = read_export(tmp_path / "sx_dataset.csv", YEAR, reference, pseudonym_key=KEY).answers
    assert answers["answer_value"].tolist() == [6.0, 6.0, 2.0, 3.0]


def test_a_folder_named_after_a_source_declares_it(reference: Reference, tmp_path: Path) -> None:
    landing = tmp_path / str(YEAR)
    (landing / "questback").mkdir(parents=True)
    # a Questback export whose header lacks the 'Besvart' signature column: recognised only by its folder
    frame = pd.DataFrame(
        {
            "Respondent-ID": ["a", "b"],
            "Selskap": ["Fjelltele"] * 2,
            "Jeg er motivert for jobben min": ["I stor grad", "Vet ikke"],
        }
    )
    frame.to_excel(landing / "questback" / "fjell.xlsx", index=False)
    assert resolve_source(landing / "questback" / "fjell.xlsx", "questback/fjell.xlsx").declared_by == "folder"
    report = sync_year(tmp_path / "w.duckdb", landing, YEAR, reference, KEY)
    assert [(f.file_name, f.source) for f in report.loaded] == [("questback/fjell.xlsx", "questback")]


def test_sync_loads_every_source_and_never_loads_companions_or_sidecars(reference: Reference, tmp_path: Path) -> None:
    landing = tmp_path / str(YEAR)
    landing.mkdir()
    for name in ("surveyxact_dataset.csv", "surveyxact_labels.csv", "surveyxact_structure.csv"):
        shutil.copy(EXPORTS / name, landing / name)
    shutil.copy(EXPORTS / "surveyxact_dataset.csv.source.yml", landing / "surveyxact_dataset.csv.source.yml")
    report = sync_year(tmp_path / "w.duckdb", landing, YEAR, reference, KEY)
    assert report.ok, report.summary()
    assert [(f.file_name, f.source, f.n_answers) for f in report.files] == [
        ("surveyxact_dataset.csv", "surveyxact", 21)
    ]
    # a changed label file (a companion) reloads its dataset
    labels = landing / "surveyxact_labels.csv"
    labels.write_bytes(labels.read_bytes().replace("Vet ikke".encode("cp1252"), "Vet ikke ".encode("cp1252")))
    again = sync_year(tmp_path / "w.duckdb", landing, YEAR, reference, KEY)
    assert [f.file_name for f in again.loaded] == ["surveyxact_dataset.csv"]


def test_a_renamed_or_reworded_question_keeps_its_item_id_via_the_crosswalk(tmp_path: Path) -> None:
    """A configuration change: rows in seeds/item_crosswalk.csv, no code."""
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    with (seeds / "item_crosswalk.csv").open("a", encoding="utf-8") as f:
        f.write("2024,Jeg er motivert i jobben,Q01\n2024,motivasjon_1,Q02\n")
    reference = Reference.from_seeds(seeds)
    path = tmp_path / "g.csv"
    path.write_text(
        "Tidsmerke,Selskap,Spørsmål [Jeg er motivert i jobben],motivasjon_1\n"
        "01.03.2024 10:00:00,Fjelltele,I stor grad,4\n",
        encoding="utf-8",
    )
    answers = read_export(path, 2024, reference, pseudonym_key=KEY).answers
    assert answers[["source_column", "item_id"]].values.tolist() == [
        ["Spørsmål [Jeg er motivert i jobben]", "Q01"],
        ["motivasjon_1", "Q02"],
    ]
    with pytest.raises(ExportError, match="maps to no item_id for 2025"):
        read_export(path, 2025, reference, pseudonym_key=KEY)  # the crosswalk rows are for 2024 only


def test_a_title_row_above_the_header_of_a_questback_csv(reference: Reference, tmp_path: Path) -> None:
    path = tmp_path / "qb.csv"
    path.write_text(
        "Medarbeiderundersøkelse 2023\n\nRespondent-ID;Selskap;Besvart;Jeg er motivert for jobben min\n"
        "a;Fjelltele;01.03.2023 10:00;I stor grad\nb;Fjelltele;02.03.2023 11:00;Vet ikke\n",
        encoding="utf-8",
    )
    parsed = read_export(path, YEAR, reference, pseudonym_key=KEY)
    assert resolve_source(path, "qb.csv").layout.name == "questback"
    assert parsed.answers[["item_id", "answer_value", "is_dont_know"]].astype(str).values.tolist() == [
        ["Q01", "5.0", "False"],
        ["Q01", "nan", "True"],
    ]
