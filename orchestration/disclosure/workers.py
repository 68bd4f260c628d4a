"""Independent disclosure audits side by side in worker processes (``MEDARBEIDERINDEKS_AUDIT_WORKERS``): the release's
packages and coalitions (pools.py) and the subgroup model's company-measures (subgroups.py)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

Task = TypeVar("Task")
Result = TypeVar("Result")


def map_in_workers(
    function: Callable[[Task], Result], tasks: Sequence[Task], workers: int, chunksize: int = 1
) -> list[Result]:
    """``function(task)`` of every task, in the tasks' order, by ``workers`` processes side by side (in this process
    when ``workers`` is 1 or there is one task). ``function`` must be a module-level function, tasks picklable.

    The workers are forked from a fork server that has imported the caller's main module and ``function``'s module
    once. Spawning would import the caller's main module again in every worker (seconds each: dbt's entry point inside
    a dbt Python model, the CLI or Dagster in a release), and forking the caller itself is unsafe while it holds threads
    and open DuckDB connections (dbt's, Dagster's, a test's)."""
    if workers <= 1 or len(tasks) <= 1:
        return [function(task) for task in tasks]
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["__main__", function.__module__])
    with ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=context) as pool:
        return list(pool.map(function, tasks, chunksize=chunksize))
