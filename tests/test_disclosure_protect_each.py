"""The subgroup model's complementary suppression in worker processes (subgroups.protect_each): the same decisions, in
the same order, as one process, and an audit that cannot be solved still names its company-measure."""

from __future__ import annotations

import numpy as np
import pytest

from orchestration.disclosure.blocks import CellStatistics
from orchestration.disclosure.lp import AuditInfeasible
from orchestration.disclosure.subgroups import CompanyMeasureAudit, Measure, protect, protect_each

MIN_RESPONDENTS = 5
Q04 = Measure("item", "Q04", 1, 6)
MARGIN = Q04.margin(0.5)
DEPARTMENTS = ("Kundeservice", "Bedrift", "Privat")
ROLES = ("Rådgiver", "Teamleder", "Fagansvarlig")


def _statistics(values: np.ndarray) -> CellStatistics:
    index = (values - 1) * 20.0
    return CellStatistics.from_row(
        {
            "n_respondents": len(values),
            "index_0_100": index.mean(),
            "sd": index.std(ddof=1) if len(values) > 1 else None,
            "favorable_pct": 100.0 * np.mean(values >= 5),
            "neutral_pct": 100.0 * np.mean((values >= 3) & (values <= 4)),
            "unfavorable_pct": 100.0 * np.mean(values <= 2),
            "dont_know_pct": 0.0,
        }
    )


def _task(seed: int) -> tuple:
    """A company of 12-30 respondents over three departments and three roles (small ones likely), its Q04 answers
    drawn at random; the subgroups below MIN_RESPONDENTS are the primaries, the others published."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(12, 31))
    departments = rng.choice(DEPARTMENTS, size=n, p=(0.6, 0.3, 0.1))
    roles = rng.choice(ROLES, size=n, p=(0.7, 0.2, 0.1))
    values = rng.integers(1, 7, size=n).astype(float)
    published, primaries = {}, []
    for breakdown, column in (("department", departments), ("role", roles)):
        for subgroup in sorted(set(column)):
            inside = values[column == subgroup]
            if len(inside) >= MIN_RESPONDENTS:
                published[(breakdown, subgroup)] = _statistics(inside)
            else:
                primaries.append((breakdown, subgroup))
    cells = {(str(d), None, None, str(r)) for d, r in zip(departments, roles, strict=True)}
    audit = CompanyMeasureAudit(
        cells,
        Q04,
        margin=MARGIN,
        min_respondents=MIN_RESPONDENTS,
        company=_statistics(values),
        distribution={code: float(np.sum(values == code)) for code in range(1, 7)} | {None: 0.0},
    )
    return (2025, f"company_{seed}", "item", "Q04"), audit, published, primaries


def _tasks() -> list[tuple]:
    """New audits each time: an audit keeps its witnesses between calls."""
    return [_task(seed) for seed in range(16)]


def test_workers_decide_as_one_process_in_the_tasks_order() -> None:
    alone = [protect(audit, published, primaries) for _, audit, published, primaries in _tasks()]
    assert sum(1 for suppressed in alone if suppressed) >= 3, "the fixture must exercise complementary suppression"
    assert protect_each(_tasks(), workers=2) == alone
    assert protect_each(_tasks(), workers=1) == alone


def test_an_audit_that_cannot_be_solved_names_its_company_measure_from_a_worker() -> None:
    key, audit, published, primaries = _task(3)
    assert primaries, "the fixture needs a primary for the LP to run"
    # a published department larger than the company: no group of respondents fits both
    department = next(k for k in published if k[0] == "department")
    contradicted = {**published, department: CellStatistics.from_row({"n_respondents": 1000, "index_0_100": 50.0})}
    tasks = [_task(0), (key, audit, contradicted, primaries)]
    with pytest.raises(AuditInfeasible, match=r"company x year x measure \(2025, 'company_3', 'item', 'Q04'\)"):
        protect_each(tasks, workers=2)
