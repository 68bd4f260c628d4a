"""Read an export file (CSV, .xlsx, .sav) into one wide frame of raw cells: no mapping, no validation yet."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .errors import ExportError
from .reference import normalise_text

SOURCE_FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".sav": "sav"}
_DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True)
class RawExport:
    """An export as read: `frame` has one column per export column (header names trimmed), cells as given
    (strings, numbers or datetimes; blank = NA) and the 1-based data row number as index (header rows not counted;
    rows with every cell blank already left out). `.sav` files also give their value labels and user-missing
    ranges per column."""

    file: str
    source_format: str
    frame: pd.DataFrame
    value_labels: dict[str, dict[float, str]] = field(default_factory=dict)
    user_missing: dict[str, list[tuple[float, float]]] = field(default_factory=dict)


def source_format_of(path: Path) -> str | None:
    return SOURCE_FORMATS.get(path.suffix.lower())


def decode_text(data: bytes, file: str) -> str:
    """UTF-16 (with its BOM), else UTF-8 (with or without BOM), else Windows-1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as e:
        raise ExportError(file, f"cannot decode the file: expected UTF-8, UTF-8 with BOM or Windows-1252 ({e})") from e


def detect_delimiter(text: str) -> str:
    """The delimiter (comma, semicolon or tab) that splits the header line into the most fields."""
    first_line = text.lstrip("\r\n").splitlines()[0] if text.strip() else ""
    counts = {d: len(next(csv.reader([first_line], delimiter=d), [])) for d in _DELIMITERS}
    return max(_DELIMITERS, key=lambda d: counts[d])  # ties go to the earlier (comma)


def _strip_cells(column: pd.Series, all_text: bool) -> pd.Series:
    """Trim text cells and turn blank ones into NA; numbers and datetimes are kept as they are."""
    if all_text:
        stripped = column.str.strip()
        return stripped.where(stripped.ne("") & stripped.notna(), None).astype(object)
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    cleaned = [u.strip() or None if isinstance(u, str) else u for u in uniques]  # distinct values only
    values = pd.Series(cleaned + [None], dtype=object).take(codes)  # code -1 (NA) takes the trailing None
    return pd.Series(values.to_numpy(), index=column.index, dtype=object)


def _finish(data: pd.DataFrame, header: list[object], file: str, all_text: bool) -> pd.DataFrame:
    """Name the columns from the header, check the names, clean the cells, number the data rows from 1."""
    names = ["" if pd.isna(h) else str(h).strip() for h in header]
    data = data.copy()
    data.columns = range(len(names))
    keep = []
    for position, name in enumerate(names):
        if name:
            keep.append(position)
        elif data[position].notna().any():
            raise ExportError(file, f"column {position + 1} has values but no name in the header row")
    data = data[keep]
    data.columns = [names[p] for p in keep]
    seen: dict[str, str] = {}
    for name in data.columns:
        key = normalise_text(name)
        if key in seen:
            raise ExportError(file, f"the header names this column twice (also as {seen[key]!r})", column=name)
        seen[key] = name
    if not len(data.columns):
        raise ExportError(file, "the file has no named columns")
    data = pd.DataFrame({name: _strip_cells(data[name], all_text) for name in data.columns})
    data.index = pd.RangeIndex(1, len(data) + 1, name="data_row")
    data = data[data.notna().any(axis=1)]
    if data.empty:
        raise ExportError(file, "the file has a header but no respondent rows")
    return data


def _split_header(table: pd.DataFrame, header_rows: int, file: str) -> tuple[list[object], pd.DataFrame]:
    """Leading blank rows skipped; the first header row names the columns; data starts after the header rows."""
    non_blank = table.notna().any(axis=1).to_numpy().nonzero()[0]
    if not len(non_blank):
        raise ExportError(file, "the file is empty")
    table = table.iloc[non_blank[0] :]
    return table.iloc[0].tolist(), table.iloc[header_rows:]


def read_csv(path: Path, file: str, header_rows: int = 1) -> RawExport:
    data = path.read_bytes()
    text = decode_text(data, file)
    if not text.strip():
        raise ExportError(file, "the file is empty")
    first_line, _, rest = text.lstrip("\r\n").partition("\n")
    if re.fullmatch(r"sep=(.)", first_line.strip("\r")):  # Excel's delimiter hint line
        delimiter, text = first_line.strip("\r")[4], rest
    else:
        delimiter = detect_delimiter(text)
    try:
        table = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            header=None,
            dtype=str,
            keep_default_na=False,  # "N/A" is an answer label, not a missing value
            na_values=[""],
            skip_blank_lines=False,
        )
    except pd.errors.ParserError as e:
        raise ExportError(file, f"not a well-formed {delimiter!r}-separated file: {e}") from e
    header, data = _split_header(table, header_rows, file)
    return RawExport(file, "csv", _finish(data, header, file, all_text=True))


def read_xlsx(path: Path, file: str, header_rows: int = 1) -> RawExport:
    try:
        table = pd.read_excel(path, sheet_name=0, header=None, dtype=object, engine="openpyxl")
    except Exception as e:  # openpyxl raises a variety of types for broken files
        raise ExportError(file, f"cannot read the workbook: {e}") from e
    header, data = _split_header(table, header_rows, file)
    return RawExport(file, "xlsx", _finish(data, header, file, all_text=False))


def read_sav(path: Path, file: str, header_rows: int = 1) -> RawExport:
    import pyreadstat

    try:
        table, meta = pyreadstat.read_sav(str(path), apply_value_formats=False, user_missing=True)
    except Exception as e:  # pyreadstat.ReadstatError and friends
        raise ExportError(file, f"cannot read the SPSS file: {e}") from e
    if not len(table.columns):
        raise ExportError(file, "the file is empty")
    header = list(table.columns)
    value_labels = {str(k).strip(): dict(v) for k, v in (meta.variable_value_labels or {}).items()}
    user_missing = {
        str(k).strip(): [(float(r["lo"]), float(r["hi"])) for r in v]
        for k, v in (meta.missing_ranges or {}).items()
        if v
    }
    frame = _finish(table.astype(object).where(table.notna(), None), header, file, all_text=False)
    return RawExport(file, "sav", frame, value_labels, user_missing)


def read_raw(path: str | Path, file: str | None = None, header_rows: int = 1) -> RawExport:
    """Read any supported export; `file` is the name used in error messages (default: the file name)."""
    path = Path(path)
    file = file or path.name
    if not path.is_file():
        raise ExportError(file, "no such file")
    if path.stat().st_size == 0:
        raise ExportError(file, "the file is empty")
    source_format = source_format_of(path)
    if source_format == "csv":
        return read_csv(path, file, header_rows)
    if source_format == "xlsx":
        return read_xlsx(path, file, header_rows)
    if source_format == "sav":
        return read_sav(path, file, header_rows)
    raise ExportError(file, f"unsupported file type {path.suffix!r}: expected .csv, .xlsx or .sav")
