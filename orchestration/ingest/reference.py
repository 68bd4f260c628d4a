"""The reference seeds ingestion needs: companies, items, the per-year item crosswalk and the answer labels."""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

_WHITESPACE = re.compile(r"\s+")


def normalise_text(value: object) -> str:
    """Key for case- and whitespace-insensitive matching: NFC (æøå intact), trimmed, inner runs of spaces collapsed,
    case-folded. 'Bølge  Mobil ' and 'bølge mobil' give the same key."""
    text = unicodedata.normalize("NFC", str(value))
    return _WHITESPACE.sub(" ", text).strip().casefold()


def normalise_series(values: pd.Series) -> pd.Series:
    """`normalise_text` over a column, computed once per distinct value (NA stays NA)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    keys = pd.Index([normalise_text(u) for u in uniques], dtype=object)  # loop over distinct values only
    out = pd.Series(keys.take(codes, allow_fill=True, fill_value=None), index=values.index, dtype=object)
    return out.where(codes >= 0, None)


def _read_seed(seeds_dir: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(seeds_dir / name, dtype=str, keep_default_na=False, encoding="utf-8")


def _as_bool(values: pd.Series) -> pd.Series:
    return values.str.strip().str.lower().isin(["true", "1", "yes"])


def _as_int(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values.str.strip().replace("", None), errors="raise").astype("Int64")


@dataclass(frozen=True)
class Label:
    answer_code: float | None
    is_dont_know: bool


@dataclass(frozen=True)
class Reference:
    """Seeds as typed frames plus the look-ups ingestion needs.

    companies: company_id, company_name, industry_id
    items: item_id, scale_min, scale_max (float), first_year, last_year (Int64, NA = still asked), …
    item_crosswalk: year (int), source_column, item_id
    answer_labels: label, language, answer_code (float, NaN for don't-know), is_dont_know (bool), scale_min,
        scale_max (float: the scale of items.csv the label is written for; NaN for a don't-know label, which belongs
        to every scale)
    """

    companies: pd.DataFrame
    items: pd.DataFrame
    item_crosswalk: pd.DataFrame
    answer_labels: pd.DataFrame

    @classmethod
    def from_seeds(cls, seeds_dir: str | Path) -> Reference:
        seeds_dir = Path(seeds_dir)
        companies = _read_seed(seeds_dir, "companies.csv")
        items = _read_seed(seeds_dir, "items.csv")
        items["scale_min"] = pd.to_numeric(items["scale_min"]).astype(float)
        items["scale_max"] = pd.to_numeric(items["scale_max"]).astype(float)
        items["first_year"] = _as_int(items["first_year"])
        items["last_year"] = _as_int(items["last_year"])
        if "reverse_coded" in items:
            items["reverse_coded"] = _as_bool(items["reverse_coded"])
        crosswalk = _read_seed(seeds_dir, "item_crosswalk.csv")
        crosswalk["year"] = _as_int(crosswalk["year"])
        labels = _read_seed(seeds_dir, "answer_labels.csv")
        labels["answer_code"] = pd.to_numeric(labels["answer_code"].replace("", None)).astype(float)
        labels["is_dont_know"] = _as_bool(labels["is_dont_know"])
        for bound in ("scale_min", "scale_max"):
            labels[bound] = pd.to_numeric(labels[bound].replace("", None)).astype(float)
        scored = labels[~labels["is_dont_know"]]
        off_scale = scored[
            ~scored["answer_code"].between(scored["scale_min"], scored["scale_max"])  # NaN bounds are off too
        ]
        if len(off_scale):
            raise ValueError(
                f"seeds/answer_labels.csv: label {off_scale['label'].iloc[0]!r} needs scale_min and scale_max (the "
                "scale of items.csv it is written for) with its answer_code between them"
            )
        return cls(companies=companies, items=items, item_crosswalk=crosswalk, answer_labels=labels)

    # -- items ------------------------------------------------------------------------------------------------
    def items_for_year(self, year: int) -> pd.DataFrame:
        """Items asked in `year` (first_year ≤ year ≤ last_year; empty last_year = still asked)."""
        first = self.items["first_year"].fillna(year)
        last = self.items["last_year"].fillna(year)
        return self.items[(first <= year) & (last >= year)]

    def column_map(self, year: int) -> dict[str, str]:
        """Normalised export column name → item_id for `year`: every item asked that year under its own id and its
        Norwegian and English question text, plus that year's crosswalk rows (a renamed or reworded question keeps
        its item id)."""
        items = self.items_for_year(year)
        mapping: dict[str, str] = {}
        for column in ("text_nb", "text_en"):  # the question text as the header (Forms, Qualtrics' text row)
            if column in items:
                texts = items[["item_id", column]].assign(key=items[column].map(normalise_text))
                texts = texts[texts["key"].ne("") & ~texts["key"].duplicated(keep=False)]
                mapping.update(zip(texts["key"], texts["item_id"], strict=True))
        mapping.update({normalise_text(i): i for i in items["item_id"]})
        crosswalk = self.item_crosswalk[self.item_crosswalk["year"] == year]
        for source_column, item_id in zip(crosswalk["source_column"], crosswalk["item_id"], strict=True):
            mapping[normalise_text(source_column)] = item_id
        return mapping

    @functools.cached_property
    def item_scales(self) -> pd.DataFrame:
        """item_id → scale_min, scale_max (indexed by item_id)."""
        return self.items.set_index("item_id")[["scale_min", "scale_max"]]

    # -- companies --------------------------------------------------------------------------------------------
    def company_lookup(self) -> dict[str, str]:
        """Normalised company_id or company_name → company_id."""
        lookup = {
            normalise_text(n): c
            for c, n in zip(self.companies["company_id"], self.companies["company_name"], strict=True)
        }
        lookup.update({normalise_text(c): c for c in self.companies["company_id"]})
        return lookup

    def resolve_companies(self, values: pd.Series) -> pd.Series:
        """company_id for each value given as a company_id or company_name (case/whitespace-insensitive); NA where
        the value is blank or unknown."""
        return normalise_series(values).map(self.company_lookup())

    # -- answer labels ----------------------------------------------------------------------------------------
    # Every item column of every export asks for its scale's labels: worked out once per scale (read-only results).
    @functools.cached_property
    def _labels_by_scale(self) -> dict[tuple[float, float], tuple[dict[str, Label], set[str]]]:
        return {}

    def _scale_labels(self, scale_min: float, scale_max: float) -> tuple[dict[str, Label], set[str]]:
        scale = (float(scale_min), float(scale_max))
        if scale not in self._labels_by_scale:
            labels = self.answer_labels
            on_scale = labels["is_dont_know"] | (labels["scale_min"].eq(scale[0]) & labels["scale_max"].eq(scale[1]))
            own = labels[on_scale]
            lookup = {
                normalise_text(label): Label(None if dk else float(code), bool(dk))
                for label, code, dk in zip(own["label"], own["answer_code"], own["is_dont_know"], strict=True)
            }
            others = {normalise_text(label) for label in labels.loc[~on_scale, "label"]} - lookup.keys()
            self._labels_by_scale[scale] = (lookup, others)
        return self._labels_by_scale[scale]

    def label_lookup(self, scale_min: float, scale_max: float) -> dict[str, Label]:
        """Normalised label (any language) → Label(answer_code, is_dont_know), for an item on the scale scale_min to
        scale_max: the labels written for that scale, and the don't-know labels (which belong to every scale)."""
        return self._scale_labels(scale_min, scale_max)[0]

    def labels_of_other_scales(self, scale_min: float, scale_max: float) -> set[str]:
        """Normalised labels written for other scales only (an error on an item of this scale, not a code)."""
        return self._scale_labels(scale_min, scale_max)[1]
