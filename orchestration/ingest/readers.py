"""Read an export file (CSV, .xlsx, .sav) into one wide frame of raw cells: no mapping, no validation yet.

The header is read as the file's layout says (title rows above it, several header rows, question-text and
sub-heading rows); files that cannot be trusted as data (binary content with a .csv name, ragged or truncated
rows, spreadsheet formulas) are refused here with an ExportError that never quotes a cell.
"""

from __future__ import annotations

import csv
import errno
import io
import os
import re
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import pandas as pd

from .errors import MACHINE_ERRORS, ExportError
from .layouts import SourceLayout, load_layout
from .reference import normalise_text

SOURCE_FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".sav": "sav"}
_DELIMITERS = (",", ";", "\t")
_PEEK_BYTES = 1 << 18
_MAX_TITLE_ROWS = 10
# What str.strip() removes (the characters str.isspace() accepts; tests/test_ingest_read.py checks the list).
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
#: The largest landing file ingestion reads (an export, its sidecar, a companion file; for an .xlsx also the XML it
#: unpacks to): anything larger is refused unread. A 50 MB export is the size measured by `make bench`.
MAX_FILE_BYTES = 512 * 2**20
_SYMLINK = "the file is a symbolic link: copy the file itself into the landing folder instead"


@dataclass(frozen=True)
class RawExport:
    """An export as read: `frame` has one column per export column (header names trimmed), cells as given
    (strings, numbers or datetimes; blank = NA) and the 1-based data row number as index (header rows not counted;
    rows with every cell blank already left out). `.sav` files (and SurveyXact label files) also give value labels
    and user-missing ranges per column; `alt_names` gives other names a column may map by (question text)."""

    file: str
    source_format: str
    frame: pd.DataFrame
    value_labels: dict[str, dict[float, str]] = field(default_factory=dict)
    user_missing: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    alt_names: dict[str, list[str]] = field(default_factory=dict)


def source_format_of(path: Path) -> str | None:
    return SOURCE_FORMATS.get(path.suffix.lower())


def _check_size(size: int, file: str) -> None:
    if size > MAX_FILE_BYTES:
        raise ExportError(
            file,
            f"the file is {size / 2**20:.0f} MiB: larger than the {MAX_FILE_BYTES // 2**20} MiB a landing file may be "
            "(MAX_FILE_BYTES, docs/sources.md); split the export",
        )


def open_landing_file(path: Path, file: str) -> BinaryIO:
    """Open a landing file for reading: never through a symbolic link (O_NOFOLLOW: a link is refused and its target
    never opened), only a regular file, and only up to MAX_FILE_BYTES. `file` names it in the ExportError."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise ExportError(file, _SYMLINK) from None
        if e.errno == errno.ENOENT:
            raise ExportError(file, "no such file", quarantine=False) from None
        raise
    handle = os.fdopen(descriptor, "rb")
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise ExportError(file, "not a regular file")
        _check_size(status.st_size, file)
    except BaseException:
        handle.close()
        raise
    return handle


def read_landing_bytes(path: Path, file: str) -> bytes:
    """The bytes of a landing file, read as `open_landing_file` allows (a file that grew past the cap is refused)."""
    with open_landing_file(path, file) as handle:
        data = handle.read(MAX_FILE_BYTES + 1)
    _check_size(len(data), file)
    return data


def decode_text(data: bytes, file: str) -> str:
    """UTF-16 (with its BOM), else UTF-8 (with or without BOM), else Windows-1252. Binary content is refused."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if data.startswith(b"PK\x03\x04"):
        raise ExportError(file, "the file is a zip archive or an Excel workbook, not a text CSV: save it as .xlsx")
    if b"\x00" in data[:_PEEK_BYTES]:
        raise ExportError(file, "the file holds binary data, not text: expected a CSV export")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as e:
        raise ExportError(
            file, f"cannot decode the file: expected UTF-8, UTF-8 with BOM or Windows-1252 (byte at offset {e.start})"
        ) from e


