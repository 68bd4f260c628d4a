"""Partitions follow the configured landing folder: a survey year is offered while its folder exists or it has a
release, and the instance stops offering it once it has neither (under `make ui` and in the sensor alike)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from orchestration.partitions import offered_years, partition_changes
from orchestration.register_years import register_landing_years
from orchestration.resources import WarehousePaths
from orchestration.sensors import landing_folder_sensor


@pytest.fixture
def paths(tmp_path: Path) -> WarehousePaths:
    return WarehousePaths(
        landing_dir=str(tmp_path / "landing"),
        warehouse_path=str(tmp_path / "warehouse.duckdb"),
        releases_dir=str(tmp_path / "releases"),
        seeds_dir=str(tmp_path / "seeds"),
        pseudonym_key="test-key",
    )


def _release(paths: WarehousePaths, year: str) -> None:
    """A published release as the release writes it: a link to a version folder holding manifest.json."""
    version = Path(paths.releases_dir) / ".versions" / year / "v1"
    version.mkdir(parents=True)
    (version / "manifest.json").write_text("{}", encoding="utf-8")
    (Path(paths.releases_dir) / year).symlink_to(version.relative_to(paths.releases_dir), target_is_directory=True)


def test_a_year_is_offered_while_its_folder_exists_or_it_has_a_release(paths: WarehousePaths) -> None:
    for year in ("2024", "2025"):
        (Path(paths.landing_dir) / year).mkdir(parents=True)
    (Path(paths.landing_dir) / "archive").mkdir()  # not a year
    _release(paths, "2021")  # its landing folder archived since
    (Path(paths.releases_dir) / ".versions" / "2019").mkdir(parents=True)  # a version folder is not a release
    (Path(paths.releases_dir) / "2020").mkdir()  # a folder without a manifest is not a release either
    assert offered_years(paths) == ["2021", "2024", "2025"]


def test_partition_changes_add_the_missing_and_delete_the_stray() -> None:
    assert partition_changes(["2023", "2031"], ["2023", "2024"]) == (["2024"], ["2031"])
    assert partition_changes(["2024"], ["2024"]) == ([], [])


def test_register_years_makes_the_instance_offer_exactly_the_configured_years(paths: WarehousePaths) -> None:
    (Path(paths.landing_dir) / "2025").mkdir(parents=True)
    _release(paths, "2023")
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("survey_year", ["2023", "2031"])  # 2031: another landing folder's year
        assert register_landing_years(instance, paths) == ["2023", "2025"]
        assert sorted(instance.get_dynamic_partitions("survey_year")) == ["2023", "2025"]


def test_the_sensor_deletes_a_year_with_neither_folder_nor_release(paths: WarehousePaths) -> None:
    (Path(paths.landing_dir) / "2025").mkdir(parents=True)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("survey_year", ["2025", "2031"])
        context = dg.build_sensor_context(instance=instance, resources={"paths": paths})
        result = landing_folder_sensor(context)
    requests = [(type(r).__name__, list(r.partition_keys)) for r in result.dynamic_partitions_requests]
    assert requests == [("DeleteDynamicPartitionsRequest", ["2031"])]
