"""The one exception type of ingestion: a problem with an export file, located for a human to fix."""

from __future__ import annotations

from collections.abc import Sequence

_MAX_ROWS_SHOWN = 5

#: Failures of the machine (memory, disk, I/O), never a defect of the file being read: where a third-party parser's
#: exception is turned into an ExportError, these are re-raised instead, so the run fails and the file stays put.
MACHINE_ERRORS = (MemoryError, OSError)


def describe_rows(rows: Sequence[int]) -> str:
    """'data row 3' or 'data rows 3, 8, 11 (and 4 more)': 1-based data rows, header rows not counted."""
    rows = sorted(int(r) for r in rows)
    if len(rows) == 1:
        return f"data row {rows[0]}"
    shown = ", ".join(str(r) for r in rows[:_MAX_ROWS_SHOWN])
    more = len(rows) - _MAX_ROWS_SHOWN
    return f"data rows {shown}" + (f" (and {more} more)" if more > 0 else "")


class ExportError(ValueError):
    """An export file cannot be loaded as it is: the only exception that rejects (and quarantines) a file. Anything
    else raised while loading is our failure or the machine's, and fails the run with the file left in place.

    The message names the file, the 1-based data row(s) (header rows not counted) where that applies, the column,
    and what was expected. It never quotes a respondent id or any personal-data column; it may quote the offending
    cell of a question or company column (an invalid code or an unknown label/company), which the methodology asks
    for so the export can be corrected.
    """

    def __init__(
        self,
        file: str,
        problem: str,
        *,
        rows: Sequence[int] | None = None,
        column: str | None = None,
        quarantine: bool = True,
    ) -> None:
        self.file = file
        self.quarantine = quarantine  # False for a passing problem (a file still being written, a broken sidecar)
        self.rows = sorted(int(r) for r in rows) if rows is not None else []
        self.column = column
        self.problem = problem
        where = [file]
        if self.rows:
            where.append(describe_rows(self.rows))
        if column is not None:
            where.append(f"column {column!r}")
        super().__init__(f"{', '.join(where)}: {problem}")
