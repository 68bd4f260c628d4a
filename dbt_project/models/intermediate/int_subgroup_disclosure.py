"""Disclosure decision for every subgroup cell (company x year x breakdown x subgroup x measure), methodology §6.

Primary suppression ('min_respondents'): a subgroup with fewer than min_respondents respondents; every subgroup of a
company whose own cell is suppressed has fewer respondents than the company, so it is suppressed too.

Complementary suppression ('complementary'): per company x year x measure, the disclosure audit of
orchestration/disclosure/subgroups.py (linear programming over every statistic the company and its published
subgroups show: n, mean, sd, shares, don't-know share, and the company's answer distribution) finds the primary cells
whose mean is left an interval narrower than the protection margin (var audit_margin_scale_points) or whose n is
determined, and the groups of 1..min_respondents-1 respondents derivable by subtraction. While it finds one, one more
subgroup is suppressed (the smallest published subgroup of the same breakdown first, then of other breakdowns; for a
derivable group, the smallest subgroup subtracted) and the audit runs again. Deterministic.

The company-measures are independent: their audits run in MEDARBEIDERINDEKS_AUDIT_WORKERS processes side by side (one
per core by default; subgroups.protect_each), with the same decisions whatever the number.

The inputs are aggregated in DuckDB before they reach pandas (cross cells, cell statistics, distributions): memory
grows with the number of cells, not of respondents.

Incremental a year at a time, like the SQL models (delete+insert on year): it reads only the years of
control.build_years (macro year_built_this_run; every year without that table).
"""

from __future__ import annotations

import pandas as pd

from orchestration.disclosure.blocks import CellStatistics
from orchestration.disclosure.subgroups import BREAKDOWNS, CompanyMeasureAudit, Measures, protect_each
from orchestration.settings import audit_workers

KEYS = ["year", "company_id", "breakdown", "subgroup", "measure_type", "measure_id"]
STAT_COLUMNS = [
    "n_respondents",
    "index_0_100",
    "sd",
    "favorable_pct",
    "neutral_pct",
    "unfavorable_pct",
    "dont_know_pct",
]

CROSS_CELLS_SQL = """
select distinct year, company_id, department, tenure, age, role
from breakdowns
where {built}
"""


def _built_years(session) -> str:
    """SQL condition on ``year``: the years this build computes (control.build_years, which the release writes before
    dbt runs), as literals like macro year_built_this_run writes them, so DuckDB skips the other years' row groups.
    Every year without the control table (a plain dbt build)."""
    (exists,) = session.execute(
        "select count(*) from duckdb_tables() where database_name = current_database() "
        "and schema_name = 'control' and table_name = 'build_years'"
    ).fetchone()
    if not exists:
        return "true"
    years = [year for (year,) in session.execute("select year from control.build_years order by year").fetchall()]
    return f"year in ({', '.join(str(int(year)) for year in years)})" if years else "false"


def _statistics(row) -> CellStatistics:
    return CellStatistics.from_row({column: getattr(row, column) for column in STAT_COLUMNS})


def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="delete+insert", unique_key="year")
    built = _built_years(session)
    min_respondents = int(dbt.config.get("min_respondents"))
    scale_points = float(dbt.config.get("audit_margin_scale_points"))
    measures = Measures(
        dbt.ref("int_items_asked")
        .query(
            "i",
            "select year, item_id, theme_id, scale_min, scale_max, is_reverse_coded as reverse_coded from i "
            f"where {built}",
        )
        .df(),
        "int_items_asked",
    )

    cross = dbt.ref("int_respondent_breakdowns").query("breakdowns", CROSS_CELLS_SQL.format(built=built)).df()
    cells_of = {
        (int(year), company_id): [
            tuple(None if pd.isna(v) else str(v) for v in values)
            for values in group[list(BREAKDOWNS)].itertuples(index=False, name=None)
        ]
        for (year, company_id), group in cross.groupby(["year", "company_id"])
    }
    stats = (
        dbt.ref("int_subgroup_measure_stats")
        .query("s", f"select {', '.join(KEYS + STAT_COLUMNS)} from s where {built}")
        .df()
    )
    company = (
        dbt.ref("int_company_measure_stats")
        .query(
            "c",
            f"select c.year, c.company_id, c.measure_type, c.measure_id, {', '.join('c.' + s for s in STAT_COLUMNS)} "
            f"from c where c.n_respondents >= {min_respondents} and {built}",
        )
        .df()
    )
    company_cells = {
        (int(r.year), r.company_id, r.measure_type, r.measure_id): _statistics(r) for r in company.itertuples()
    }
    distribution = (
        dbt.ref("int_answer_distribution")
        .query(
            "d",
            f"select year, scope_id as company_id, item_id, answer_code, n from d where scope = 'company' and {built}",
        )
        .df()
    )
    distributions: dict[tuple, dict] = {}
    for r in distribution.itertuples():
        code = None if pd.isna(r.answer_code) else int(r.answer_code)
        distributions.setdefault((int(r.year), r.company_id, "item", r.item_id), {})[code] = float(r.n)

    reasons: dict[tuple, str] = {}
    tasks = []
    for (year, company_id, measure_type, measure_id), group in stats.groupby(
        ["year", "company_id", "measure_type", "measure_id"], sort=True
    ):
        key = (int(year), company_id, measure_type, measure_id)
        published, primaries = {}, []
        for r in group.sort_values(["breakdown", "subgroup"]).itertuples():
            if r.n_respondents >= min_respondents and key in company_cells:
                published[(r.breakdown, r.subgroup)] = _statistics(r)
            else:
                primaries.append((r.breakdown, r.subgroup))
                reasons[(*key[:2], r.breakdown, r.subgroup, measure_type, measure_id)] = "min_respondents"
        if key not in company_cells:  # the company cell is suppressed: so is every subgroup (above), nothing to audit
            continue
        measure = measures.get(key[0], measure_type, measure_id)
        audit = CompanyMeasureAudit(
            cells_of.get(key[:2], []),
            measure,
            margin=measure.margin(scale_points),
            min_respondents=min_respondents,
            company=company_cells[key],
            distribution=distributions.get(key) if measure_type == "item" else None,
        )
        tasks.append((key, audit, published, primaries))

    for (key, *_), suppressed in zip(tasks, protect_each(tasks, audit_workers()), strict=True):
        for breakdown, subgroup in suppressed:
            reasons[(*key[:2], breakdown, subgroup, *key[2:])] = "complementary"

    decided = pd.DataFrame(
        [(*k, reason) for k, reason in reasons.items()], columns=[*KEYS, "suppression_reason"]
    ).astype({key: stats[key].dtype for key in KEYS})
    out = stats[[*KEYS, "n_respondents"]].merge(decided, how="left", on=KEYS)
    out["suppression_reason"] = out["suppression_reason"].astype("string")
    return out