def detect_delimiter(text: str) -> str:
    """The delimiter (comma, semicolon or tab) that splits one of the leading lines (the header, below any title
    rows) into the most fields."""
    lines = [line for line in text[:_PEEK_BYTES].lstrip("\r\n").splitlines()[: _MAX_TITLE_ROWS + 1] if line.strip()]
    counts = {
        d: max((len(next(csv.reader([line], delimiter=d), [])) for line in lines), default=0) for d in _DELIMITERS
    }
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


def _cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value).strip()


@dataclass(frozen=True)
class _Header:
    start: int  # position of the first header row in the table
    names: list[str]
    alt_names: dict[int, list[str]]  # column position → other names


def _locate_header(rows: list[list[object]], layout: SourceLayout, file: str) -> int:
    """Index (into `rows`, the leading rows of the file) of the first header row."""
    non_blank = [i for i, row in enumerate(rows) if any(_cell_text(c) for c in row)]
    if not non_blank:
        raise ExportError(file, "the file is empty")
    if not layout.find_header:
        return non_blank[0]
    for i in non_blank[:_MAX_TITLE_ROWS]:
        found = {layout.field_for(_cell_text(c)) for c in rows[i]}
        if {"respondent_id", "company"} <= found or (layout.respondent_id_from_row and "company" in found):
            return i
    raise ExportError(
        file, f"no header row naming a respondent id and a company column in the first {_MAX_TITLE_ROWS} rows"
    )


def _read_header(rows: list[list[object]], layout: SourceLayout, file: str) -> _Header:
    start = _locate_header(rows, layout, file)
    block = rows[start : start + layout.header_rows]
    if len(block) < layout.header_rows:
        raise ExportError(
            file, f"expected {layout.header_rows} header rows (layout {layout.name!r}), found {len(block)}"
        )
    width = max(len(r) for r in block)
    block = [list(r) + [None] * (width - len(r)) for r in block]
    names = [_cell_text(c) for c in block[0]]
    alt: dict[int, list[str]] = {}
    if layout.sub_heading_row:
        plain = {normalise_text(p) for p in layout.sub_heading_plain}
        subs = [_cell_text(c) for c in block[layout.sub_heading_row - 1]]
        question = ""
        for k, (name, sub) in enumerate(zip(list(names), subs, strict=True)):
            if name:
                question = name
            elif not sub:
                question = ""
                continue
            if sub and normalise_text(sub) not in plain:
                names[k] = f"{question} - {sub}"
                alt[k] = [sub]
            else:
                names[k] = question
    if layout.text_row:
        for k, text in enumerate(_cell_text(c) for c in block[layout.text_row - 1]):
            if text and names[k]:
                alt.setdefault(k, []).append(text)
    return _Header(start, names, alt)


def _finish(data: pd.DataFrame, header: _Header, file: str, all_text: bool) -> tuple[pd.DataFrame, dict]:
    """Name the columns from the header, check the names, clean the cells, number the data rows from 1."""
    names = header.names
    data = data.copy()
    data.columns = range(data.shape[1])
    keep = []
    for position in range(data.shape[1]):
        name = names[position] if position < len(names) else ""
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
    alt_names = {names[p]: header.alt_names[p] for p in keep if p in header.alt_names}
    return data, alt_names


def _text_of_file(path: Path, file: str) -> tuple[str, str]:
    """(text without Excel's 'sep=' hint line, delimiter)."""
    text = decode_text(read_landing_bytes(path, file), file)
    if not text.strip():
        raise ExportError(file, "the file is empty")
    first_line, _, rest = text.lstrip("\r\n").partition("\n")
    if re.fullmatch(r"sep=(.)", first_line.strip("\r")):  # Excel's delimiter hint line
        return rest, first_line.strip("\r")[4]
    return text, detect_delimiter(text)


