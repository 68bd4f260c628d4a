"""What both reports need: the questionnaire's names in the reader's language, and why a figure is withheld."""

from __future__ import annotations

import re
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from orchestration.reports.figures import Figures, is_missing
from orchestration.reports.package import Package
from orchestration.reports.texts import Language

BREAKDOWNS = ("department", "tenure", "age", "role")


@dataclass(frozen=True)
class Thresholds:
    """The disclosure thresholds the release was made with (its manifest), for the texts that name them."""

    min_respondents: int
    min_companies: int
    max_company_share_pct: int

    @classmethod
    def from_manifest(cls, manifest: Mapping[str, Any]) -> Thresholds:
        values = manifest.get("thresholds") or {}
        missing = [k for k in ("min_respondents", "min_companies", "max_company_share") if k not in values]
        if missing:
            raise KeyError(f"the release manifest lacks thresholds {missing}")
        return cls(
            min_respondents=int(values["min_respondents"]),
            min_companies=int(values["min_companies"]),
            max_company_share_pct=round(float(values["max_company_share"]) * 100),
        )

    def as_text_values(self) -> dict[str, int]:
        return {"n": self.min_respondents, "companies": self.min_companies, "share": self.max_company_share_pct}


def reason_text(lang: Language, reason: Any, thresholds: Thresholds) -> str:
    """Why a cell is withheld, in words (the marts' suppression_reason)."""
    if is_missing(reason):
        return lang.t("not_published")
    return lang.t(f"reason_{reason}", **thresholds.as_text_values())


def withheld_label(lang: Language, reason: Any, thresholds: Thresholds) -> str:
    """The short text of a withheld cell: "fewer than 5" when the group itself is too small, else "withheld"."""
    if reason == "min_respondents":
        return lang.t("fewer_than", n=thresholds.min_respondents)
    return lang.t("withheld")


def show(
    figures: Figures,
    thresholds: Thresholds,
    table: str,
    key: Mapping[str, Any],
    row: Any,
    field: str,
    **format_options: Any,
):
    """A figure of ``row``, or the reason it is withheld when the row is suppressed or absent."""
    if row is None:
        return figures.withheld(table, key, None, figures.lang.t("not_published"))
    if bool(row["suppressed"]):
        return figures.withheld(
            table, key, row["suppression_reason"], withheld_label(figures.lang, row["suppression_reason"], thresholds)
        )
    return figures.value(table, key, field, row[field], **format_options)


# Row positions of a frame by the values of some of its columns, built on a frame's first lookup: a report asks
# thousands of single rows of the same few package frames, and a boolean mask per question cost ~2 ms each.
# Keyed by the frame's id with a weak reference, so a new frame that reuses a dead frame's id is never mistaken for it;
# package frames are read-only once loaded.
_positions: dict[tuple[int, tuple[str, ...]], tuple[weakref.ref, dict[tuple, list[int]]]] = {}


def _row_positions(frame: pd.DataFrame, columns: tuple[str, ...]) -> dict[tuple, list[int]]:
    key = (id(frame), columns)
    cached = _positions.get(key)
    if cached is not None and cached[0]() is frame:
        return cached[1]
    positions: dict[tuple, list[int]] = {}
    # tolist() gives Python scalars, whose == and hash agree with the mask's ==: 3 finds 3.0, a NaN finds nothing
    for position, values in enumerate(zip(*(frame[column].tolist() for column in columns), strict=True)):
        positions.setdefault(values, []).append(position)
    _positions[key] = (weakref.ref(frame, lambda _: _positions.pop(key, None)), positions)
    return positions


def one_row(frame: pd.DataFrame, **where: Any) -> pd.Series | None:
    """The single row of ``frame`` matching ``where`` (None when there is none; an error when there are several)."""
    rows = _row_positions(frame, tuple(where)).get(tuple(where.values()), [])
    if len(rows) > 1:
        raise ValueError(f"{len(rows)} rows match {where}; expected at most one")
    return frame.iloc[rows[0]] if rows else None


@dataclass(frozen=True)
class Questionnaire:
    """The year's themes and items, ordered, with names in one language."""

    themes: pd.DataFrame  # theme_id, name, sort_order
    items: pd.DataFrame  # item_id, theme_id, text, scale_min, scale_max, sort_order

    @classmethod
    def of(cls, package: Package, lang: Language) -> Questionnaire:
        themes = package["themes"].sort_values("sort_order").rename(columns={f"theme_name_{lang.code}": "name"})
        items = package["items"].sort_values("sort_order").rename(columns={f"text_{lang.code}": "text"})
        return cls(
            themes=themes[["theme_id", "name", "sort_order"]].reset_index(drop=True),
            items=items[["item_id", "theme_id", "text", "scale_min", "scale_max", "sort_order"]].reset_index(drop=True),
        )

    def theme_name(self, theme_id: str) -> str:
        return str(self.themes.set_index("theme_id").at[theme_id, "name"])

    def item_groups(self) -> list[tuple[str | None, pd.DataFrame]]:
        """Items per theme in theme order; items outside every theme (the eNPS question) last."""
        groups: list[tuple[str | None, pd.DataFrame]] = [
            (theme_id, self.items[self.items["theme_id"] == theme_id]) for theme_id in self.themes["theme_id"]
        ]
        others = self.items[self.items["theme_id"].isna()]
        if not others.empty:
            groups.append((None, others))
        return [(theme_id, frame) for theme_id, frame in groups if not frame.empty]


class Report:
    """What every report holds: its language, the release's thresholds and id, and the year's questionnaire."""

    def __init__(self, package: Package, lang: Language, thresholds: Thresholds, release_id: str) -> None:
        self.lang = lang
        self.t = lang.t
        self.thresholds = thresholds
        self.release_id = release_id
        self.figures = Figures(lang)
        self.questionnaire = Questionnaire.of(package, lang)


def subgroup_sort_key(subgroup: str) -> tuple:
    """Bands in their natural order ("<1", "1-3", "3-5", "5+"; "<25", "25-34", ...), names alphabetically."""
    match = re.match(r"(<)?(\d+)", subgroup)
    if match:
        return (0, 0 if match.group(1) else 1, int(match.group(2)), subgroup)
    return (1, 0, 0, subgroup.casefold())
