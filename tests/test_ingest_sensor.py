"""The landing-folder sensor: a new year becomes a partition; a file still being written is not read until its
listing is stable; a stable change gives exactly one run; no change gives none."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pytest

from orchestration.resources import WarehousePaths
from orchestration.sensors import landing_fingerprint, landing_folder_sensor, plan_loads


def test_plan_loads_waits_for_a_stable_listing_and_loads_once() -> None:
    cursor, to_load = plan_loads({}, {"2024": "a"})
    assert to_load == [] and cursor == {"2024": {"seen": "a"}}  # first sight: wait a tick
    cursor, to_load = plan_loads(cursor, {"2024": "b"})  # still changing (a file growing)
    assert to_load == []
    cursor, to_load = plan_loads(cursor, {"2024": "b"})  # stable
    assert to_load == ["2024"] and cursor["2024"] == {"seen": "b", "loaded": "b"}
    cursor, to_load = plan_loads(cursor, {"2024": "b"})  # unchanged since loaded
    assert to_load == []
    cursor, to_load = plan_loads(cursor, {"2024": "b", "2025": "x"})
    assert to_load == []
    cursor, to_load = plan_loads(cursor, {"2024": "b", "2025": "x"})
    assert to_load == ["2025"]


@pytest.fixture
def paths(tmp_path: Path) -> WarehousePaths:
    return WarehousePaths(
        landing_dir=str(tmp_path / "landing"),
        warehouse_path=str(tmp_path / "warehouse.duckdb"),
        releases_dir=str(tmp_path / "releases"),
        seeds_dir=str(tmp_path / "seeds"),
        pseudonym_key="test-key",
    )


def test_the_sensor_adds_the_year_and_requests_one_run_once_files_are_stable(paths: WarehousePaths) -> None:
    year = Path(paths.landing_dir) / "2024"
    year.mkdir(parents=True)
    export = year / "nordlys.csv"
    export.write_text("respondent_id,company,Q01\n", encoding="utf-8")

    with dg.instance_for_test() as instance:
        cursor = None

        def tick() -> dg.SensorResult:
            nonlocal cursor
            context = dg.build_sensor_context(instance=instance, cursor=cursor, resources={"paths": paths})
            result = landing_folder_sensor(context)
            for request in result.dynamic_partitions_requests:  # what the daemon does with the request
                instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
            cursor = result.cursor
            return result

        first = tick()  # a new year: its partition is added; the file was just written, so no run yet
        assert [list(r.partition_keys) for r in first.dynamic_partitions_requests] == [["2024"]]
        assert first.run_requests == []

        with export.open("a", encoding="utf-8") as f:  # still being written: the size changed between ticks
            f.write("n-1,Nordlys Bank,4\n")
        growing = tick()
        assert growing.run_requests == [] and growing.dynamic_partitions_requests == []

        stable = tick()  # unchanged since the last tick: exactly one run for the year
        assert [r.partition_key for r in stable.run_requests] == ["2024"]
        assert stable.run_requests[0].run_key == f"2024:{landing_fingerprint(paths, '2024')}"

        assert tick().run_requests == []  # nothing changed: no run
        assert tick().run_requests == []

        (year / "sub").mkdir()  # a new file in a sub-folder counts too
        (year / "sub" / "fjell.csv").write_text("respondent_id,company,Q01\nf-1,Fjelltele,3\n", encoding="utf-8")
        assert tick().run_requests == []
        assert [r.partition_key for r in tick().run_requests] == ["2024"]
        assert json.loads(cursor)["2024"]["loaded"] == landing_fingerprint(paths, "2024")


def test_the_fingerprint_ignores_hidden_and_lock_files_but_sees_quarantine_withdrawals(paths: WarehousePaths) -> None:
    year = Path(paths.landing_dir) / "2024"
    (year / ".quarantine").mkdir(parents=True)
    (year / "a.csv").write_text("x", encoding="utf-8")
    before = landing_fingerprint(paths, "2024")
    (year / ".DS_Store").write_text("x", encoding="utf-8")
    (year / "~$a.xlsx").write_text("x", encoding="utf-8")
    (year / ".quarantine" / "b.csv").write_text("x", encoding="utf-8")
    assert landing_fingerprint(paths, "2024") == before
    (year / ".quarantine" / "b.csv.error.json").write_text("{}", encoding="utf-8")
    with_entry = landing_fingerprint(paths, "2024")
    assert with_entry != before
    (year / ".quarantine" / "b.csv.error.json").unlink()  # withdrawn
    assert landing_fingerprint(paths, "2024") == before
