"""From a raw wide export to validated long tables: map columns, resolve companies, turn labels into codes,
check ranges, pseudonymise respondent ids. Set-wise throughout (pandas); loops run over columns or over distinct
values, never over respondents."""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from dataclasses import dataclass
from numbers import Number
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import ExportError
from .layouts import REQUIRED_FIELDS, SourceLayout, load_layout
from .pseudonym import pseudonymise
from .readers import RawExport, read_raw
from .reference import Label, Reference, normalise_series, normalise_text

RESPONDENT_COLUMNS = [
    "year",
    "respondent_id",
    "company_id",
    "department",
    "tenure_band",
    "age_band",
    "role",
    "submitted_at",
    "is_complete",
]
ANSWER_COLUMNS = [
    "year",
    "respondent_id",
    "company_id",
    "item_id",
    "source_column",
    "answer_value",
    "is_dont_know",
]
_TEXT_FIELDS = ("department", "tenure_band", "age_band", "role")
_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")
_LOOKS_LIKE_QUESTION = re.compile(r"^q\d+", re.IGNORECASE)
_TRUE = {"1", "true", "yes", "y", "ja", "j", "x", "finished", "complete", "completed", "fullført", "fullfort"}
_FALSE = {"0", "false", "no", "n", "nei", "partial", "incomplete", "ufullstendig"}
_DAYFIRST_FORMATS = (
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
)


@dataclass
class ParsedExport:
    """One export, validated and reshaped.

    respondents: one row per respondent, columns RESPONDENT_COLUMNS (respondent_id already pseudonymised).
    answers: one row per respondent × item answered or marked don't-know, columns ANSWER_COLUMNS (built on first
    use from `item_answers`, which has only source_column and item_id (categorical), answer_value and
    is_dont_know: the loader inserts that and joins the respondent in DuckDB, so a big export is never held as
    millions of repeated id strings).
    All are indexed by `data_row`, the respondent's 1-based data row in the file (for error messages only; it is
    not a warehouse column). `respondent_id_column` is the export's name for the respondent id column.
    """

    file: str
    source_format: str
    respondents: pd.DataFrame
    item_answers: pd.DataFrame
    respondent_id_column: str = "respondent_id"

    @functools.cached_property
    def answers(self) -> pd.DataFrame:
        answers = self.item_answers.astype({"source_column": object, "item_id": object})
        answers = answers.join(self.respondents[["year", "respondent_id", "company_id"]])
        return answers[ANSWER_COLUMNS]

    @property
    def n_respondents(self) -> int:
        return len(self.respondents)

    @property
    def n_answers(self) -> int:
        return len(self.item_answers)


def read_export(
    path: str | Path,
    year: int,
    reference: Reference,
    *,
    pseudonym_key: bytes | str,
    layout: str | Path | SourceLayout | None = None,
    file_name: str | None = None,
) -> ParsedExport:
    """Read, validate and reshape one export file. Raises ExportError naming file, data row and column.

    `layout` None: declared by a sidecar `<file>.source.yml`, else recognised by its header (see `resolve_source`);
    SurveyXact companion files (labels, structure) beside a dataset file are read with it."""
    from .detect import resolve_source

    source = resolve_source(Path(path), file_name or Path(path).name, layout)
    raw = read_raw(path, file_name, layout=source.layout, companions=source.companions)
    return parse_export(raw, year, reference, pseudonym_key=pseudonym_key, layout=source.layout)


