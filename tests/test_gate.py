"""The release gate (orchestration/gate.py) and the thresholds' floors: what a release requires, and what it refuses."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
import yaml
from pydantic import ValidationError

from orchestration.assets.dbt import MedarbeiderindeksTranslator
from orchestration.checks.gx_runner import missing_suite_result
from orchestration.gate import RAW_CHECKS, Evaluation, evidence_files, refusals, required_checks, threshold_mismatches
from orchestration.resources import DisclosureThresholds
from orchestration.settings import DBT_PROJECT_DIR
from tests.conftest import Harness
from tests.fixtures.dbt_run import dbt_build
from tests.fixtures.raw_warehouse import build_raw_warehouse
from tests.survey_fixtures import small_survey, write_landing

MANIFEST = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text(encoding="utf-8"))
FLOORS = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]["disclosure_floors"]


@pytest.fixture(scope="module")
def required() -> frozenset[dg.AssetCheckKey]:
    return required_checks(MANIFEST, MedarbeiderindeksTranslator())


def _passed(keys) -> list[Evaluation]:
    return [Evaluation(k.asset_key.to_user_string(), k.name, True, {}) for k in keys]


def test_required_checks_are_the_raw_checks_every_dbt_test_and_one_suite_per_mart(required) -> None:
    tests = [n for n in MANIFEST["nodes"].values() if n["resource_type"] == "test"]
    marts = sorted(
        n["name"] for n in MANIFEST["nodes"].values() if n["resource_type"] == "model" and n["fqn"][1] == "marts"
    )
    assert len(marts) == 13 and len(tests) > 100  # suppression_summary is counted per package by the writer
    suites = {k for k in required if k.name.endswith("_publishable")}
    assert sorted(k.name for k in suites) == [f"{m}_publishable" for m in marts]
    assert {k.asset_key.to_user_string() for k in suites} == {f"published/{m}" for m in marts}
    assert required >= RAW_CHECKS
    assert {k.name for k in required - RAW_CHECKS - suites} == {t["name"] for t in tests}
    assert len(required) == len(RAW_CHECKS) + len(tests) + len(marts)


def test_a_test_the_gate_cannot_see_is_an_error() -> None:
    manifest = json.loads(json.dumps(MANIFEST))
    test_id = next(k for k, n in manifest["nodes"].items() if n["resource_type"] == "test")
    manifest["nodes"][test_id]["attached_node"] = None
    manifest["nodes"][test_id]["depends_on"]["nodes"] = []
    with pytest.raises(ValueError, match=test_id):
        required_checks(manifest, MedarbeiderindeksTranslator())


def test_a_run_of_every_required_check_passes(required) -> None:
    assert refusals(required, _passed(required)) == []


def test_a_subset_run_with_only_the_raw_checks_is_refused(required) -> None:
    problems = refusals(required, _passed(RAW_CHECKS))
    assert len(problems) == len(required) - len(RAW_CHECKS)
    assert "required check published/benchmarks:benchmarks_publishable did not run in this run" in problems
    assert all("did not run" in p for p in problems)


def test_one_missing_and_one_failed_check_are_both_named(required) -> None:
    missing = dg.AssetCheckKey(dg.AssetKey(["published", "key_drivers"]), "key_drivers_publishable")
    evaluations = _passed(required - {missing})
    evaluations[0] = Evaluation(evaluations[0].asset, evaluations[0].check, False, {"description": "3 rows bad"})
    problems = refusals(required, evaluations)
    assert problems == [
        "required check published/key_drivers:key_drivers_publishable did not run in this run",
        f"check {evaluations[0].asset}:{evaluations[0].check} failed (3 rows bad)",
    ]


def test_a_missing_suite_file_fails_its_check_naming_the_file() -> None:
    result = missing_suite_result("published_theme_reliability")
    assert result.passed is False
    assert "expectations/published_theme_reliability.json is missing" in result.description


def test_marts_built_with_other_thresholds_are_refused() -> None:
    run = DisclosureThresholds(min_respondents=7).as_dict()
    built = {**DisclosureThresholds().as_dict(), "applied_min_respondents": 5}
    assert threshold_mismatches(built, run) == ["min_respondents: the marts were built with 5, this run checks 7"]
    assert threshold_mismatches({**built, "min_respondents": 7}, run) == []
    assert threshold_mismatches({}, {"disclosure_profile": "default"}) == [
        "disclosure_profile: the marts were built with None, this run checks 'default'"
    ]


def test_evidence_holds_each_suites_result_and_the_built_thresholds() -> None:
    result = {"success": True, "results": [{"expectation_config": {"type": "expect_x"}, "result": {}}]}
    evaluations = [
        Evaluation(
            "published/benchmarks",
            "benchmarks_publishable",
            True,
            {"suite": "published_benchmarks", "validation_result": result},
        ),
        Evaluation("staging/stg_x", "not_null_x", True, {}),
    ]
    files = evidence_files(evaluations, {"min_respondents": 5})
    assert json.loads(files["evidence/published_benchmarks.json"]) == result
    assert json.loads(files["evidence/disclosure_settings.json"]) == {"min_respondents": 5}
    assert set(files) == {"evidence/published_benchmarks.json", "evidence/disclosure_settings.json"}


# --- floors (finding 2) ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("min_respondents", FLOORS["min_respondents"] - 1),
        ("min_respondents", 1),
        ("min_companies", FLOORS["min_companies"] - 1),
        ("min_companies_distribution", FLOORS["min_companies_distribution"] - 1),
        ("max_company_share", 1.0),
        ("max_company_share", FLOORS["max_company_share"] + 0.01),
    ],
)
def test_a_threshold_past_its_floor_is_refused_naming_the_floor(setting: str, value: float) -> None:
    with pytest.raises(ValidationError, match=rf"{setting} = {value} is (below|above) its floor {FLOORS[setting]:g}"):
        DisclosureThresholds(**{setting: value})


def test_a_launch_may_tighten_and_a_preset_only_tightens() -> None:
    tight = DisclosureThresholds(min_respondents=8, max_company_share=0.3).check_parameters()
    assert (tight["min_respondents"], tight["max_company_share"]) == (8, 0.3)
    competitors = DisclosureThresholds(disclosure_profile="competitors").check_parameters()
    assert (competitors["min_companies"], competitors["max_company_share"]) == (5, 0.25)
    # the p%-rule comes on top of dominance, it never replaces it (finding 3)
    p_percent = DisclosureThresholds(disclosure_profile="p_percent").check_parameters()
    assert (p_percent["max_company_share"], p_percent["p_percent"]) == (FLOORS["max_company_share"], 25.0)
    assert DisclosureThresholds().check_parameters()["p_percent"] == 0.0


def test_the_suites_hold_the_floor_even_for_thresholds_that_skipped_validation() -> None:
    loose = DisclosureThresholds.model_construct(
        min_respondents=1,
        min_companies=1,
        max_company_share=1.0,
        disclosure_profile="default",
        min_companies_distribution=2,
    ).check_parameters()
    assert loose["min_respondents"] == FLOORS["min_respondents"]
    assert loose["min_companies"] == FLOORS["min_companies"]
    assert loose["max_company_share"] == FLOORS["max_company_share"]
    assert loose["min_companies_distribution"] == FLOORS["min_companies_distribution"]


def test_a_release_launched_under_a_floor_fails_with_the_floor_in_the_message(harness: Harness) -> None:
    write_landing(harness.paths.year_dir(2025).parent, 2025, small_survey(2025, {"fjelltele": 6}, seed=3))
    result = harness.release(2025, min_respondents=1)
    assert not result.success
    assert not harness.release_dir(2025).exists()
    # the resource is built when the run starts: the run fails before any step, with the floor in the error
    errors = [getattr(e.event_specific_data, "error", None) for e in result.all_events if e.is_failure]
    assert any("min_respondents = 1 is below its floor 5" in str(error) for error in errors if error)
    assert not any(e.is_step_success for e in result.all_events)


def test_a_release_of_raw_assets_only_is_refused(harness: Harness, tmp_path: Path) -> None:
    """A subset launched from the UI: the raw assets and the release, over marts an earlier build left in the
    warehouse (here last year's). The raw checks pass; no dbt test and no mart suite ran: nothing is published."""
    year = 2025
    survey = small_survey(year, {"nordlys_bank": 8, "fjord_sparebank": 7, "fjelltele": 9}, seed=3)
    earlier = small_survey(year - 1, {"nordlys_bank": 8, "fjord_sparebank": 7, "fjelltele": 9}, seed=4)
    long = earlier.melt(
        id_vars=["respondent_id", "company", "department"], var_name="item_id", value_name="answer"
    ).query("answer != ''")
    answers = pd.DataFrame(
        {
            "year": year - 1,
            "company_id": long["company"],
            "respondent_id": long["respondent_id"],
            "item_id": long["item_id"],
            "answer_value": pd.to_numeric(long["answer"], errors="coerce"),
            "is_dont_know": long["answer"] == "Vet ikke",
        }
    )
    build_raw_warehouse(harness.paths.warehouse_path, answers)
    built = dbt_build(Path(harness.paths.warehouse_path), tmp_path)
    assert built.returncode == 0, built.stdout[-3000:]
    write_landing(harness.paths.year_dir(year).parent, year, survey)
    harness.instance.add_dynamic_partitions("survey_year", [str(year)])
    from orchestration.definitions import build_definitions

    job = build_definitions(harness.paths).get_job_def("yearly_index_release")
    selection = [dg.AssetKey(k) for k in ("raw_survey_exports", "raw_respondents", "raw_answers", "published_release")]
    result = job.execute_in_process(
        partition_key=str(year), instance=harness.instance, asset_selection=selection, raise_on_error=False
    )
    assert not result.success
    assert not Path(harness.release_dir(year)).exists()
    raw_checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert raw_checks == {"all_exports_loaded": True, "raw_answers_valid": True, "raw_respondents_valid": True}
    failure = next(e for e in result.all_events if e.is_step_failure and e.step_key == "published_release")
    message = failure.step_failure_data.error.message
    assert "required check published/benchmarks:benchmarks_publishable did not run in this run" in message
    assert "required check published/participating_companies:participating_companies_publishable did not run" in (
        message
    )


def test_the_writer_puts_the_evidence_in_the_release_and_its_manifest(tmp_path: Path) -> None:
    import duckdb

    from orchestration.release import ReleaseError, write_release

    warehouse = tmp_path / "wh.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema published")
        con.execute("create table published.t as select 2025 as year, 1 as x")
    evidence = {"evidence/published_t.json": b'{"success": true}\n', "evidence/disclosure_settings.json": b"{}\n"}
    common = {"warehouse_path": str(warehouse), "releases_dir": str(tmp_path / "r"), "year": 2025, "checks": []}
    release = write_release(**common, thresholds={"min_respondents": 5}, evidence=evidence)
    root = Path(release.path)
    manifest = json.loads((root / "manifest.json").read_text())
    assert manifest["evidence"] == sorted(evidence)
    for name, content in evidence.items():
        assert (root / name).read_bytes() == content and name in manifest["files"]
    with pytest.raises(ReleaseError, match="leaves the release folder"):
        write_release(**common, thresholds={}, evidence={"../outside.json": b"{}"})
    assert not (tmp_path / "r" / ".versions" / "2025" / "outside.json").exists()


def test_dbt_refuses_to_compile_below_a_floor(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "MEDARBEIDERINDEKS_WAREHOUSE": str(tmp_path / "w.duckdb")}
    command = [sys.executable, "-m", "dbt.cli.main", "compile", "--profiles-dir", ".", "--select"]
    command += ["int_disclosure_settings", "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path)]
    below = subprocess.run(
        [*command, "--vars", "{max_company_share: 0.9}"], cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True
    )
    assert below.returncode != 0
    assert "max_company_share = 0.9 is above its floor 0.5" in below.stdout
    allowed = subprocess.run(
        [*command, "--vars", "{max_company_share: 0.4}"], cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True
    )
    assert allowed.returncode == 0, allowed.stdout[-2000:]
