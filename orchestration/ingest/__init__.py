"""Ingestion of raw survey exports into the warehouse's `raw` schema (pure Python: pandas, DuckDB; no Dagster).

    reference = Reference.from_seeds("seeds")
    parsed = read_export(path, 2024, reference, pseudonym_key=key)        # validate + reshape one file
    report = sync_year(warehouse, landing / "2024", 2024, reference, key) # load a year folder (never with the
                                                                           # public demo key, unless demo=True)
    if not report.ok: ...                                                  # report.failed[i].error

Every problem with an export is an `ExportError` naming the file, data row(s) and column.
"""

from .errors import ExportError
from .layouts import SourceLayout, load_layout
from .loader import FileResult, SyncReport, create_raw_schema, raw_row_counts, sync_year
from .parse import ANSWER_COLUMNS, RESPONDENT_COLUMNS, ParsedExport, parse_export, read_export
from .pseudonym import PseudonymKeyRefused, pseudonymise, usable_pseudonym_key
from .readers import RawExport, read_raw
from .reference import Reference

__all__ = [
    "ANSWER_COLUMNS",
    "RESPONDENT_COLUMNS",
    "ExportError",
    "FileResult",
    "ParsedExport",
    "PseudonymKeyRefused",
    "RawExport",
    "Reference",
    "SourceLayout",
    "SyncReport",
    "create_raw_schema",
    "load_layout",
    "parse_export",
    "pseudonymise",
    "raw_row_counts",
    "read_export",
    "read_raw",
    "sync_year",
    "usable_pseudonym_key",
]
