"""Make the instance offer exactly the survey years of the configured landing folder (and the released years), as
the landing sensor does under `dg dev`: `make ui` runs this first, so the partition picker is right from the start.
"""

from __future__ import annotations

import dagster as dg

from orchestration.definitions import configured_paths
from orchestration.partitions import offered_years, partition_changes, survey_years
from orchestration.resources import WarehousePaths


def register_landing_years(instance: dg.DagsterInstance, paths: WarehousePaths) -> list[str]:
    """Add the offered years the instance lacks, delete the years it offers that have neither folder nor release."""
    years = offered_years(paths)
    new, gone = partition_changes(instance.get_dynamic_partitions(survey_years.name), years)
    if new:
        instance.add_dynamic_partitions(survey_years.name, new)
    for year in gone:
        instance.delete_dynamic_partition(survey_years.name, year)
    return years


if __name__ == "__main__":
    with dg.DagsterInstance.get() as instance:
        print("survey years:", " ".join(register_landing_years(instance, configured_paths())) or "none")
