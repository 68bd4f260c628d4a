"""The disclosure audit of a staged release: the attacker in the gate (docs/privacy.md, "How it is proven").

Runs on the staged packages, before anything is visible:
- the pools audit (orchestration/disclosure/pools.py) of the public package, every company package, every coalition
  of up to ``colluding_companies`` companies, and the internal package: companies and benchmarks;
- the subgroup audit (orchestration/disclosure/subgroups.py) of the internal package. A company package holds
  exactly its company's rows of the same tables, and its reader knows nothing the subgroup relations of the internal
  package do not hold, so one audit of the internal package covers each company package's subgroups.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import dagster as dg
import duckdb
import pandas as pd

from orchestration.disclosure.pools import audit_release_pools
from orchestration.disclosure.subgroups import STRUCTURE_COLUMNS, AuditFindings, audit_subgroups
from orchestration.release import StagedRelease

# Findings and intervals listed in the check's metadata; the counts are always complete.
MAX_LISTED = 25


def cross_cells(warehouse_path: str, year: int) -> pd.DataFrame:
    """The non-empty combinations of department, tenure band, age band and role per company: more than a reader
    knows, so the subgroup audit given them is stricter than any real attacker."""
    columns = ", ".join(STRUCTURE_COLUMNS)
    with duckdb.connect(warehouse_path, read_only=True) as con:
        return con.execute(
            f"select distinct year, company_id, {columns} from staging.stg_survey__respondents where year = ?", [year]
        ).df()


@dataclass
class ReleaseAudit:
    findings: list[dict[str, Any]] = field(default_factory=list)
    narrowest: list[dict[str, Any]] = field(default_factory=list)
    packages: int = 0
    # protected company and benchmark values bounded (one interval each), and company x measure subgroup audits
    pool_intervals: int = 0
    subgroup_audits: int = 0
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.findings

    def describe(self) -> str:
        if self.passed:
            return (
                f"{self.pool_intervals} protected company and benchmark values and {self.subgroup_audits} company x "
                f"measure subgroup audits over {self.packages} packages: nothing narrowed below its margin "
                f"({self.seconds:.1f} s)"
            )
        return f"{len(self.findings)} protected values can be narrowed below their margin, e.g. {self.findings[0]}"

    def summary(self) -> dict[str, Any]:
        """What the release manifest records."""
        return {
            "passed": self.passed,
            "packages": self.packages,
            "pool_intervals": self.pool_intervals,
            "subgroup_audits": self.subgroup_audits,
            "seconds": round(self.seconds, 2),
            "narrowest": self.narrowest[:MAX_LISTED],
        }

    def metadata(self) -> dict[str, Any]:
        return {
            "packages": self.packages,
            "pool_intervals": self.pool_intervals,
            "subgroup_audits": self.subgroup_audits,
            "findings": dg.MetadataValue.json(self.findings[:MAX_LISTED]),
            "findings_count": len(self.findings),
            "narrowest_intervals": dg.MetadataValue.json(self.narrowest[:MAX_LISTED]),
            "seconds": round(self.seconds, 2),
        }


def _audit_internal_subgroups(staged: StagedRelease, warehouse_path: str, min_respondents: int) -> AuditFindings:
    internal = staged.path / "internal" / f"medarbeiderindeks_{staged.year}.duckdb"
    with duckdb.connect(str(internal), read_only=True) as con:
        return audit_subgroups(
            con, staged.year, cross_cells(warehouse_path, staged.year), min_respondents=min_respondents
        )


def audit_staged_release(staged: StagedRelease, warehouse_path: str, settings: dict[str, Any]) -> ReleaseAudit:
    started = time.perf_counter()
    min_respondents = int(settings["min_respondents"])
    # The subgroup audit runs in a thread of this process while the pools audit's worker processes run: the two
    # audits share nothing.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="subgroup-audit") as side:
        subgroup_audit = side.submit(_audit_internal_subgroups, staged, warehouse_path, min_respondents)
        pools = audit_release_pools(
            staged.path,
            staged.year,
            coalition_size=int(settings["colluding_companies"]),
            min_respondents=min_respondents,
        )
        subgroups = subgroup_audit.result()
    findings = [f.describe() for f in pools.findings] + [
        f"internal: {f.table}({', '.join(f'{k}={v}' for k, v in f.keys.items())}) {f.statistic} in "
        f"[{f.interval[0]:.4g}, {f.interval[1]:.4g}] (margin {f.margin:.4g})"
        for f in subgroups
    ]
    narrowest = [i.as_metadata() for i in pools.narrowest()] + list(subgroups.narrowest)
    return ReleaseAudit(
        findings=findings,
        narrowest=narrowest,
        packages=len(staged.packages),
        pool_intervals=len(pools.intervals),
        subgroup_audits=subgroups.company_measures,
        seconds=time.perf_counter() - started,
    )
