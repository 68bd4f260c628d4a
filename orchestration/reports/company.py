"""The company report: one participant's package (and its packages of earlier years) → the template's content."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from orchestration.reports import charts
from orchestration.reports.common import (
    BREAKDOWNS,
    Report,
    Thresholds,
    one_row,
    reason_text,
    show,
    subgroup_sort_key,
    withheld_label,
)
from orchestration.reports.figures import is_missing
from orchestration.reports.package import Package, PackageError
from orchestration.reports.texts import Language

SCOPES = ("industry", "national")
HEATMAP_SPAN = 15.0  # index points from the company's own figure at which a heatmap cell takes its full colour
PRIORITY_COUNT = 3


@dataclass(frozen=True)
class CompanyData:
    """One company's rows of its package."""

    package: Package
    company_id: str
    # each table's rows of the company, selected once: the same frame each time, so one_row's index is reused
    _rows: dict[str, pd.DataFrame] = field(default_factory=dict, init=False, repr=False, compare=False)

    def rows(self, table: str) -> pd.DataFrame:
        if table not in self._rows:
            frame = self.package[table]
            self._rows[table] = frame[frame["company_id"] == self.company_id]
        return self._rows[table]

    def score(self, measure_type: str, measure_id: str) -> pd.Series | None:
        return one_row(self.rows("company_scores"), measure_type=measure_type, measure_id=measure_id)

    def comparison(self, scope: str, measure_type: str, measure_id: str) -> pd.Series | None:
        return one_row(
            self.rows("company_vs_benchmark"), benchmark_scope=scope, measure_type=measure_type, measure_id=measure_id
        )


def _score_key(data: CompanyData, measure_type: str, measure_id: str) -> dict[str, Any]:
    return {
        "year": data.package.year,
        "company_id": data.company_id,
        "measure_type": measure_type,
        "measure_id": measure_id,
    }


def _comparison_key(data: CompanyData, scope: str, measure_type: str, measure_id: str) -> dict[str, Any]:
    return {**_score_key(data, measure_type, measure_id), "benchmark_scope": scope}