# -- cells to values ----------------------------------------------------------------------------------------------
def _text_of(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return str(value).lower()
    if isinstance(value, Number) and float(value).is_integer():  # 1001.0 from a spreadsheet is id "1001"
        return str(int(value))
    if isinstance(value, dt.datetime | pd.Timestamp):
        return value.isoformat(sep=" ")
    return str(value)


def as_text(column: pd.Series) -> pd.Series:
    """Cells as text (numbers without a spurious '.0'); NA stays NA. Computed per distinct value."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    texts = pd.Series([_text_of(u) for u in uniques] + [None], dtype=object).take(codes)  # -1 → trailing None
    return pd.Series(texts.to_numpy(), index=column.index, dtype=object)


def _apply_value_labels(column: pd.Series, labels: dict[float, str]) -> pd.Series:
    """.sav: replace coded values by their value label (codes without a label are kept)."""
    if not labels:
        return column
    mapped = column.map(labels)
    return mapped.where(mapped.notna(), column)


@dataclass(frozen=True)
class _Classified:
    value: np.ndarray  # float, NaN where not a number or a code-bearing label
    is_dont_know: np.ndarray  # bool
    is_label: np.ndarray  # bool: given as a known label of the item's scale (else a number, or unknown)
    is_unknown: np.ndarray  # bool: neither a number nor a label of the item's scale
    is_other_scale: np.ndarray  # bool (within is_unknown): a label written for another scale


def _classify(cells: pd.Series, labels: dict[str, Label], other_scales: set[str]) -> _Classified:
    """Numbers and labels of the item's scale (Norwegian/English, case-insensitive) → code or don't-know, per
    distinct value."""
    codes, uniques = pd.factorize(cells, use_na_sentinel=True)
    n = len(uniques)
    value = np.full(n, np.nan)
    is_dk = np.zeros(n, dtype=bool)
    is_label = np.zeros(n, dtype=bool)
    is_unknown = np.zeros(n, dtype=bool)
    is_other_scale = np.zeros(n, dtype=bool)
    for k, u in enumerate(uniques):  # distinct cell values: a handful per file
        if isinstance(u, Number) and not isinstance(u, bool | np.bool_):
            value[k] = float(u)
            continue
        text = str(u).strip()
        if _NUMBER.match(text):
            value[k] = float(text.replace(",", "."))
            continue
        key = normalise_text(text)
        label = labels.get(key)
        if label is None:
            is_unknown[k] = True
            is_other_scale[k] = key in other_scales
        else:
            is_label[k] = True
            is_dk[k] = label.is_dont_know
            value[k] = np.nan if label.answer_code is None else label.answer_code
    return _Classified(value[codes], is_dk[codes], is_label[codes], is_unknown[codes], is_other_scale[codes])


def _parse_timestamps(text: pd.Series, file: str, column: str, formats: tuple[str, ...] = ()) -> pd.Series:
    """ISO 8601 (an offset is converted to UTC, the zone then dropped), day-first Norwegian dates, or the layout's
    own formats (SurveyMonkey's month-first with AM/PM)."""
    parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
    for fmt in (*formats, *_DAYFIRST_FORMATS):
        todo = parsed.isna() & text.notna()
        if not todo.any():
            break
        parsed = parsed.where(~todo, pd.to_datetime(text.where(todo), format=fmt, errors="coerce", utc=True))
    bad = parsed.isna() & text.notna()
    if bad.any():
        raise ExportError(
            file,
            "expected a date and time (ISO 8601 like 2024-03-01 14:05, or 01.03.2024 14:05)",
            rows=bad[bad].index,
            column=column,
        )
    return parsed.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[us]")


def _parse_flags(text: pd.Series, file: str, column: str) -> pd.Series:
    keys = normalise_series(text)
    flags = keys.map({**dict.fromkeys(_TRUE, True), **dict.fromkeys(_FALSE, False)})
    bad = flags.isna() & keys.notna()
    if bad.any():
        raise ExportError(file, "expected a yes/no value (1/0, true/false, ja/nei)", rows=bad[bad].index, column=column)
    return flags


def _quote(values: pd.Series, limit: int = 3) -> str:
    distinct = [str(v)[:40] for v in pd.unique(values.dropna())]
    shown = ", ".join(repr(v) for v in distinct[:limit])
    return shown + (f" and {len(distinct) - limit} more" if len(distinct) > limit else "")


# -- columns ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Columns:
    fields: dict[str, str]  # metadata field → export column
    items: dict[str, str]  # export column → item_id (in file order)


def _map_columns(raw: RawExport, year: int, reference: Reference, layout: SourceLayout) -> _Columns:
    file = raw.file
    column_map = reference.column_map(year)
    all_items = {normalise_text(i): i for i in reference.items["item_id"]}
    fields: dict[str, str] = {}
    items: dict[str, str] = {}
    unknown: list[str] = []
    for column in raw.frame.columns:
        field_name = layout.field_for(column)
        item_id = None
        if field_name is None:
            for name in (column, *raw.alt_names.get(column, ())):
                for text in layout.question_texts(name):
                    item_id = item_id or column_map.get(normalise_text(text))
        if field_name is not None:
            if field_name in fields:
                raise ExportError(
                    file, f"two columns hold {field_name}: {fields[field_name]!r} and {column!r}", column=column
                )
            fields[field_name] = column
        elif item_id is not None:
            twin = next((c for c, i in items.items() if i == item_id), None)
            if twin is not None:
                raise ExportError(file, f"two columns map to item {item_id}: {twin!r} and {column!r}", column=column)
            items[column] = item_id
        elif not any(layout.is_dropped(name) for name in (column, *raw.alt_names.get(column, ()))):
            unknown.append(column)  # dropped when its name or its question text is on the layout's drop list
    if unknown and layout.unknown_columns == "error":
        column = unknown[0]
        key = normalise_text(column)
        if key in all_items:
            problem = f"item {all_items[key]} is not asked in {year} (see first_year/last_year in seeds/items.csv)"
        elif _LOOKS_LIKE_QUESTION.match(column) or raw.alt_names.get(column) or len(layout.question_texts(column)) > 1:
            problem = (
                f"looks like a question but maps to no item_id for {year}: expected an item_id or question text of "
                f"seeds/items.csv or a source_column of seeds/item_crosswalk.csv for {year}"
            )
        else:
            problem = (
                f"unknown column: not a question of {year}, not a column of layout {layout.name!r} and not in its "
                "drop list"
            )
        if len(unknown) > 1:
            problem += f" (other unknown columns: {', '.join(repr(c) for c in unknown[1:6])})"
        raise ExportError(file, problem, column=column)
    for field_name in REQUIRED_FIELDS:
        if field_name == "respondent_id" and layout.respondent_id_from_row:
            continue
        if field_name not in fields:
            aliases = ", ".join(repr(a) for a in layout.columns.get(field_name, ())[:4])
            raise ExportError(
                file, f"no {field_name} column (expected a column named one of {aliases}, …)", column=field_name
            )
    if not items:
        raise ExportError(file, f"no question columns: expected columns named by the item_ids asked in {year}")
    return _Columns(fields, items)


# -- the whole export ---------------------------------------------------------------------------------------------
def parse_export(
    raw: RawExport,
    year: int,
    reference: Reference,
    *,
    pseudonym_key: bytes | str,
    layout: str | Path | SourceLayout = "canonical",
) -> ParsedExport:
    layout = load_layout(layout)
    file = raw.file
    frame = raw.frame
    columns = _map_columns(raw, year, reference, layout)

    def text_column(field_name: str) -> pd.Series:
        column = columns.fields.get(field_name)
        if column is None:
            return pd.Series(None, index=frame.index, dtype=object)
        return as_text(_apply_value_labels(frame[column], raw.value_labels.get(column, {})))

    # Respondent id: present and unique within the file (the id itself is never quoted).
    if "respondent_id" in columns.fields:
        rid_column = columns.fields["respondent_id"]
        raw_ids = text_column("respondent_id")
    else:  # layout.respondent_id_from_row: '<file>#<data row>'
        rid_column = "data row"
        raw_ids = pd.Series([f"{file}#{r}" for r in frame.index], index=frame.index, dtype=object)
    if raw_ids.isna().any():
        raise ExportError(file, "missing respondent id", rows=raw_ids[raw_ids.isna()].index, column=rid_column)
    duplicated = raw_ids.duplicated(keep=False)
    if duplicated.any():
        raise ExportError(
            file,
            "duplicate respondent id: every row must have its own id",
            rows=duplicated[duplicated].index,
            column=rid_column,
        )

    # Company: by company_id or company_name as in seeds/companies.csv.
    company_column = columns.fields["company"]
    company_text = text_column("company")
    if company_text.isna().any():
        raise ExportError(file, "missing company", rows=company_text[company_text.isna()].index, column=company_column)
    company_id = reference.resolve_companies(company_text)
    unknown = company_id.isna()
    if unknown.any():
        raise ExportError(
            file,
            f"unknown company {_quote(company_text[unknown])}: expected a company_id or company_name of "
            "seeds/companies.csv",
            rows=unknown[unknown].index,
            column=company_column,
        )

    answers = _answers(raw, columns, year, reference, layout)

    respondents = pd.DataFrame(index=frame.index)
    respondents["year"] = year
    respondents["respondent_id"] = pseudonymise(raw_ids, pseudonym_key)
    respondents["company_id"] = company_id.astype(object)
    for field_name in _TEXT_FIELDS:
        respondents[field_name] = text_column(field_name)
    submitted = text_column("submitted_at")
    respondents["submitted_at"] = (
        _parse_timestamps(submitted, file, columns.fields["submitted_at"], layout.date_formats)
        if "submitted_at" in columns.fields
        else pd.Series(pd.NaT, index=frame.index, dtype="datetime64[us]")
    )
    if "is_complete" in columns.fields:
        flags = _parse_flags(text_column("is_complete"), file, columns.fields["is_complete"])
        respondents["is_complete"] = flags.astype(bool)
    else:  # complete = every question column of the file answered or marked don't-know
        per_row = answers.groupby("data_row").size().reindex(frame.index, fill_value=0)
        respondents["is_complete"] = per_row.eq(len(columns.items))
    if "progress" in columns.fields:  # Qualtrics: Progress under 100 is an unfinished response, kept and flagged
        progress_text = text_column("progress")
        progress = pd.to_numeric(progress_text.str.replace(",", ".").str.rstrip("%"), errors="coerce")
        bad = progress.isna() & progress_text.notna()
        if bad.any():
            raise ExportError(
                file, "expected a percentage from 0 to 100", rows=bad[bad].index, column=columns.fields["progress"]
            )
        respondents["is_complete"] = respondents["is_complete"] & ~(progress < 100)

    return ParsedExport(
        file=file,
        source_format=raw.source_format,
        respondents=respondents[RESPONDENT_COLUMNS],
        item_answers=answers,
        respondent_id_column=rid_column,
    )


@dataclass(frozen=True)
class _ColumnCells:
    """One question column, decided per distinct cell value: the positions (into the frame's rows) of its non-blank
    cells, the distinct value each holds (`codes`), and per distinct value its code, don't-know flag, whether it
    is kept (not a missing code) and whether it is invalid: a number off the item's scale or not whole, or a label
    that is not one of the item's scale."""

    positions: np.ndarray
    codes: np.ndarray
    uniques: np.ndarray
    value: np.ndarray
    is_dk: np.ndarray
    keep: np.ndarray
    off_scale: np.ndarray
    not_whole: np.ndarray
    bad_label: np.ndarray
    other_scale: np.ndarray  # within bad_label: a label of another scale (e.g. agreement words on the 0-10 item)

    @property
    def bad_value(self) -> np.ndarray:
        return self.off_scale | self.not_whole


def _column_cells(
    cells: pd.Series, column: str, item_id: str, raw: RawExport, reference: Reference, layout: SourceLayout
) -> _ColumnCells:
    codes, uniques = pd.factorize(cells, use_na_sentinel=True)
    uniques = np.asarray(uniques, dtype=object)
    scale_min, scale_max = reference.item_scales.loc[item_id]
    label_lookup = reference.label_lookup(scale_min, scale_max)
    other_scales = reference.labels_of_other_scales(scale_min, scale_max)
    classified = _classify(pd.Series(uniques, dtype=object), label_lookup, other_scales)
    value = classified.value.copy()
    is_dk = classified.is_dont_know.copy()
    is_number = ~(classified.is_label | classified.is_unknown)
    keep = np.ones(len(uniques), dtype=bool)
    # Declared special codes of the layout (or the file's sidecar), then (for .sav and SurveyXact label files) codes
    # whose value label is a don't-know label or that are declared user-missing in the file.
    keep &= ~(is_number & np.isin(value, layout.missing_codes))
    for item_or_all, dk_codes in layout.dont_know_codes.items():
        if item_or_all in ("*", item_id):
            is_dk |= is_number & np.isin(value, dk_codes)
    value_labels = raw.value_labels.get(column, {})
    if value_labels or column in raw.user_missing:
        given = value.copy()
        labelled_dk_codes = _dont_know_codes(value_labels, label_lookup)
        for lo, hi in raw.user_missing.get(column, []):
            missing = is_number & (given >= lo) & (given <= hi)
            keep &= ~(missing & ~np.isin(given, labelled_dk_codes))
        recode = {
            float(code): found
            for code, label in value_labels.items()
            if (found := label_lookup.get(normalise_text(label))) is not None
        }
        for code, found in recode.items():  # value labels that are answer labels decide the code or don't-know
            labelled = is_number & (given == code)
            is_dk |= labelled & found.is_dont_know
            value = np.where(labelled, np.nan if found.answer_code is None else found.answer_code, value)
    scored_number = keep & ~is_dk & ~classified.is_unknown
    with np.errstate(invalid="ignore"):
        off_scale = scored_number & ((value < scale_min) | (value > scale_max))
        not_whole = scored_number & ~np.isclose(np.nan_to_num(value) % 1, 0)
    bad_label = keep & classified.is_unknown
    present = codes >= 0
    return _ColumnCells(
        positions=np.flatnonzero(present),
        codes=codes[present],
        uniques=uniques,
        value=value,
        is_dk=is_dk,
        keep=keep,
        off_scale=off_scale,
        not_whole=not_whole,
        bad_label=bad_label,
        other_scale=bad_label & classified.is_other_scale,
    )


def _answers(raw: RawExport, columns: _Columns, year: int, reference: Reference, layout: SourceLayout) -> pd.DataFrame:
    """Long answers (data_row, source_column, item_id, answer_value, is_dont_know); raises on the first bad column.

    Column by column on numpy arrays: each column's distinct values are classified once and its cells take their
    verdict by code, so a 50 MB export never becomes millions of Python strings in a long frame."""
    file = raw.file
    item_columns = list(columns.items)
    rows = raw.frame.index.to_numpy()
    # respondent × question grids, filled column by column: read row-major they are already in the long table's
    # order (respondent by respondent, questions in column order), with no sort and no concatenation
    values = np.full((len(rows), len(item_columns)), np.nan)
    dont_know = np.zeros(values.shape, dtype=bool)
    taken = np.zeros(values.shape, dtype=bool)
    problems: list[str] = []
    first_problem = None
    for position, column in enumerate(item_columns):
        cells = _column_cells(raw.frame[column], column, columns.items[column], raw, reference, layout)
        bad = cells.bad_value | cells.bad_label
        if bad.any():
            problems.append(column)
            if first_problem is None:
                first_problem = cells
            continue
        if problems:
            continue  # only counting the columns with problems from here on
        kept = cells.keep[cells.codes]
        codes = cells.codes[kept]
        at = cells.positions[kept]
        is_dk = cells.is_dk[codes]
        values[at, position] = np.where(is_dk, np.nan, cells.value[codes])
        dont_know[at, position] = is_dk
        taken[at, position] = True
    if problems:
        column, cells = problems[0], first_problem
        lo, hi = reference.item_scales.loc[columns.items[column]]
        expected = (
            f"expected a whole number from {_fmt(lo)} to {_fmt(hi)}, an answer label of seeds/answer_labels.csv for "
            "that scale or a don't-know"
        )
        # The cell itself is not quoted (it is a respondent's answer): its data row and column find it in the file.
        which = cells.bad_value if cells.bad_value.any() else cells.bad_label
        where = which[cells.codes]
        if cells.bad_value.any():
            kinds = [
                kind
                for kind, found in (
                    ("a number outside the scale", cells.off_scale),
                    ("a number that is not whole", cells.not_whole),
                )
                if found.any()
            ]
            problem = f"invalid answer ({' and '.join(kinds)}): {expected}"
        else:
            kinds = [
                kind
                for kind, found in (
                    ("unknown answer label", cells.bad_label & ~cells.other_scale),
                    (
                        f"answer label of another scale (item {columns.items[column]} is on the {_fmt(lo)}-{_fmt(hi)} "
                        "scale)",
                        cells.other_scale,
                    ),
                )
                if found.any()
            ]
            problem = f"{' and '.join(kinds)}: {expected}"
        others = len(problems) - 1
        if others:
            problem += f" ({others} more column{'s' if others > 1 else ''} with invalid values)"
        raise ExportError(file, problem, rows=rows[cells.positions[where]], column=column)

    flat = np.flatnonzero(taken)
    del taken
    position = (flat % len(item_columns)).astype(np.int32)
    data_row = rows[flat // len(item_columns)]
    item_ids = [columns.items[c] for c in item_columns]
    return pd.DataFrame(
        {
            "source_column": pd.Categorical.from_codes(position, categories=item_columns),
            "item_id": pd.Categorical.from_codes(position, categories=item_ids)
            if len(set(item_ids)) == len(item_ids)
            else pd.Categorical(np.asarray(item_ids, dtype=object)[position]),
            "answer_value": values.ravel()[flat],
            "is_dont_know": dont_know.ravel()[flat],
        },
        index=pd.Index(data_row, name="data_row"),
    )


def _dont_know_codes(value_labels: dict[float, str], label_lookup: dict) -> list[float]:
    return [
        float(code)
        for code, label in value_labels.items()
        if (found := label_lookup.get(normalise_text(label))) is not None and found.is_dont_know
    ]


def _fmt(number: float) -> str:
    return str(int(number)) if math.isfinite(number) and float(number).is_integer() else str(number)
