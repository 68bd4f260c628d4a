"""Register every survey year of the landing folder as a partition, as the landing sensor does in the UI.

A headless release (`make release`) runs without the sensor, so it registers the years first.
"""

from __future__ import annotations

import dagster as dg

from orchestration.definitions import configured_paths
from orchestration.partitions import survey_years


def register_landing_years(instance: dg.DagsterInstance) -> list[str]:
    years = configured_paths().landing_years()
    known = set(instance.get_dynamic_partitions(survey_years.name))
    if new := [y for y in years if y not in known]:
        instance.add_dynamic_partitions(survey_years.name, new)
    return years


if __name__ == "__main__":
    with dg.DagsterInstance.get() as instance:
        print("survey years:", " ".join(register_landing_years(instance)) or "none")
