"""The release gate: a year is published only when every required check passed in the release's own run.

Required are the raw checks, every dbt test of the manifest (dagster-dbt turns each into an asset check) and one
Great Expectations suite check per published mart (``<mart>_publishable``). A check that did not run in this run is
as bad as one that failed: a run launched on a subset (say the raw assets and the release, from the UI) would
otherwise publish whatever marts an earlier run left in the warehouse. The marts must also have been built with the
run's thresholds (``intermediate.int_disclosure_settings`` records them). The gate hands the writer the evidence:
each suite's validation result and the settings the marts were built with.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import dagster as dg
import duckdb
from dagster._core.events import DagsterEventType
from dagster_dbt import DagsterDbtTranslator
from dagster_dbt.asset_utils import get_asset_check_key_for_test

# The checks of the raw tables (orchestration/assets/ingestion.py, orchestration/checks/raw_checks.py).
RAW_CHECKS = frozenset(
    {
        dg.AssetCheckKey(dg.AssetKey("raw_survey_exports"), "all_exports_loaded"),
        dg.AssetCheckKey(dg.AssetKey("raw_answers"), "raw_answers_valid"),
        dg.AssetCheckKey(dg.AssetKey("raw_respondents"), "raw_respondents_valid"),
    }
)
# The settings the marts were built with: one row written by the dbt model of that name.
BUILT_SETTINGS_TABLE = "intermediate.int_disclosure_settings"
EVIDENCE_DIR = "evidence"


@dataclass(frozen=True)
class Evaluation:
    """One asset check evaluation of the run."""

    asset: str
    check: str
    passed: bool
    metadata: Mapping[str, Any]

    @property
    def key(self) -> dg.AssetCheckKey:
        return dg.AssetCheckKey(dg.AssetKey.from_user_string(self.asset), self.check)


@dataclass(frozen=True)
class GatePassed:
    checks: list[dict[str, Any]]
    built_thresholds: dict[str, Any]
    evidence: dict[str, bytes]


def is_published_mart(node: Mapping[str, Any]) -> bool:
    """A model of the marts folder: a table a release publishes, each guarded by its suite."""
    return node["resource_type"] == "model" and node["fqn"][1:2] == ["marts"]


def required_checks(manifest: Mapping[str, Any], translator: DagsterDbtTranslator) -> frozenset[dg.AssetCheckKey]:
    """Every check a release needs, from the dbt manifest: raw checks, each dbt test, each mart's suite check."""
    required = set(RAW_CHECKS)
    for unique_id, node in manifest["nodes"].items():
        if node["resource_type"] == "test":
            key = get_asset_check_key_for_test(manifest, translator, unique_id, None)
            if key is None:
                # dagster-dbt would not report this test as a check, so the gate could never see it pass.
                raise ValueError(f"dbt test {unique_id} is attached to no model: give it meta.dagster.ref")
            required.add(key)
        elif is_published_mart(node):
            asset = translator.get_asset_spec(manifest, unique_id, None).key
            required.add(dg.AssetCheckKey(asset, f"{node['name']}_publishable"))
    return frozenset(required)


def refusals(required: Iterable[dg.AssetCheckKey], evaluations: Iterable[Evaluation]) -> list[str]:
    """Why the run may not publish: every required check that did not run, and every check that failed."""
    evaluations = list(evaluations)
    ran = {e.key for e in evaluations}
    problems = [
        f"required check {key.asset_key.to_user_string()}:{key.name} did not run in this run"
        for key in sorted(set(required) - ran, key=lambda k: (k.asset_key.to_user_string(), k.name))
    ]
    problems += [
        f"check {e.asset}:{e.check} failed" + (f" ({e.metadata['description']})" if "description" in e.metadata else "")
        for e in sorted(evaluations, key=lambda e: (e.asset, e.check))
        if not e.passed
    ]
    return problems


def threshold_mismatches(built: Mapping[str, Any], run: Mapping[str, Any]) -> list[str]:
    """Thresholds of this run that differ from those the marts were built with."""
    problems = []
    for name, value in run.items():
        recorded = built.get(name)
        same = (
            recorded is not None and math.isclose(float(recorded), float(value))
            if isinstance(value, int | float)
            else recorded == value
        )
        if not same:
            problems.append(f"{name}: the marts were built with {recorded!r}, this run checks {value!r}")
    return problems


def evidence_files(evaluations: Iterable[Evaluation], built_thresholds: Mapping[str, Any]) -> dict[str, bytes]:
    """``evidence/<suite>.json``: each suite's validation result; ``evidence/disclosure_settings.json``: the
    thresholds the marts were built with."""
    files = {
        f"{EVIDENCE_DIR}/disclosure_settings.json": _json_bytes(dict(built_thresholds)),
    }
    for evaluation in evaluations:
        if "validation_result" in evaluation.metadata:
            suite = evaluation.metadata["suite"]
            files[f"{EVIDENCE_DIR}/{suite}.json"] = _json_bytes(evaluation.metadata["validation_result"])
    return files


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str) + "\n").encode("utf-8")


def run_evaluations(context: dg.AssetExecutionContext) -> list[Evaluation]:
    """Every asset check evaluated in this run (and only this run)."""
    records = context.instance.get_records_for_run(
        run_id=context.run.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    evaluations = []
    for record in records:
        data = record.event_log_entry.dagster_event.event_specific_data
        metadata = {name: getattr(value, "value", value) for name, value in data.metadata.items()}
        if data.description:
            metadata["description"] = data.description
        evaluations.append(Evaluation(data.asset_key.to_user_string(), data.check_name, bool(data.passed), metadata))
    return evaluations


def built_thresholds(warehouse_path: str) -> dict[str, Any] | None:
    """The row of int_disclosure_settings, or None when the warehouse has none (marts built before it existed)."""
    with duckdb.connect(warehouse_path, read_only=True) as con:
        schema, table = BUILT_SETTINGS_TABLE.split(".")
        exists = con.execute(
            "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?", [schema, table]
        ).fetchone()[0]
        if not exists:
            return None
        cursor = con.execute(f"select * from {BUILT_SETTINGS_TABLE}")
        rows = cursor.fetchall()
        names = [column[0] for column in cursor.description]
    return dict(zip(names, rows[0], strict=True)) if len(rows) == 1 else None


def gate_release(context: dg.AssetExecutionContext, warehouse_path: str, thresholds: Mapping[str, Any]) -> GatePassed:
    """Refuse (dg.Failure naming every problem) unless the run verified everything a release needs."""
    from orchestration.assets.dbt import MedarbeiderindeksTranslator, dbt_project

    manifest = json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))
    evaluations = run_evaluations(context)
    problems = refusals(required_checks(manifest, MedarbeiderindeksTranslator()), evaluations)
    built = built_thresholds(warehouse_path)
    if built is None:
        problems.append(f"the warehouse has no {BUILT_SETTINGS_TABLE}: the marts' thresholds are unknown")
    else:
        problems += threshold_mismatches(built, thresholds)
    if problems:
        raise dg.Failure(
            f"Nothing published: {len(problems)} problem(s) with this run's checks. " + "; ".join(problems),
            metadata={"problems": dg.MetadataValue.json(problems)},
        )
    checks = sorted(
        ({"asset": e.asset, "check": e.check, "passed": e.passed} for e in evaluations),
        key=lambda c: (c["asset"], c["check"]),
    )
    return GatePassed(checks=checks, built_thresholds=built, evidence=evidence_files(evaluations, built))