class CompanyReport(Report):
    def __init__(
        self, data: CompanyData, history: list[CompanyData], lang: Language, thresholds: Thresholds, release_id: str
    ) -> None:
        super().__init__(data.package, lang, thresholds, release_id)
        self.data = data
        self.history = history

    # ---- building blocks ------------------------------------------------------------------------------------
    def _company_figure(self, measure_type: str, measure_id: str, field: str, **options: Any):
        row = self.data.score(measure_type, measure_id)
        return show(
            self.figures,
            self.thresholds,
            "company_scores",
            _score_key(self.data, measure_type, measure_id),
            row,
            field,
            **options,
        )

    def _comparison(self, scope: str, measure_type: str, measure_id: str) -> dict[str, Any]:
        key = _comparison_key(self.data, scope, measure_type, measure_id)
        row = self.data.comparison(scope, measure_type, measure_id)
        f = self.figures
        if row is None or bool(row["suppressed"]):
            reason = None if row is None else row["suppression_reason"]
            # a cell says "fewer than 5" or "not published"; why is said once per section (withheld_notes)
            text = withheld_label(self.lang, reason, self.thresholds) if reason == "min_respondents" else None
            return {
                "published": False,
                "scope": scope,
                "reason": reason,
                "withheld": f.withheld("company_vs_benchmark", key, reason, text or self.t("not_published")),
            }
        return {
            "published": True,
            "scope": scope,
            "benchmark": f.value("company_vs_benchmark", key, "benchmark_index", row["benchmark_index"]),
            "gap": f.value(
                "company_vs_benchmark", key, "gap", row["gap"], signed=True, css="neg" if row["gap"] < 0 else "pos"
            ),
            "flag": f.flag("company_vs_benchmark", key, "gap_significant", row["gap_significant"]),
            "percentile": f.value("company_vs_benchmark", key, "percentile_rank", row["percentile_rank"], decimals=0),
            "row": row,
        }

    def _withheld_notes(self, comparisons: list[dict[str, Any]]) -> list[str]:
        """One line per benchmark and reason withheld among ``comparisons``: "Industry without you: not published
        (fewer than 3 companies)"."""
        seen = dict.fromkeys((c["scope"], c["reason"]) for c in comparisons if not c["published"])
        return [
            f"{self.t(f'vs_{scope}')}: {self.t('not_published')} ({reason_text(self.lang, reason, self.thresholds)})"
            for scope, reason in ((s, "min_companies_other" if r == "min_companies" else r) for s, r in seen)
        ]

    # ---- sections --------------------------------------------------------------------------------------------
    def header(self) -> dict[str, Any]:
        company = one_row(self.data.rows("companies"), company_id=self.data.company_id)
        if company is None:
            raise PackageError(f"{self.data.package.path}: published.companies has no row for {self.data.company_id}")
        industries = self.data.package["industries"].set_index("industry_id")
        industry = company["industry_id"]
        industry_name = (
            industries.at[industry, f"industry_name_{self.lang.code}"] if industry in industries.index else industry
        )
        return {"company_name": company["company_name"], "industry_name": industry_name}

    def key_figures(self) -> list[dict[str, Any]]:
        cards = []
        for measure_type, measure_id, label, scale in (
            ("index", "overall", "overall_index", "index_scale_note"),
            ("enps", "enps", "enps", "enps_scale_note"),
        ):
            row = self.data.score(measure_type, measure_id)
            published = row is not None and not bool(row["suppressed"])
            cards.append(
                {
                    "measure": measure_id,
                    "label": self.t(label),
                    "scale": self.t(scale),
                    "published": published,
                    "value": self._company_figure(measure_type, measure_id, "index_0_100"),
                    "ci_low": self._company_figure(measure_type, measure_id, "ci_low") if published else None,
                    "ci_high": self._company_figure(measure_type, measure_id, "ci_high") if published else None,
                    "n": self._company_figure(measure_type, measure_id, "n_respondents", decimals=0)
                    if published
                    else None,
                    "comparisons": [
                        {"label": self.t(f"vs_{scope}"), **self._comparison(scope, measure_type, measure_id)}
                        for scope in SCOPES
                    ],
                }
            )
        return cards

    def key_figure_notes(self, cards: list[dict[str, Any]]) -> list[str]:
        return self._withheld_notes([c for card in cards for c in card["comparisons"]])

    def response(self) -> dict[str, Any]:
        row = one_row(self.data.rows("response_rates"), company_id=self.data.company_id)
        key = {"year": self.data.package.year, "company_id": self.data.company_id}
        if row is None or bool(row.get("suppressed", False)):
            # fewer respondents than min_respondents: neither the count nor the rate is published
            return {"published": False}
        f = self.figures
        return {
            "published": True,
            "rate": f.value("response_rates", key, "response_rate", row["response_rate"], decimals=0, percent=True),
            "n": f.count("response_rates", key, "n_respondents", row["n_respondents"]),
            "invited": None
            if is_missing(row["invited"])
            else f.count("response_rates", key, "invited", row["invited"]),
        }

    def themes(self) -> dict[str, Any]:
        measures = [("index", "overall", self.t("overall_index"))] + [
            ("theme", r.theme_id, r.name) for r in self.questionnaire.themes.itertuples()
        ]
        rows, points, intervals = [], [], []
        series = [self.t("your_company"), self.t("vs_industry"), self.t("vs_national")]
        for order, (measure_type, measure_id, name) in enumerate(measures):
            score = self.data.score(measure_type, measure_id)
            comparisons = {scope: self._comparison(scope, measure_type, measure_id) for scope in SCOPES}
            rows.append(
                {
                    "name": name,
                    "is_index": measure_type == "index",
                    "value": self._company_figure(measure_type, measure_id, "index_0_100"),
                    "ci_low": self._company_figure(measure_type, measure_id, "ci_low"),
                    "ci_high": self._company_figure(measure_type, measure_id, "ci_high"),
                    "published": score is not None and not bool(score["suppressed"]),
                    "comparisons": [comparisons[s] for s in SCOPES],
                }
            )
            if score is not None and not bool(score["suppressed"]):
                points.append(
                    {
                        "measure": name,
                        "order": order,
                        "series": series[0],
                        "series_order": 0,
                        "value": score["index_0_100"],
                    }
                )
                intervals.append(
                    {"measure": name, "series": series[0], "low": score["ci_low"], "high": score["ci_high"]}
                )
            for i, scope in enumerate(SCOPES, start=1):
                if comparisons[scope]["published"]:
                    points.append(
                        {
                            "measure": name,
                            "order": order,
                            "series": series[i],
                            "series_order": i,
                            "value": comparisons[scope]["row"]["benchmark_index"],
                        }
                    )
        chart = None
        if points:
            chart = charts.to_svg(
                charts.profile_chart(
                    pd.DataFrame(points),
                    pd.DataFrame(intervals, columns=["measure", "series", "low", "high"]),
                    domain=(0, 100),
                    axis_title=self.t("index"),
                    series_title="",
                ),
                self.lang.code,
            )
        notes = self._withheld_notes([c for row in rows for c in row["comparisons"]])
        return {"rows": rows, "chart": chart, "notes": notes}

    def items(self) -> dict[str, Any]:
        f = self.figures
        categories = [self.t("favorable"), self.t("neutral"), self.t("unfavorable"), self.t("dont_know")]
        groups, shares, gaps = [], [], []
        for theme_id, items in self.questionnaire.item_groups():
            rows = []
            for item in items.itertuples():
                key = _score_key(self.data, "item", item.item_id)
                row = self.data.score("item", item.item_id)
                label = f"{item.item_id} {item.text}"
                entry: dict[str, Any] = {"item_id": item.item_id, "text": item.text, "withheld": None}
                if row is None or bool(row["suppressed"]):
                    reason = None if row is None else row["suppression_reason"]
                    entry["withheld"] = f.withheld(
                        "company_scores", key, reason, withheld_label(self.lang, reason, self.thresholds)
                    )
                    rows.append(entry)
                    continue
                entry.update(
                    favorable=f.value("company_scores", key, "favorable_pct", row["favorable_pct"], decimals=0),
                    neutral=f.value("company_scores", key, "neutral_pct", row["neutral_pct"], decimals=0),
                    unfavorable=f.value("company_scores", key, "unfavorable_pct", row["unfavorable_pct"], decimals=0),
                    dont_know=f.value("company_scores", key, "dont_know_pct", row["dont_know_pct"], decimals=0),
                    mean=f.value("company_scores", key, "mean_score", row["mean_score"]),
                    comparisons=[self._comparison(scope, "item", item.item_id) for scope in SCOPES],
                )
                rows.append(entry)
                answered = 1 - float(row["dont_know_pct"]) / 100
                for i, (category, value) in enumerate(
                    zip(
                        categories,
                        [
                            row["favorable_pct"] * answered,
                            row["neutral_pct"] * answered,
                            row["unfavorable_pct"] * answered,
                            row["dont_know_pct"],
                        ],
                        strict=True,
                    )
                ):
                    shares.append(
                        {
                            "label": label,
                            "order": item.sort_order,
                            "category": category,
                            "category_order": i,
                            "share": float(value),
                        }
                    )
                national = self.data.comparison("national", "item", item.item_id)
                if national is not None and not bool(national["suppressed"]):
                    gaps.append(
                        {
                            "label": label,
                            "gap": float(national["gap"]),
                            "significant": not is_missing(national["gap_significant"])
                            and bool(national["gap_significant"]),
                        }
                    )
            name = self.questionnaire.theme_name(theme_id) if theme_id is not None else self.t("other_items")
            groups.append({"name": name, "rows": rows})
        chart = None
        if shares:
            chart = charts.to_svg(
                charts.items_chart(
                    pd.DataFrame(shares),
                    pd.DataFrame(gaps, columns=["label", "gap", "significant"]),
                    categories,
                    share_title=self.t("share_of_answers"),
                    gap_title=self.t("gap_to_everyone"),
                ),
                self.lang.code,
            )
        notes = self._withheld_notes(
            [c for g in groups for r in g["rows"] if not r["withheld"] for c in r["comparisons"]]
        )
        return {"groups": groups, "chart": chart, "notes": notes}

    def trend(self) -> dict[str, Any]:
        f = self.figures
        rows, points = [], []
        you, everyone = self.t("your_company"), self.t("vs_national")
        for data in [*self.history, self.data]:
            year = data.package.year
            index = data.score("index", "overall")
            enps = data.score("enps", "enps")
            national = data.comparison("national", "index", "overall")
            enps_national = data.comparison("national", "enps", "enps")
            if index is None and enps is None:
                continue

            def cell(table, row, key, field, **options):
                return show(f, self.thresholds, table, key, row, field, **options)

            def change(row, key):
                if row is None or bool(row["suppressed"]) or is_missing(row["yoy_change"]):
                    return None
                return {
                    "value": f.value("company_vs_benchmark", key, "yoy_change", row["yoy_change"], signed=True),
                    "flag": f.flag("company_vs_benchmark", key, "yoy_significant", row["yoy_significant"]),
                }

            index_key = _score_key(data, "index", "overall")
            enps_key = _score_key(data, "enps", "enps")
            national_key = _comparison_key(data, "national", "index", "overall")
            enps_national_key = _comparison_key(data, "national", "enps", "enps")
            rows.append(
                {
                    "year": year,
                    "index": cell("company_scores", index, index_key, "index_0_100"),
                    "index_change": change(national, national_key),
                    "national": cell("company_vs_benchmark", national, national_key, "benchmark_index"),
                    "enps": cell("company_scores", enps, enps_key, "index_0_100"),
                    "enps_change": change(enps_national, enps_national_key),
                }
            )
            if index is not None and not bool(index["suppressed"]):
                significant = (
                    national is not None
                    and not bool(national["suppressed"])
                    and bool(national["yoy_significant"] if not is_missing(national["yoy_significant"]) else False)
                )
                points.append(
                    {
                        "year": year,
                        "series": you,
                        "series_order": 0,
                        "value": float(index["index_0_100"]),
                        "significant": significant,
                    }
                )
            if national is not None and not bool(national["suppressed"]):
                points.append(
                    {
                        "year": year,
                        "series": everyone,
                        "series_order": 1,
                        "value": float(national["benchmark_index"]),
                        "significant": False,
                    }
                )
        chart = None
        if len({p["year"] for p in points}) > 1:
            chart = charts.to_svg(
                charts.trend_chart(pd.DataFrame(points), y_title=self.t("overall_index"), series_title=""),
                self.lang.code,
            )
        return {"rows": rows, "chart": chart, "single_year": len(rows) <= 1}

    def heatmap(self) -> dict[str, Any]:
        f = self.figures
        subgroups = self.data.rows("subgroup_scores")
        measures = [("index", "overall", self.t("overall_index"))] + [
            ("theme", r.theme_id, r.name) for r in self.questionnaire.themes.itertuples()
        ]
        own = {}
        for measure_type, measure_id, _ in measures:
            row = self.data.score(measure_type, measure_id)
            own[measure_id] = None if row is None or bool(row["suppressed"]) else float(row["index_0_100"])
        groups = []
        for breakdown in BREAKDOWNS:
            frame = subgroups[
                (subgroups["breakdown"] == breakdown) & subgroups["measure_type"].isin(["index", "theme"])
            ]
            if frame.empty:
                continue
            rows = []
            for subgroup in sorted(frame["subgroup"].unique(), key=subgroup_sort_key):
                cells = []
                for measure_type, measure_id, _ in measures:
                    key = {
                        "year": self.data.package.year,
                        "company_id": self.data.company_id,
                        "breakdown": breakdown,
                        "subgroup": subgroup,
                        "measure_type": measure_type,
                        "measure_id": measure_id,
                    }
                    row = one_row(frame, subgroup=subgroup, measure_type=measure_type, measure_id=measure_id)
                    if row is None or bool(row["suppressed"]):
                        reason = None if row is None else row["suppression_reason"]
                        cells.append(
                            {
                                "html": f.withheld(
                                    "subgroup_scores", key, reason, withheld_label(self.lang, reason, self.thresholds)
                                ),
                                "style": "",
                                "suppressed": True,
                            }
                        )
                        continue
                    value = float(row["index_0_100"])
                    cells.append(
                        {
                            "html": f.value("subgroup_scores", key, "index_0_100", value, decimals=0),
                            "style": _heat_style(value - own[measure_id] if own[measure_id] is not None else None),
                            "suppressed": False,
                        }
                    )
                index_row = one_row(frame, subgroup=subgroup, measure_type="index", measure_id="overall")
                n = None
                if index_row is not None and not bool(index_row["suppressed"]):
                    key = {
                        "year": self.data.package.year,
                        "company_id": self.data.company_id,
                        "breakdown": breakdown,
                        "subgroup": subgroup,
                        "measure_type": "index",
                        "measure_id": "overall",
                    }
                    n = f.count("subgroup_scores", key, "n_respondents", index_row["n_respondents"])
                rows.append({"subgroup": subgroup, "n": n, "cells": cells})
            groups.append({"name": self.t(f"breakdown_{breakdown}"), "rows": rows})
        return {
            "columns": [name for _, _, name in measures],
            "groups": groups,
            "own": [self._company_figure(mt, mi, "index_0_100", decimals=0) for mt, mi, _ in measures],
        }

    def drivers(self) -> dict[str, Any]:
        f = self.figures
        drivers = self.data.package["key_drivers"]
        drivers = drivers[~drivers["suppressed"].astype(bool) & drivers["correlation_with_index"].notna()]
        own = drivers[(drivers["scope"] == "company") & (drivers["scope_id"] == self.data.company_id)]
        fallback = own.empty
        chosen = drivers[drivers["scope"] == "national"] if fallback else own
        if chosen.empty:
            return {"chart": None, "priorities": [], "fallback": fallback}
        chosen = chosen.assign(
            correlation=chosen["correlation_with_index"].astype(float), item_index=chosen["item_index"].astype(float)
        )
        priority = (chosen["correlation"] >= chosen["correlation"].median()) & (
            chosen["item_index"] <= chosen["item_index"].median()
        )
        chosen = chosen.assign(priority=priority)
        chart = charts.to_svg(
            charts.drivers_chart(
                chosen[["item_id", "item_index", "correlation", "priority"]],
                x_title=self.t("score"),
                y_title=self.t("correlation"),
            ),
            self.lang.code,
        )
        texts = self.questionnaire.items.set_index("item_id")["text"]
        priorities = []
        for row in chosen[chosen["priority"]].sort_values("rank").head(PRIORITY_COUNT).itertuples():
            key = {"year": self.data.package.year, "scope": row.scope, "scope_id": row.scope_id, "item_id": row.item_id}
            priorities.append(
                {
                    "item_id": row.item_id,
                    "text": texts.get(row.item_id, row.item_id),
                    "correlation": f.value("key_drivers", key, "correlation_with_index", row.correlation, decimals=2),
                    "item_index": f.value("key_drivers", key, "item_index", row.item_index),
                    "rank": f.count("key_drivers", key, "rank", row.rank),
                }
            )
        return {"chart": chart, "priorities": priorities, "fallback": fallback}

    def context(self) -> dict[str, Any]:
        return {
            "kind": "company",
            "year": self.data.package.year,
            "header": self.header(),
            "key_figures": (cards := self.key_figures()),
            "key_figure_notes": self.key_figure_notes(cards),
            "response": self.response(),
            "themes": self.themes(),
            "items": self.items(),
            "trend": self.trend(),
            "heatmap": self.heatmap(),
            "drivers": self.drivers(),
            "privacy_text": self.t("privacy_text", **self.thresholds.as_text_values()),
            "withheld_note": self.t("withheld_note", n=self.thresholds.min_respondents),
            "release_id": self.release_id,
        }


def _heat_style(deviation: float | None) -> str:
    """Background of a heatmap cell: blue above the company's own figure, red below, white at it."""
    if deviation is None:
        return ""
    strength = min(abs(deviation) / HEATMAP_SPAN, 1.0) * 0.55
    rgb = (47, 111, 179) if deviation >= 0 else (196, 81, 92)
    return f"background: rgba({rgb[0]}, {rgb[1]}, {rgb[2]}, {strength:.2f})"
