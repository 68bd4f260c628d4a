"""A small survey written as canonical CSV exports, and methodology §1–§2 computed from it independently."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from orchestration.settings import SEEDS_DIR

ITEMS = pd.read_csv(SEEDS_DIR / "items.csv")
COMPANIES = pd.read_csv(SEEDS_DIR / "companies.csv")
# Nine companies in four industries: signal_norge is under min_respondents and enters no benchmark, so the national
# benchmark pools eight (enough that no two colluding readers narrow a third below the disclosure audit's margin);
# the banks' leave-one-out industry benchmark has only two other companies.
NINE_COMPANIES = {
    "nordlys_bank": 14,
    "fjord_sparebank": 9,
    "kyst_sparebank": 8,
    "fjelltele": 11,
    "signal_norge": 3,
    "bolge_mobil": 9,
    "vasskraft_ost": 10,
    "trygg_forsikring": 9,
    "vern_forsikring": 8,
}


def small_survey(year: int, sizes: dict[str, int], seed: int) -> pd.DataFrame:
    """Wide canonical answers: one row per respondent; codes 1–6, some blanks and some 'Vet ikke'."""
    rng = np.random.default_rng(seed)
    rows = []
    for company, size in sizes.items():
        level = rng.normal(0, 0.6)
        for r in range(size):
            person = level + rng.normal(0, 0.8)
            # each item on its own scale (1-6, the 0-10 recommend item): the latent level shifted onto it
            low, high = ITEMS["scale_min"].to_numpy(), ITEMS["scale_max"].to_numpy()
            position = (3.6 + person + rng.normal(0, 0.9, len(ITEMS)) - 1) / 5
            answers = np.clip(np.rint(low + position * (high - low)), low, high).astype(int).astype(object)
            answers[rng.random(len(ITEMS)) < 0.06] = ""
            answers[rng.random(len(ITEMS)) < 0.04] = "Vet ikke"
            rows.append(
                {
                    "respondent_id": f"{company}-{year}-{r}",
                    "company": company,
                    "department": "Kundeservice" if r % 2 else "Bedriftsmarked",
                    **dict(zip(ITEMS["item_id"], answers, strict=True)),
                }
            )
    return pd.DataFrame(rows)


def write_landing(landing: Path, year: int, survey: pd.DataFrame) -> None:
    folder = landing / str(year)
    folder.mkdir(parents=True, exist_ok=True)
    for company, part in survey.groupby("company"):
        part.to_csv(folder / f"{company}.csv", index=False)


def expected_respondent_scores(survey: pd.DataFrame) -> pd.DataFrame:
    """Methodology §1–§2 computed directly from the wide answers (independent of the project's code)."""
    long = survey.melt(id_vars=["respondent_id", "company", "department"], var_name="item_id", value_name="raw")
    long = long[pd.to_numeric(long["raw"], errors="coerce").notna()].copy()
    long["x"] = long["raw"].astype(float)
    long = long.merge(ITEMS, on="item_id")
    reverse = long["reverse_coded"].astype(str).str.lower() == "true"
    long.loc[reverse, "x"] = long["scale_min"] + long["scale_max"] - long["x"]
    long["item_index"] = (long["x"] - long["scale_min"]) / (long["scale_max"] - long["scale_min"]) * 100
    theme_size = ITEMS.groupby("theme_id").size()
    themes = long.groupby(["respondent_id", "company", "theme_id"])["item_index"].agg(["mean", "size"]).reset_index()
    themes = themes[themes["size"] >= themes["theme_id"].map(lambda t: math.ceil(theme_size[t] / 2))]
    overall = themes.groupby(["respondent_id", "company"])["mean"].agg(["mean", "size"]).reset_index()
    overall = overall[overall["size"] >= math.ceil(len(theme_size) / 2)]
    return overall.rename(columns={"mean": "overall"})[["respondent_id", "company", "overall"]]
