"""Disclosure decision for every subgroup cell (company x year x breakdown x subgroup x measure), methodology §6.

Primary suppression: a subgroup with fewer than min_respondents respondents ('min_respondents'); every subgroup of a
company whose own cell is suppressed has fewer respondents than the company, so it is suppressed too.

Complementary suppression ('complementary'): the published numbers of one company (its total and its subgroups of
all four breakdowns, means and counts) are sums over sets of its respondents. Respondents are grouped into cells
(one per combination of department, tenure, age band and role; no value is a value of its own), and every published
number is a sum over a union of cells. An audit then looks, per company x year x measure, for what could be derived:
  1. a suppressed subgroup whose cells are a linear combination of the published sets (rank test): it could be
     recovered exactly by adding and subtracting published sums, within one breakdown or across breakdowns;
  2. a published set (the company total or a subgroup) minus the published subgroups of one breakdown that lie inside
     it, leaving between 1 and min_respondents - 1 respondents (e.g. the total minus all departments but one small
     one, or the respondents who gave no department): a group below the threshold, derivable by subtraction.
While the audit finds something, one more subgroup is suppressed: for 1., the smallest published subgroup of the same
breakdown whose suppression removes the finding, else of another breakdown, else the next smallest of the same
breakdown; for 2., the smallest subgroup subtracted. Each step suppresses a cell, so the loop ends.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

BREAKDOWNS = ("department", "tenure", "age", "role")


def _in_span(published: np.ndarray, target: np.ndarray) -> bool:
    if published.shape[0] == 0:
        return False
    rank = np.linalg.matrix_rank(published)
    return np.linalg.matrix_rank(np.vstack([published, target])) == rank


@lru_cache(maxsize=100_000)
def _audit(cells: tuple, min_respondents: int) -> tuple:
    """cells: ((department, tenure, age, role, n), ...). Returns ((breakdown, subgroup, reason), ...) suppressed."""
    counts = np.array([c[-1] for c in cells], dtype=float)
    total = counts.sum()
    subgroups: dict[tuple[str, str], np.ndarray] = {}
    for b, breakdown in enumerate(BREAKDOWNS):
        values = sorted({c[b] for c in cells if c[b] is not None})
        for value in values:
            subgroups[(breakdown, value)] = np.array([c[b] == value for c in cells], dtype=float)
    size = {key: float(vector @ counts) for key, vector in subgroups.items()}
    reasons: dict[tuple[str, str], str] = {}
    if total < min_respondents:
        return tuple((k[0], k[1], "min_respondents") for k in subgroups)
    for key in subgroups:
        if size[key] < min_respondents:
            reasons[key] = "min_respondents"
    company = np.ones(len(cells))
    order = sorted(subgroups, key=lambda k: (size[k], BREAKDOWNS.index(k[0]), k[1]))

    def published_keys() -> list[tuple[str, str]]:
        return [k for k in order if k not in reasons]

    def matrix(keys: list[tuple[str, str]]) -> np.ndarray:
        return np.vstack([company] + [subgroups[k] for k in keys])

    while True:
        keys = published_keys()
        published = matrix(keys)
        choice = None
        # 1. a suppressed subgroup recoverable exactly
        for key in [k for k in order if k in reasons]:
            if not _in_span(published, subgroups[key]):
                continue
            same = [k for k in keys if k[0] == key[0]]
            other = [k for k in keys if k[0] != key[0]]
            for candidate in same + other:
                if not _in_span(matrix([k for k in keys if k != candidate]), subgroups[key]):
                    choice = candidate
                    break
            if choice is None:
                choice = (same or other)[0]
            break
        # 2. a published set minus published subgroups of one breakdown inside it leaves a group below the threshold
        if choice is None:
            for outer in [None, *keys]:
                outer_vector = company if outer is None else subgroups[outer]
                for breakdown in BREAKDOWNS:
                    inner = [
                        k for k in keys if k[0] == breakdown and k != outer and np.all(subgroups[k] <= outer_vector)
                    ]
                    if not inner:
                        continue
                    rest = (outer_vector - sum(subgroups[k] for k in inner)) @ counts
                    if 0 < rest < min_respondents:
                        choice = inner[0]
                        break
                if choice is not None:
                    break
        if choice is None:
            break
        reasons[choice] = "complementary"
    return tuple((k[0], k[1], reason) for k, reason in reasons.items())


def model(dbt, session):
    dbt.config(materialized="table")
    min_respondents = int(dbt.config.get("min_respondents") or 5)
    measures = dbt.ref("int_respondent_measures").df()
    subgroups = dbt.ref("int_respondent_subgroups").df()
    stats = dbt.ref("int_subgroup_measure_stats").df()

    scored = measures.loc[
        measures["score_0_100"].notna(), ["year", "company_id", "respondent_id", "measure_type", "measure_id"]
    ]
    wide = subgroups.pivot_table(
        index=["year", "company_id", "respondent_id"], columns="breakdown", values="subgroup", aggfunc="first"
    )
    wide = wide.reindex(columns=list(BREAKDOWNS)).reset_index()
    scored = scored.merge(wide, how="left", on=["year", "company_id", "respondent_id"])
    scored[list(BREAKDOWNS)] = scored[list(BREAKDOWNS)].astype(object).where(scored[list(BREAKDOWNS)].notna(), None)
    cell_counts = (
        scored.groupby(["year", "company_id", "measure_type", "measure_id", *BREAKDOWNS], dropna=False)
        .size()
        .rename("n")
        .reset_index()
    )
    rows = []
    for (year, company_id, measure_type, measure_id), group in cell_counts.groupby(
        ["year", "company_id", "measure_type", "measure_id"], sort=False
    ):
        cells = [
            tuple(None if pd.isna(v) else str(v) for v in values[:4]) + (int(values[4]),)
            for values in group[[*BREAKDOWNS, "n"]].itertuples(index=False, name=None)
        ]
        cells = tuple(sorted(cells, key=lambda cell: tuple("" if v is None else f"~{v}" for v in cell[:4])))
        for breakdown, subgroup, reason in _audit(cells, min_respondents):
            rows.append((year, company_id, measure_type, measure_id, breakdown, subgroup, reason))
    decided = pd.DataFrame(
        rows,
        columns=["year", "company_id", "measure_type", "measure_id", "breakdown", "subgroup", "suppression_reason"],
    )
    keys = ["year", "company_id", "breakdown", "subgroup", "measure_type", "measure_id"]
    decided = decided.astype({key: stats[key].dtype for key in keys})
    out = stats[[*keys, "n_respondents"]].merge(decided, how="left", on=keys)
    # a subgroup cell of a measure nobody in it scored (n = 0) is below the threshold too
    out.loc[out["suppression_reason"].isna() & (out["n_respondents"] < min_respondents), "suppression_reason"] = (
        "min_respondents"
    )
    out["suppression_reason"] = out["suppression_reason"].astype("string")
    return out