def _scan_records(text: str, delimiter: str, file: str) -> tuple[list[list[str]], list[int]]:
    """(the leading records, the field count of every record); blank lines count as records of 0 fields."""
    if '"' not in text and "\x00" not in text:
        # Nothing quoted: each line is a record split at every delimiter, which is what the csv module makes of it
        # (unless a line is longer than its field limit, which it refuses), several times faster.
        lines = (text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text).split("\n")
        if lines[-1] == "":  # the last line break ends the last record
            lines.pop()
        if max(map(len, lines), default=0) <= csv.field_size_limit():
            leading = [line.split(delimiter) if line else [] for line in lines[: _MAX_TITLE_ROWS + 3]]
            blank = WHITESPACE + delimiter  # a line of these alone is a blank record
            return leading, [line.count(delimiter) + 1 if line.strip(blank) else 0 for line in lines]
    return _scan_csv_records(text, delimiter, file)


def _scan_csv_records(text: str, delimiter: str, file: str) -> tuple[list[list[str]], list[int]]:
    leading: list[list[str]] = []
    widths: list[int] = []
    try:
        for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            if len(leading) < _MAX_TITLE_ROWS + 3:
                leading.append(record)
            widths.append(len(record) if any(cell.strip() for cell in record) else 0)
    except csv.Error as e:
        raise ExportError(file, f"not a well-formed {delimiter!r}-separated file ({e})") from e
    return leading, widths


def _check_field_counts(widths: list[int], header: _Header, layout: SourceLayout, file: str) -> None:
    """Every data record has as many fields as the header row: a short or long row is a truncated or broken file."""
    width = widths[header.start]
    first_data = header.start + layout.header_rows
    bad = [k - first_data + 1 for k in range(first_data, len(widths)) if widths[k] and widths[k] != width]
    if bad:
        raise ExportError(
            file,
            f"the row has {widths[first_data + bad[0] - 1]} fields where the header has {width}: the file is "
            "truncated or broken (a cut-off last line, or a value with an unquoted delimiter or line break)",
            rows=bad,
        )


def read_csv(path: Path, file: str, layout: SourceLayout) -> RawExport:
    text, delimiter = _text_of_file(path, file)
    leading, widths = _scan_records(text, delimiter, file)
    header = _read_header(leading, layout, file)
    _check_field_counts(widths, header, layout, file)
    try:
        table = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            header=None,
            names=range(max(widths)),
            dtype="category",  # each distinct cell text once per column, not one string object per cell
            keep_default_na=False,  # "N/A" is an answer label, not a missing value
            na_values=[""],
            skip_blank_lines=False,
        )
    except pd.errors.ParserError as e:
        shown = re.sub(r"[^\w ,.:'-]", "", str(e).splitlines()[-1])[:120]  # "Expected 7 fields in line 3, saw 9"
        raise ExportError(file, f"not a well-formed {delimiter!r}-separated file: {shown}") from e
    frame, alt = _finish(table.iloc[header.start + layout.header_rows :], header, file, all_text=False)
    return RawExport(file, "csv", frame, alt_names=alt)


def _xlsx_rows(path: Path, file: str, limit: int | None = None) -> list[list[object]]:
    """Cell values of the first sheet; a formula anywhere is refused (formulas are not data)."""
    import openpyxl

    _require_defused_xml()
    with open_landing_file(path, file) as handle:
        try:
            unpacked = sum(member.file_size for member in zipfile.ZipFile(handle).infolist())
        except zipfile.BadZipFile as e:
            raise ExportError(file, "cannot read the workbook (BadZipFile): expected an .xlsx export") from e
        _check_size(unpacked, file)  # a zip bomb is refused before openpyxl unpacks it
        handle.seek(0)
        try:
            workbook = openpyxl.load_workbook(handle, read_only=True, data_only=False)
            try:
                return _sheet_rows(workbook.worksheets[0], file, limit)
            finally:
                workbook.close()
        except (ExportError, *MACHINE_ERRORS):
            raise
        except Exception as e:  # openpyxl raises a variety of types for broken files, opening them or reading rows
            cause = e.__cause__ or e  # openpyxl wraps what its XML parser refused (EntitiesForbidden) in a ValueError
            raise ExportError(
                file, f"cannot read the workbook ({type(cause).__name__}): expected an .xlsx export"
            ) from e


