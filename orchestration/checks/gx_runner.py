"""Run a Great Expectations suite from `expectations/` on a pandas frame and turn it into a Dagster check result.

GX 1.x takes seconds to import, so it is imported here, inside the call, never at definition load.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pandas as pd

from orchestration.settings import EXPECTATIONS_DIR, PYTHON_DUCKDB_MEMORY_LIMIT, REPO_ROOT

# Failing rows listed in a check's metadata; the count is always complete.
MAX_LISTED_ROWS = 50
# Keys of a GX expectation result that list row values or indices: never in the evidence (they could carry a
# respondent's pseudonym or answer); the counts and percentages stay.
_ROW_LEVEL_KEYS = frozenset(
    {
        "partial_unexpected_list",
        "partial_unexpected_index_list",
        "partial_unexpected_counts",
        "unexpected_list",
        "unexpected_index_list",
        "unexpected_index_query",
        "unexpected_rows",
    }
)


class SuiteMissing(FileNotFoundError):
    """A check's suite file is missing: the check fails (a deleted suite must not silently remove its gate)."""


@dataclass(frozen=True)
class ExpectationOutcome:
    expectation: str
    column: str | None
    success: bool
    unexpected_count: int
    failing_rows: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class SuiteOutcome:
    suite: str
    success: bool
    n_rows: int
    outcomes: list[ExpectationOutcome]
    # GX's validation result without row-level values: the evidence a release carries.
    validation_result: dict[str, Any] = field(default_factory=dict)

    @property
    def failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]


def suite_path(name: str) -> Path:
    return EXPECTATIONS_DIR / f"{name}.json"


def load_suite(name: str) -> dict[str, Any]:
    path = suite_path(name)
    if not path.is_file():
        raise SuiteMissing(f"suite file {path.relative_to(REPO_ROOT)} is missing")
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def fetch_frame(warehouse_path: str | Path, sql: str, year: int) -> pd.DataFrame:
    """The frame a suite validates: ``sql`` (its one parameter is the year) on the warehouse, read-only, with DuckDB's
    memory bounded like every connection our Python opens."""
    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        con.execute(f"set memory_limit = '{PYTHON_DUCKDB_MEMORY_LIMIT}'")
        return con.execute(sql, [year]).to_arrow_table().to_pandas()


def _without_row_values(validation: dict[str, Any]) -> dict[str, Any]:
    for item in validation.get("results", []):
        item["result"] = {k: v for k, v in (item.get("result") or {}).items() if k not in _ROW_LEVEL_KEYS}
    return validation


def validate_frame(
    frame: pd.DataFrame,
    suite_name: str,
    parameters: Mapping[str, Any] | None = None,
    id_columns: Sequence[str] = (),
) -> SuiteOutcome:
    """Validate ``frame`` against the named suite; failing rows are named by ``id_columns``."""
    import great_expectations as gx
    from great_expectations.core.expectation_suite import ExpectationSuite
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    suite_definition = load_suite(suite_name)
    suite = context.suites.add(ExpectationSuite(**suite_definition))
    batch_definition = (
        context.data_sources.add_pandas("pandas")
        .add_dataframe_asset(suite_name)
        .add_batch_definition_whole_dataframe("whole_frame")
    )
    frame = frame.reset_index(drop=True)
    # A suite whose frame counts alike rows in one (its meta's count_column) counts its rows and failures by it.
    count_column = (suite_definition.get("meta") or {}).get("count_column")
    rows_alike = frame[count_column] if count_column else pd.Series(1, index=frame.index)
    result = batch_definition.get_batch(batch_parameters={"dataframe": frame}).validate(
        suite, expectation_parameters=dict(parameters or {}), result_format="COMPLETE"
    )
    outcomes = []
    for item in result.results:
        kwargs = item.expectation_config.kwargs
        raised = bool(item.exception_info and item.exception_info.get("raised_exception"))
        indices = item.result.get("unexpected_index_list") or []
        rows = frame.loc[indices[:MAX_LISTED_ROWS], list(id_columns)] if id_columns and indices else None
        outcomes.append(
            ExpectationOutcome(
                expectation=item.expectation_config.type,
                column=kwargs.get("column")
                or ",".join(kwargs.get("column_list") or [kwargs[k] for k in ("column_A", "column_B") if k in kwargs])
                or None,
                success=bool(item.success) and not raised,
                unexpected_count=int(rows_alike.loc[indices].sum())
                if indices
                else int(item.result.get("unexpected_count") or (1 if raised else 0)),
                failing_rows=[] if rows is None else json.loads(rows.to_json(orient="records")),
            )
        )
    return SuiteOutcome(
        suite_name,
        all(o.success for o in outcomes),
        int(rows_alike.sum()),
        outcomes,
        _without_row_values(json.loads(json.dumps(result.to_json_dict(), default=str))),
    )


def missing_suite_result(suite_name: str) -> dg.AssetCheckResult:
    """The check of a table whose suite file is gone: failed, naming the file."""
    return dg.AssetCheckResult(
        passed=False,
        severity=dg.AssetCheckSeverity.ERROR,
        description=f"suite file {suite_path(suite_name).relative_to(REPO_ROOT)} is missing: nothing checked the table",
        metadata={"suite": suite_name},
    )


def to_check_result(outcome: SuiteOutcome, **extra_metadata: Any) -> dg.AssetCheckResult:
    """A failed suite is an ERROR: with a blocking check, nothing downstream runs."""
    failures = [
        {
            "expectation": f.expectation,
            "column": f.column,
            "unexpected_count": f.unexpected_count,
            "failing_rows": f.failing_rows,
        }
        for f in outcome.failures
    ]
    return dg.AssetCheckResult(
        passed=outcome.success,
        severity=dg.AssetCheckSeverity.ERROR,
        description=None
        if outcome.success
        else f"{len(failures)} of {len(outcome.outcomes)} expectations of suite '{outcome.suite}' failed",
        metadata={
            "suite": outcome.suite,
            "rows_checked": outcome.n_rows,
            "expectations": len(outcome.outcomes),
            "failures": dg.MetadataValue.json(failures),
            "validation_result": dg.MetadataValue.json(outcome.validation_result),
            **extra_metadata,
        },
    )
