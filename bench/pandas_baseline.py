"""The pandas baseline of issue 10: the figures of the company and benchmark marts computed by a plain pandas script
from the raw answers (methodology §1-§3): n respondents, 0-100 index, sd and mean on the measure's own scale per
company x measure (overall index, eNPS, theme, item), and the same pooled over the respondents of every company cell
that enters the benchmarks (national and per industry). No disclosure control: that is the marts' business, and a
suppressed cell is simply not compared (tests/test_bench.py checks these figures equal the published ones).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

GROUP = ["measure_type", "measure_id"]


def _asked(items: pd.DataFrame, year: int) -> pd.DataFrame:
    first, last = items["first_year"], items["last_year"]
    return items[(first.isna() | (first <= year)) & (last.isna() | (last >= year))]


def respondent_scores(answers: pd.DataFrame, items: pd.DataFrame, year: int, enps_item_id: str) -> pd.DataFrame:
    """One row per respondent x measure: company_id, respondent_id, measure_type, measure_id, score (0-100; eNPS
    points -100/0/100), null where the respondent has no score."""
    asked = _asked(items, year)
    scored = answers.loc[
        answers["year"] == year, ["company_id", "respondent_id", "item_id", "answer_value", "is_dont_know"]
    ]
    scored = scored.merge(asked[["item_id", "theme_id", "scale_min", "scale_max", "reverse_coded"]], on="item_id")
    value = scored["answer_value"].where(~scored["is_dont_know"])
    scored["score_raw"] = value.where(~scored["reverse_coded"], scored["scale_min"] + scored["scale_max"] - value)
    scored["score"] = (scored["score_raw"] - scored["scale_min"]) * 100.0 / (scored["scale_max"] - scored["scale_min"])
    keys = ["company_id", "respondent_id"]

    themed = scored[scored["theme_id"].notna()]
    themes = themed.groupby([*keys, "theme_id"])["score"].agg(["mean", "count"]).reset_index()
    # a theme scores when at least half (rounded up) of its items asked that year are answered
    required = themes["theme_id"].map(asked.groupby("theme_id").size().map(lambda n: math.ceil(n / 2)))
    themes["score"] = themes["mean"].where(themes["count"] >= required)
    overall = themes.groupby(keys)["score"].agg(["mean", "count"]).reset_index()
    n_themes = asked["theme_id"].nunique()
    overall["score"] = overall["mean"].where(overall["count"] >= math.ceil(n_themes / 2))

    enps = scored[scored["item_id"] == enps_item_id]
    raw = enps["score_raw"]
    points = pd.Series(np.select([raw >= 9, raw >= 7], [100.0, 0.0], -100.0), index=enps.index).where(raw.notna())

    return pd.concat(
        [
            overall[keys].assign(measure_type="index", measure_id="overall", score=overall["score"]),
            enps[keys].assign(measure_type="enps", measure_id="enps", score=points),
            themes[keys].assign(measure_type="theme", measure_id=themes["theme_id"], score=themes["score"]),
            scored[keys].assign(measure_type="item", measure_id=scored["item_id"], score=scored["score"]),
        ],
        ignore_index=True,
    )


def _stats(scores: pd.DataFrame, by: list[str], scales: pd.DataFrame) -> pd.DataFrame:
    stats = scores.groupby(by, sort=False)["score"].agg(n_respondents="count", index_0_100="mean", sd="std")
    stats = stats.reset_index().merge(scales, on=GROUP, how="left")
    stats["mean_score"] = stats["scale_min"] + stats["index_0_100"] * (stats["scale_max"] - stats["scale_min"]) / 100
    return stats.drop(columns=["scale_min", "scale_max"])


def company_and_benchmark_figures(
    answers: pd.DataFrame,
    items: pd.DataFrame,
    companies: pd.DataFrame,
    year: int,
    min_respondents: int,
    enps_item_id: str,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(company figures, benchmark figures) of ``year`` from raw answers (year, company_id, respondent_id, item_id,
    answer_value, is_dont_know) and the seeds' items and companies."""
    scores = respondent_scores(answers, items, year, enps_item_id)
    asked = _asked(items, year)
    # a measure's own scale: an item's; a theme's where its items share one; none for the index and eNPS
    item_scales = asked.assign(measure_type="item", measure_id=asked["item_id"])[[*GROUP, "scale_min", "scale_max"]]
    theme_scales = (
        asked[asked["theme_id"].notna()]
        .groupby("theme_id")
        .agg(
            lo=("scale_min", "min"),
            hi=("scale_max", "max"),
            n_lo=("scale_min", "nunique"),
            n_hi=("scale_max", "nunique"),
        )
        .reset_index()
    )
    shared = (theme_scales["n_lo"] == 1) & (theme_scales["n_hi"] == 1)
    theme_scales = pd.DataFrame(
        {
            "measure_type": "theme",
            "measure_id": theme_scales["theme_id"],
            "scale_min": theme_scales["lo"].where(shared),
            "scale_max": theme_scales["hi"].where(shared),
        }
    )
    scales = pd.concat([item_scales, theme_scales], ignore_index=True)

    company = _stats(scores, ["company_id", *GROUP], scales)
    pooled_cells = company.loc[company["n_respondents"] >= min_respondents, ["company_id", *GROUP]]
    pooled = scores.merge(pooled_cells, on=["company_id", *GROUP]).merge(
        companies[["company_id", "industry_id"]], on="company_id", how="left"
    )
    national = _stats(pooled, GROUP, scales).assign(benchmark_scope="national", benchmark_id="all")
    industry = _stats(pooled, ["industry_id", *GROUP], scales).rename(columns={"industry_id": "benchmark_id"})
    benchmarks = pd.concat([national, industry.assign(benchmark_scope="industry")], ignore_index=True)
    return company.assign(year=year), benchmarks.assign(year=year)