def _require_defused_xml() -> None:
    """openpyxl parses a workbook's XML with defusedxml when that is installed (a dependency) and not switched off
    (OPENPYXL_DEFUSEDXML=False); without it an entity declaration in a sheet is expanded (billion laughs). No
    workbook is read unless the XML functions openpyxl uses are defusedxml's."""
    from openpyxl.xml import functions

    if not all(f.__module__.startswith("defusedxml") for f in (functions.iterparse, functions.fromstring)):
        raise RuntimeError(
            "openpyxl is not parsing XML with defusedxml (is defusedxml installed, and OPENPYXL_DEFUSEDXML unset?): "
            "refusing to read .xlsx files"
        )


def _sheet_rows(sheet, file: str, limit: int | None) -> list[list[object]]:
    rows: list[list[object]] = []
    for cells in sheet.iter_rows():
        row = []
        for cell in cells:
            if getattr(cell, "data_type", None) == "f":
                raise ExportError(
                    file,
                    f"cell {cell.coordinate} of sheet {sheet.title!r} holds a formula: formulas are not data; "
                    "export the answers as values",
                )
            row.append(cell.value)
        rows.append(row)
        if limit is not None and len(rows) >= limit:
            break
    return rows


def read_xlsx(path: Path, file: str, layout: SourceLayout) -> RawExport:
    rows = _xlsx_rows(path, file)
    if not rows:
        raise ExportError(file, "the file is empty")
    width = max(len(r) for r in rows)
    table = pd.DataFrame([r + [None] * (width - len(r)) for r in rows], dtype=object)
    table = table.where(table.notna(), None)
    header = _read_header(rows[: _MAX_TITLE_ROWS + layout.header_rows], layout, file)
    frame, alt = _finish(table.iloc[header.start + layout.header_rows :], header, file, all_text=False)
    return RawExport(file, "xlsx", frame, alt_names=alt)


def read_sav(path: Path, file: str, layout: SourceLayout) -> RawExport:
    import pyreadstat

    open_landing_file(path, file).close()  # not a link, not too large (pyreadstat opens the path itself)
    try:
        table, meta = pyreadstat.read_sav(str(path), apply_value_formats=False, user_missing=True)
    except MACHINE_ERRORS:
        raise
    except Exception as e:  # pyreadstat.ReadstatError and friends
        raise ExportError(file, f"cannot read the SPSS file ({type(e).__name__}): expected an SPSS .sav export") from e
    if not len(table.columns):
        raise ExportError(file, "the file is empty")
    header = _Header(0, [str(c).strip() for c in table.columns], {})
    labels = dict(zip(meta.column_names, meta.column_labels or [], strict=False))
    for k, name in enumerate(table.columns):
        if labels.get(name):
            header.alt_names[k] = [str(labels[name]).strip()]  # the variable label: the question text
    value_labels = {str(k).strip(): dict(v) for k, v in (meta.variable_value_labels or {}).items()}
    user_missing = {
        str(k).strip(): [(float(r["lo"]), float(r["hi"])) for r in v]
        for k, v in (meta.missing_ranges or {}).items()
        if v
    }
    frame, alt = _finish(table.astype(object).where(table.notna(), None), header, file, all_text=False)
    return RawExport(file, "sav", frame, value_labels, user_missing, alt)


def _read_companion_table(path: Path, file: str, columns: int) -> list[list[str]]:
    text, delimiter = _text_of_file(path, file)
    rows = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if any(c.strip() for c in r)]
    if len(rows) < 2 or any(len(r) < columns for r in rows):
        raise ExportError(file, f"expected a header and rows of at least {columns} fields")
    return [[c.strip() for c in r] for r in rows[1:]]


