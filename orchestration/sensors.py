"""The landing-folder sensor: a new year folder becomes a partition, a year with neither folder nor release stops
being one; new or changed files start a load.

A file still being written is not read: a year's listing (names, sizes, modification times) must be the same
on two consecutive ticks before its load is requested.
"""

from __future__ import annotations

import hashlib
import json

import dagster as dg

from orchestration.ingest.loader import ERROR_SUFFIX, QUARANTINE_DIR
from orchestration.jobs import load_raw_exports
from orchestration.partitions import offered_years, partition_changes, survey_years
from orchestration.resources import WarehousePaths


def landing_fingerprint(paths: WarehousePaths, year: str) -> str:
    """Names, sizes and modification times of a year's files (sub-folders, sidecars and companion files included),
    plus the names of its quarantine entries: deleting one (withdrawing a rejected file) starts a load too."""
    root = paths.year_dir(year)
    listing = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if relative.parts[0] == QUARANTINE_DIR:
            if path.name.endswith(ERROR_SUFFIX):
                listing.append((relative.as_posix(), 0, 0))
            continue
        if any(part.startswith((".", "~$")) for part in relative.parts) or not path.is_file():
            continue
        stat = path.stat()
        listing.append((relative.as_posix(), stat.st_size, stat.st_mtime_ns))
    return hashlib.sha256(json.dumps(listing).encode()).hexdigest()[:16]


def plan_loads(
    previous: dict[str, dict[str, str]], current: dict[str, str]
) -> tuple[dict[str, dict[str, str]], list[str]]:
    """Given each year's last seen and last loaded fingerprint, and what is seen now: the new cursor, and the
    years whose listing is stable and not yet loaded."""
    cursor, to_load = {}, []
    for year, seen in sorted(current.items()):
        state = dict(previous.get(year, {}))
        if state.get("seen") == seen and state.get("loaded") != seen:
            to_load.append(year)
            state["loaded"] = seen
        state["seen"] = seen
        cursor[year] = state
    return cursor, to_load


@dg.sensor(job=load_raw_exports, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING)
def landing_folder_sensor(context: dg.SensorEvaluationContext, paths: WarehousePaths) -> dg.SensorResult:
    years = paths.landing_years()
    new_years, gone_years = partition_changes(
        context.instance.get_dynamic_partitions(survey_years.name), offered_years(paths)
    )
    cursor, to_load = plan_loads(
        json.loads(context.cursor) if context.cursor else {},
        {y: landing_fingerprint(paths, y) for y in years},
    )
    return dg.SensorResult(
        run_requests=[dg.RunRequest(partition_key=y, run_key=f"{y}:{cursor[y]['loaded']}") for y in to_load],
        dynamic_partitions_requests=[
            *([survey_years.build_add_request(new_years)] if new_years else []),
            *([survey_years.build_delete_request(gone_years)] if gone_years else []),
        ],
        cursor=json.dumps(cursor, sort_keys=True),
    )
