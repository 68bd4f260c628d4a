"""Ingestion refuses the public demo pseudonym key unless the deployment says it serves demo data: respondent ids
(often employee numbers) pseudonymised under a published HMAC key can be recovered by trying every id. The release
asks the same function (tests/test_pipeline.py shows a release refusing it)."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.assets.ingestion import raw_survey_tables
from orchestration.ingest import PseudonymKeyRefused, Reference, sync_year, usable_pseudonym_key
from orchestration.resources import WarehousePaths
from orchestration.settings import DEMO_PSEUDONYM_KEY, SEEDS_DIR

YEAR = 2024
EXPORT = "respondent_id,company,Q01,Q02\nansatt-1001,Nordlys Bank,4,5\nansatt-1002,Nordlys Bank,3,Vet ikke\n"


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    year_dir = tmp_path / "landing" / str(YEAR)
    year_dir.mkdir(parents=True)
    (year_dir / "nordlys.csv").write_text(EXPORT, encoding="utf-8")
    return year_dir


def stored_ids(warehouse: Path) -> list[str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return [r for (r,) in con.execute("select respondent_id from raw.respondents order by all").fetchall()]


def demo_pseudonyms() -> list[str]:
    key = DEMO_PSEUDONYM_KEY.encode()
    return sorted(hmac.new(key, rid.encode(), hashlib.sha256).hexdigest() for rid in ("ansatt-1001", "ansatt-1002"))


@pytest.mark.parametrize("key", [DEMO_PSEUDONYM_KEY, DEMO_PSEUDONYM_KEY.encode()])
def test_sync_refuses_the_demo_key_before_touching_anything(key, landing: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    with pytest.raises(PseudonymKeyRefused) as refused:
        sync_year(warehouse, landing, YEAR, Reference.from_seeds(SEEDS_DIR), key)
    message = str(refused.value)
    assert "public demo pseudonym key" in message
    assert "MEDARBEIDERINDEKS_PSEUDONYM_KEY" in message and "MEDARBEIDERINDEKS_DEMO=1" in message
    assert not warehouse.exists()  # nothing written
    assert (landing / "nordlys.csv").read_text(encoding="utf-8") == EXPORT and not (landing / ".quarantine").exists()


def test_a_demo_deployment_may_use_the_demo_key(landing: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    report = sync_year(warehouse, landing, YEAR, Reference.from_seeds(SEEDS_DIR), DEMO_PSEUDONYM_KEY, demo=True)
    assert report.ok and report.n_respondents == 2
    assert stored_ids(warehouse) == demo_pseudonyms()


def test_the_one_decision() -> None:
    assert usable_pseudonym_key("a-secret-key", demo=False) == b"a-secret-key"
    assert usable_pseudonym_key(DEMO_PSEUDONYM_KEY, demo=True) == DEMO_PSEUDONYM_KEY.encode()
    for key in (DEMO_PSEUDONYM_KEY, DEMO_PSEUDONYM_KEY.encode()):
        with pytest.raises(PseudonymKeyRefused):
            usable_pseudonym_key(key, demo=False)
    with pytest.raises(ValueError, match="empty"):
        usable_pseudonym_key("", demo=True)


def materialize_raw(tmp_path: Path, key: str, demo: bool) -> dg.ExecuteInProcessResult:
    paths = WarehousePaths(
        landing_dir=str(tmp_path / "landing"),
        warehouse_path=str(tmp_path / "warehouse.duckdb"),
        releases_dir=str(tmp_path / "releases"),
        seeds_dir=str(SEEDS_DIR),
        pseudonym_key=key,
        demo=demo,
    )
    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("survey_year", [str(YEAR)])
        return dg.materialize(
            [raw_survey_tables],
            resources={"paths": paths},
            partition_key=str(YEAR),
            instance=instance,
            raise_on_error=False,
        )


def test_the_raw_asset_refuses_the_demo_key_outside_a_demo_deployment(landing: Path, tmp_path: Path) -> None:
    result = materialize_raw(tmp_path, DEMO_PSEUDONYM_KEY, demo=False)
    assert not result.success
    errors = [e.step_failure_data.error.message for e in result.all_events if e.is_step_failure]
    assert len(errors) == 1 and "public demo pseudonym key" in errors[0], errors
    assert not (tmp_path / "warehouse.duckdb").exists()

    result = materialize_raw(tmp_path, DEMO_PSEUDONYM_KEY, demo=True)
    assert result.success
    assert stored_ids(tmp_path / "warehouse.duckdb") == demo_pseudonyms()


def test_the_release_asks_the_same_function(tmp_path: Path) -> None:
    from orchestration.assets.release import published_release

    paths = WarehousePaths(
        landing_dir=str(tmp_path / "landing"),
        warehouse_path=str(tmp_path / "warehouse.duckdb"),
        releases_dir=str(tmp_path / "releases"),
        seeds_dir=str(SEEDS_DIR),
        pseudonym_key=DEMO_PSEUDONYM_KEY,
    )
    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("survey_year", [str(YEAR)])
        result = dg.materialize(
            [published_release],
            resources={"paths": paths, "disclosure": dg.ResourceDefinition.none_resource()},
            partition_key=str(YEAR),
            instance=instance,
            raise_on_error=False,
        )
    errors = [e.step_failure_data.error.message for e in result.all_events if e.is_step_failure]
    assert len(errors) == 1 and "Nothing published" in errors[0] and "public demo pseudonym key" in errors[0]
    assert not (tmp_path / "releases").exists()
