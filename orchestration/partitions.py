"""Survey years as partitions: a year is offered while its landing folder exists or it has a release, no code
change. The landing sensor (sensors.py) and `register_years` keep the instance's list to exactly those years."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import dagster as dg

from orchestration.resources import WarehousePaths

survey_years = dg.DynamicPartitionsDefinition(name="survey_year")


def offered_years(paths: WarehousePaths) -> list[str]:
    """The years a person may release: those with a landing folder, and those already released (whose landing
    folder may since have been archived)."""
    releases = Path(paths.releases_dir).glob("[0-9][0-9][0-9][0-9]")
    released = {link.name for link in releases if (link / "manifest.json").is_file()}
    return sorted(set(paths.landing_years()) | released)


def partition_changes(known: Iterable[str], offered: Iterable[str]) -> tuple[list[str], list[str]]:
    """Years to add to and to delete from the instance's partitions so that it offers exactly ``offered``."""
    known, offered = set(known), set(offered)
    return sorted(offered - known), sorted(known - offered)
