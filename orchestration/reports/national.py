"""The national report: the public package (and the public packages of earlier years) → the template's content."""

from __future__ import annotations

from typing import Any

import pandas as pd

from orchestration.reports import charts
from orchestration.reports.common import Report, Thresholds, one_row, reason_text, show
from orchestration.reports.package import Package
from orchestration.reports.texts import Language

# Answer options of the 1-6 scale from "to a very small extent" to "to a very large extent", and don't know.
LIKERT_COLOURS = ["#b4532a", "#e0812d", "#f3c79b", "#b9cfe6", "#6f9fd0", "#2f5f99"]
DONT_KNOW_COLOUR = "#e4e4e4"


def _benchmark_key(year: int, scope: str, benchmark_id: str, measure_type: str, measure_id: str) -> dict[str, Any]:
    return {
        "year": year,
        "benchmark_scope": scope,
        "benchmark_id": benchmark_id,
        "measure_type": measure_type,
        "measure_id": measure_id,
    }


class NationalReport(Report):
    def __init__(
        self, package: Package, history: list[Package], lang: Language, thresholds: Thresholds, release_id: str
    ) -> None:
        super().__init__(package, lang, thresholds, release_id)
        self.package = package
        self.history = history
        self.year = package.year

    def _benchmark(
        self,
        package: Package,
        scope: str,
        benchmark_id: str,
        measure_type: str,
        measure_id: str,
        field: str = "index_0_100",
        **options: Any,
    ):
        row = one_row(
            package["benchmarks"],
            benchmark_scope=scope,
            benchmark_id=benchmark_id,
            measure_type=measure_type,
            measure_id=measure_id,
        )
        key = _benchmark_key(package.year, scope, benchmark_id, measure_type, measure_id)
        return show(self.figures, self.thresholds, "benchmarks", key, row, field, **options), row

    def _headline(self, measure_type: str, measure_id: str, field: str, **options: Any):
        row = one_row(self.package["national_headlines"], measure_type=measure_type, measure_id=measure_id)
        key = {"year": self.year, "measure_type": measure_type, "measure_id": measure_id}
        return show(self.figures, self.thresholds, "national_headlines", key, row, field, **options)

    def headlines(self) -> dict[str, Any]:
        cards = [
            {
                "label": self.t(label),
                "scale": self.t(scale),
                "value": self._headline(measure_type, measure_id, "index_0_100"),
                "n": self._headline(measure_type, measure_id, "n_respondents", decimals=0),
                "companies": self._headline(measure_type, measure_id, "n_companies", decimals=0),
            }
            for measure_type, measure_id, label, scale in (
                ("index", "overall", "overall_index", "index_scale_note"),
                ("enps", "enps", "enps", "enps_scale_note"),
            )
        ]
        items = []
        for item in self.questionnaire.items.itertuples():
            items.append(
                {
                    "item_id": item.item_id,
                    "text": item.text,
                    "theme": self.questionnaire.theme_name(item.theme_id) if isinstance(item.theme_id, str) else "",
                    "scale": f"{item.scale_min}–{item.scale_max}",
                    "mean": self._headline("item", item.item_id, "mean_score"),
                    "index": self._headline("item", item.item_id, "index_0_100"),
                    "n": self._headline("item", item.item_id, "n_respondents", decimals=0),
                }
            )
        return {"cards": cards, "questions": items}

    def themes_and_industries(self) -> dict[str, Any]:
        industries = self.package["industries"].sort_values("industry_id")
        names = dict(zip(industries["industry_id"], industries[f"industry_name_{self.lang.code}"], strict=True))
        measures = [("index", "overall", self.t("overall_index")), ("enps", "enps", self.t("enps"))] + [
            ("theme", r.theme_id, r.name) for r in self.questionnaire.themes.itertuples()
        ]
        scopes = [("national", "all", self.t("national"))] + [("industry", i, n) for i, n in names.items()]
        table = []
        points = []
        for order, (measure_type, measure_id, measure_name) in enumerate(measures):
            cells = []
            for series_order, (scope, benchmark_id, scope_name) in enumerate(scopes):
                html, row = self._benchmark(self.package, scope, benchmark_id, measure_type, measure_id)
                cells.append(html)
                if measure_type != "enps" and row is not None and not bool(row["suppressed"]):
                    points.append(
                        {
                            "measure": measure_name,
                            "order": order,
                            "series": scope_name,
                            "series_order": series_order,
                            "value": float(row["index_0_100"]),
                        }
                    )
            table.append({"name": measure_name, "is_index": measure_type in ("index", "enps"), "cells": cells})
        chart = charts.to_svg(
            charts.profile_chart(
                pd.DataFrame(points),
                pd.DataFrame(columns=["measure", "series", "low", "high"]),
                domain=(0, 100),
                axis_title=self.t("index"),
                series_title="",
            ),
            self.lang.code,
        )
        themes = []
        for theme in self.questionnaire.themes.itertuples():
            fields = {}
            for field in ("index_0_100", "favorable_pct", "neutral_pct", "unfavorable_pct", "dont_know_pct"):
                fields[field], _ = self._benchmark(
                    self.package,
                    "national",
                    "all",
                    "theme",
                    theme.theme_id,
                    field,
                    decimals=1 if field == "index_0_100" else 0,
                )
            themes.append({"name": theme.name, **fields})
        return {"columns": [name for _, _, name in scopes], "rows": table, "chart": chart, "themes": themes}

    def distributions(self) -> dict[str, Any]:
        answers = self.package["answer_distribution"]
        national = answers[answers["scope"] == "national"]
        dont_know = self.t("dont_know")
        charts_svg, tables = [], []
        scales = self.questionnaire.items.groupby(["scale_min", "scale_max"])
        # the scale most items share (1-6) first, the eNPS question's 0-10 after it
        for (low, high), items in sorted(scales, key=lambda group: -len(group[1])):
            codes = list(range(int(low), int(high) + 1))
            labels = [str(c) for c in codes] + [dont_know]
            colours = (LIKERT_COLOURS if len(codes) == len(LIKERT_COLOURS) else _sequential(len(codes))) + [
                DONT_KNOW_COLOUR
            ]
            chart_rows, table_rows = [], []
            for item in items.sort_values("sort_order").itertuples():
                cells = []
                for position, code in enumerate([*codes, None]):
                    if code is None:
                        row = one_row(national, item_id=item.item_id, is_dont_know=True)
                        answer_key = {"is_dont_know": True}
                    else:
                        row = one_row(national, item_id=item.item_id, is_dont_know=False, answer_code=code)
                        answer_key = {"answer_code": code}
                    key = {
                        "year": self.year,
                        "scope": "national",
                        "scope_id": "all",
                        "item_id": item.item_id,
                        **answer_key,
                    }
                    cells.append(
                        show(self.figures, self.thresholds, "answer_distribution", key, row, "pct", decimals=0)
                    )
                    if row is not None and not bool(row["suppressed"]):
                        chart_rows.append(
                            {
                                "label": f"{item.item_id} {item.text}",
                                "order": item.sort_order,
                                "answer": labels[position],
                                "answer_order": position,
                                "pct": float(row["pct"]),
                            }
                        )
                table_rows.append({"item_id": item.item_id, "cells": cells})
            if chart_rows:
                charts_svg.append(
                    charts.to_svg(
                        charts.distribution_chart(
                            pd.DataFrame(chart_rows), labels, colours, title=self.t("share_of_answers")
                        ),
                        self.lang.code,
                    )
                )
            legend = self._scale_legend(items, codes)
            tables.append({"labels": labels, "legend": legend, "rows": table_rows})
        return {"charts": charts_svg, "tables": tables}

    def _scale_legend(self, items: pd.DataFrame, codes: list[int]) -> list[str]:
        """The answer labels of a scale ("1 = To a very small extent", ...) where the package names them."""
        answers = self.package["answer_distribution"]
        rows = answers[(answers["item_id"] == items["item_id"].iloc[0]) & ~answers["is_dont_know"].astype(bool)]
        labels = rows.drop_duplicates("answer_code").set_index("answer_code")[f"answer_label_{self.lang.code}"]
        return [f"{code} = {labels[code]}" for code in codes if code in labels.index and labels[code] != str(code)]

    def trend(self) -> dict[str, Any]:
        packages = [*self.history, self.package]
        measures = [("index", "overall", self.t("overall_index")), ("enps", "enps", self.t("enps"))] + [
            ("theme", r.theme_id, r.name) for r in self.questionnaire.themes.itertuples()
        ]
        rows, points = [], []
        for order, (measure_type, measure_id, name) in enumerate(measures):
            cells = []
            for package in packages:
                html, row = self._benchmark(package, "national", "all", measure_type, measure_id)
                cells.append(html)
                if measure_type != "enps" and row is not None and not bool(row["suppressed"]):
                    points.append(
                        {
                            "year": package.year,
                            "series": name,
                            "series_order": order,
                            "value": float(row["index_0_100"]),
                            "significant": False,
                        }
                    )
            rows.append({"name": name, "cells": cells})
        chart = None
        if len(packages) > 1 and points:
            frame = pd.DataFrame(points)
            index_only = frame[frame["series_order"] == 0]
            chart = charts.to_svg(
                charts.trend_chart(index_only, y_title=self.t("overall_index"), series_title=""), self.lang.code
            )
        return {"years": [p.year for p in packages], "rows": rows, "chart": chart}

    def reliability(self) -> list[dict[str, Any]]:
        frame = self.package["theme_reliability"]
        rows = []
        for theme in self.questionnaire.themes.itertuples():
            row = one_row(frame, theme_id=theme.theme_id)
            key = {"year": self.year, "theme_id": theme.theme_id}
            rows.append(
                {
                    "name": theme.name,
                    "n_items": show(
                        self.figures, self.thresholds, "theme_reliability", key, row, "n_items", decimals=0
                    ),
                    "n_complete": show(
                        self.figures, self.thresholds, "theme_reliability", key, row, "n_complete", decimals=0
                    ),
                    "alpha": show(
                        self.figures, self.thresholds, "theme_reliability", key, row, "cronbach_alpha", decimals=2
                    ),
                }
            )
        return rows

    def suppression(self) -> list[dict[str, Any]]:
        frame = self.package["suppression_summary"].sort_values(["table_name", "suppression_reason"])
        rows = []
        for row in frame.itertuples():
            key = {"year": self.year, "table_name": row.table_name, "suppression_reason": row.suppression_reason}
            rows.append(
                {
                    "table": self.t(f"table_{row.table_name}"),
                    "reason": reason_text(self.lang, row.suppression_reason, self.thresholds),
                    "cells": self.figures.count("suppression_summary", key, "n_cells", row.n_cells),
                }
            )
        return rows

    def context(self) -> dict[str, Any]:
        return {
            "kind": "national",
            "year": self.year,
            "headlines": self.headlines(),
            "benchmarks": self.themes_and_industries(),
            "distributions": self.distributions(),
            "trend": self.trend(),
            "reliability": self.reliability(),
            "suppression": self.suppression(),
            "privacy_text": self.t("national_privacy_text", **self.thresholds.as_text_values()),
            "release_id": self.release_id,
        }


def _sequential(count: int) -> list[str]:
    """``count`` colours from orange (low) to blue (high), for scales other than 1-6 (the 0-10 question)."""
    low, high = (180, 83, 42), (47, 95, 153)
    steps = [i / (count - 1) for i in range(count)]
    return ["#" + "".join(f"{round(a + (b - a) * s):02x}" for a, b in zip(low, high, strict=True)) for s in steps]