def with_companions(raw: RawExport, companions: dict[str, Path], names: dict[str, str]) -> RawExport:
    """SurveyXact: value labels (variable;value;label) and question texts (variable;question text) from the
    companion files of a dataset file."""
    value_labels = dict(raw.value_labels)
    alt_names = {k: list(v) for k, v in raw.alt_names.items()}
    columns = {normalise_text(c): c for c in raw.frame.columns}
    if "labels" in companions:
        rows = _read_companion_table(companions["labels"], names["labels"], 3)
        for row_number, (variable, value, label) in enumerate((r[:3] for r in rows), start=1):
            column = columns.get(normalise_text(variable))
            try:
                code = float(value.replace(",", "."))
            except ValueError as e:
                raise ExportError(
                    names["labels"], "expected a numeric value in the second column", rows=[row_number]
                ) from e
            if column is not None:
                value_labels.setdefault(column, {})[code] = label
    if "structure" in companions:
        for variable, text in (r[:2] for r in _read_companion_table(companions["structure"], names["structure"], 2)):
            column = columns.get(normalise_text(variable))
            if column is not None and text:
                alt_names.setdefault(column, []).append(text)
    return RawExport(raw.file, raw.source_format, raw.frame, value_labels, raw.user_missing, alt_names)


def peek_rows(path: Path, limit: int = _MAX_TITLE_ROWS + 3) -> list[list[str]]:
    """The first rows of a file as text, for recognising its source tool (empty when unreadable)."""
    source_format = source_format_of(path)
    if path.is_symlink():
        return []  # refused when read; its target is never opened
    try:
        if source_format == "csv":
            with open_landing_file(path, path.name) as f:
                data = f.read(_PEEK_BYTES)
            if data.startswith((b"\xff\xfe", b"\xfe\xff")):
                text = data[: len(data) - len(data) % 2].decode("utf-16", errors="replace")
            else:
                try:
                    text = data.decode("utf-8-sig")
                except UnicodeDecodeError as e:
                    text = (
                        data[: e.start].decode("utf-8-sig")
                        if e.start > len(data) - 4
                        else data.decode("cp1252", "replace")
                    )
            lines = text.lstrip("\r\n").splitlines()
            if lines and re.fullmatch(r"sep=.", lines[0]):
                lines = lines[1:]
            delimiter = detect_delimiter("\n".join(lines[:limit]))
            return [r for r in csv.reader(lines[:limit], delimiter=delimiter)]
        if source_format == "xlsx":
            return [[_cell_text(c) for c in r] for r in _xlsx_rows(path, path.name, limit)]
        if source_format == "sav":
            import pyreadstat

            open_landing_file(path, path.name).close()
            _, meta = pyreadstat.read_sav(str(path), metadataonly=True)
            return [list(meta.column_names)]
    except (ExportError, OSError, ValueError, csv.Error):
        return []
    except Exception:  # noqa: BLE001 - a broken file is recognised as nothing; reading it reports the problem
        return []
    return []


def read_raw(
    path: str | Path,
    file: str | None = None,
    layout: str | Path | SourceLayout = "canonical",
    companions: dict[str, Path] | None = None,
) -> RawExport:
    """Read any supported export; `file` is the name used in error messages (default: the file name)."""
    path = Path(path)
    file = file or path.name
    layout = load_layout(layout)
    if path.is_symlink():
        raise ExportError(file, _SYMLINK)
    if not path.is_file():
        raise ExportError(file, "no such file")
    size = path.stat().st_size
    if size == 0:
        raise ExportError(file, "the file is empty")
    _check_size(size, file)
    source_format = source_format_of(path)
    if source_format == "csv":
        raw = read_csv(path, file, layout)
    elif source_format == "xlsx":
        raw = read_xlsx(path, file, layout)
    elif source_format == "sav":
        raw = read_sav(path, file, layout)
    else:
        raise ExportError(file, f"unsupported file type {path.suffix!r}: expected .csv, .xlsx or .sav")
    if companions:
        parent = file.rsplit("/", 1)[0] + "/" if "/" in file else ""
        raw = with_companions(raw, companions, {role: parent + p.name for role, p in companions.items()})
    return raw
