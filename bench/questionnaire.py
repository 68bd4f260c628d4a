"""A longer questionnaire for `make bench ITEMS=40`: issue 10's scale goal is 1,000,000 respondents x 40 items, and
the seeded questionnaire has 25 (24 Likert statements and the 0-10 recommendation item).

A copy of the seeds folder whose items.csv gains Likert statements asked from the bench year on, spread over the
themes in turn. The bench points every stage at it (MEDARBEIDERINDEKS_SEEDS_DIR, read by orchestration/settings.py
and by dbt_project.yml's seed-paths, relative to dbt_project/), so ingestion, dbt, the checks and the pandas
baseline all see the same items.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from orchestration.settings import SEEDS_DIR


def write_questionnaire(target: Path, items: int, first_year: int, seeds_dir: Path = SEEDS_DIR) -> Path:
    """``target``: the seeds of ``seeds_dir`` with items.csv extended to ``items`` items (the added ones 1-6 Likert
    statements, asked from ``first_year``, themes in the themes seed's order). Returns ``target``."""
    shutil.copytree(seeds_dir, target)
    questionnaire = pd.read_csv(target / "items.csv", dtype=str, keep_default_na=False)
    added = items - len(questionnaire)
    if added < 0:
        raise ValueError(f"{items} items: the seeded questionnaire ({seeds_dir / 'items.csv'}) already has more")
    themes = pd.read_csv(target / "themes.csv").sort_values("sort_order")["theme_id"].tolist()
    last_number = max(int(item_id.removeprefix("Q")) for item_id in questionnaire["item_id"])
    last_order = max(int(order) for order in questionnaire["sort_order"])
    extra = pd.DataFrame(
        {
            "item_id": f"Q{last_number + k}",
            "theme_id": themes[(k - 1) % len(themes)],
            "scale_min": "1",
            "scale_max": "6",
            "reverse_coded": "false",
            "text_nb": f"Tilleggspåstand {k} (benchmark)",
            "text_en": f"Additional statement {k} (benchmark)",
            "first_year": str(first_year),
            "last_year": "",
            "sort_order": str(last_order + k),
        }
        for k in range(1, added + 1)
    )
    pd.concat([questionnaire, extra], ignore_index=True).to_csv(target / "items.csv", index=False)
    return target
