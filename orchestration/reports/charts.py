"""The reports' charts: Vega-Lite specifications built with altair from data frames, rendered to inline SVG.

Every chart is rendered by vl-convert (no browser, no network): the SVG goes into the HTML as it is, so a report
needs no script and no chart library when it is opened.
"""

from __future__ import annotations

import re

import altair as alt
import pandas as pd
import vl_convert
from markupsafe import Markup

FONT = "Liberation Sans, Arial, Helvetica, sans-serif"
INK = "#1d2b3a"
MUTED = "#6b7785"
GRID = "#e3e7ec"
ACCENT = "#1f5fa8"
# favourable, neutral, unfavourable, don't know: blue and orange rather than green and red (colour-blind readers)
SHARE_COLOURS = ["#2f6fb3", "#c9d3dd", "#e0812d", "#f1f1f1"]
SERIES_COLOURS = [ACCENT, "#e0812d", "#5a9e6f", "#8c6bb1", "#c4515c", "#7f7f7f", "#b59b2a"]


def _configured(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    return (
        chart.configure(font=FONT, background="white")
        .configure_view(stroke=None)
        .configure_axis(
            labelColor=INK,
            titleColor=MUTED,
            gridColor=GRID,
            domainColor="#b8c1cb",
            tickColor="#b8c1cb",
            labelFontSize=11,
            titleFontSize=11,
            titleFontWeight="normal",
        )
        .configure_legend(labelColor=INK, titleColor=MUTED, labelFontSize=11, titleFontSize=11, orient="top")
    )


# d3-format locales: Norwegian numbers with a decimal comma and a real minus, as in the text around the charts
FORMAT_LOCALES = {
    "nb": {"decimal": ",", "thousands": "\u00a0", "grouping": [3], "currency": ["", "\u00a0kr"], "minus": "\u2212"},
    "en": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["£", ""], "minus": "\u2212"},
}


def to_svg(chart: alt.TopLevelMixin, language: str) -> Markup:
    """The chart as an SVG element to inline (the XML declaration dropped, scaled with the page); no data may come
    from a URL."""
    # Not validated against Vega-Lite's JSON schema (5 s of a release's 74 charts): the specs are this module's fixed
    # code, and vl-convert's compiler still refuses a malformed one.
    svg = vl_convert.vegalite_to_svg(
        _configured(chart).to_json(validate=False), format_locale=FORMAT_LOCALES[language], allowed_base_urls=[]
    )
    svg = re.sub(r"^<\?xml[^>]*>\s*", "", svg)
    return Markup(svg.replace("<svg ", '<svg role="img" class="chart" ', 1))


def profile_chart(
    points: pd.DataFrame,
    intervals: pd.DataFrame,
    *,
    domain: tuple[float, float],
    axis_title: str,
    series_title: str,
    width: int = 520,
) -> alt.TopLevelMixin:
    """Dots per measure (rows) and series (colour), with 95% intervals where the data has them.

    ``points``: measure, order, series, series_order, value. ``intervals``: measure, series, low, high.
    """
    series = list(dict.fromkeys(points.sort_values("series_order")["series"]))
    colour = alt.Color(
        "series:N", title=series_title, scale=alt.Scale(domain=series, range=SERIES_COLOURS[: len(series)])
    )
    order = list(dict.fromkeys(points.sort_values("order")["measure"]))
    y = alt.Y("measure:N", sort=order, title=None, axis=alt.Axis(labelLimit=220, ticks=False, domain=False))
    x_scale = alt.Scale(domain=list(domain), nice=False, clamp=True)
    rules = (
        alt.Chart(intervals)
        .mark_rule(strokeWidth=2.5, opacity=0.45)
        .encode(x=alt.X("low:Q", scale=x_scale, title=axis_title), x2="high:Q", y=y, color=colour)
    )
    dots = (
        alt.Chart(points)
        .mark_point(filled=True, size=70, opacity=1)
        .encode(
            x=alt.X("value:Q", scale=x_scale, title=axis_title),
            y=y,
            color=colour,
            shape=alt.Shape("series:N", title=series_title, scale=alt.Scale(domain=series)),
        )
    )
    height = alt.Step(26)
    return alt.layer(rules, dots).properties(width=width, height=height)


def share_bars_chart(items: pd.DataFrame, labels: list[str], *, title: str, width: int = 300) -> alt.TopLevelMixin:
    """Stacked bars per item: favourable / neutral / unfavourable / don't know, as shares of all answers.

    ``items``: label, order, category, category_order, share (the four shares of one item sum to 100).
    """
    order = list(dict.fromkeys(items.sort_values("order")["label"]))
    return (
        alt.Chart(items)
        .mark_bar(height={"band": 0.72})
        .encode(
            y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=330, ticks=False, domain=False)),
            x=alt.X("share:Q", stack="zero", title=title, scale=alt.Scale(domain=[0, 100], nice=False)),
            color=alt.Color("category:N", title=None, sort=labels, scale=alt.Scale(domain=labels, range=SHARE_COLOURS)),
            order=alt.Order("category_order:Q"),
        )
        .properties(width=width, height=alt.Step(19))
    )


def gap_bars_chart(gaps: pd.DataFrame, order: list[str], *, title: str, width: int = 150) -> alt.TopLevelMixin:
    """Diverging bars of a gap in points per item, solid where significant. ``gaps``: label, gap, significant."""
    bound = max(10.0, float(gaps["gap"].abs().max()) if gaps["gap"].notna().any() else 10.0)
    return (
        alt.Chart(gaps)
        .mark_bar(height={"band": 0.72})
        .encode(
            y=alt.Y("label:N", sort=order, title=None, axis=None),
            x=alt.X("gap:Q", title=title, scale=alt.Scale(domain=[-bound, bound], nice=False)),
            color=alt.condition(alt.datum.gap >= 0, alt.value(SHARE_COLOURS[0]), alt.value(SHARE_COLOURS[2])),
            opacity=alt.Opacity("significant:N", legend=None, scale=alt.Scale(domain=[True, False], range=[1, 0.35])),
        )
        .properties(width=width, height=alt.Step(19))
    )


def items_chart(
    shares: pd.DataFrame, gaps: pd.DataFrame, labels: list[str], *, share_title: str, gap_title: str
) -> alt.TopLevelMixin:
    order = list(dict.fromkeys(shares.sort_values("order")["label"]))
    return alt.hconcat(
        share_bars_chart(shares, labels, title=share_title), gap_bars_chart(gaps, order, title=gap_title), spacing=8
    )


def trend_chart(
    trend: pd.DataFrame, *, y_title: str, series_title: str, domain: tuple[float, float] | None = None, width: int = 520
) -> alt.TopLevelMixin:
    """Lines per series over the years; a significant change from the year before drawn as a large ring.

    ``trend``: year, series, series_order, value, significant (bool).
    """
    series = list(dict.fromkeys(trend.sort_values("series_order")["series"]))
    colour = alt.Color(
        "series:N", title=series_title, scale=alt.Scale(domain=series, range=SERIES_COLOURS[: len(series)])
    )
    y_scale = alt.Scale(domain=list(domain), nice=False) if domain else alt.Scale(zero=False, padding=12)
    x = alt.X("year:O", title=None, axis=alt.Axis(labelAngle=0))
    base = alt.Chart(trend).encode(x=x, y=alt.Y("value:Q", title=y_title, scale=y_scale), color=colour)
    lines = base.mark_line(strokeWidth=2.5, point=alt.OverlayMarkDef(filled=True, size=45))
    marked = base.transform_filter(alt.datum.significant).mark_point(size=260, strokeWidth=2, filled=False)
    labels = base.mark_text(dy=-12, fontSize=11).encode(text=alt.Text("value:Q", format=".1f"))
    return alt.layer(lines, marked, labels).properties(width=width, height=190)


def drivers_chart(drivers: pd.DataFrame, *, x_title: str, y_title: str, width: int = 520) -> alt.TopLevelMixin:
    """Impact against score: correlation with the index (y) against the item's index (x), medians as guides.

    ``drivers``: item_id, item_index, correlation, priority (bool: above-median impact, below-median score).
    """
    x_median = float(drivers["item_index"].median())
    y_median = float(drivers["correlation"].median())
    x_scale = alt.Scale(zero=False, padding=18)
    y_scale = alt.Scale(zero=False, padding=18)
    base = alt.Chart(drivers).encode(
        x=alt.X("item_index:Q", title=x_title, scale=x_scale),
        y=alt.Y("correlation:Q", title=y_title, scale=y_scale),
    )
    colour = alt.condition(alt.datum.priority, alt.value(SHARE_COLOURS[2]), alt.value(ACCENT))
    dots = base.mark_circle(size=80, opacity=0.9).encode(color=colour)
    text = base.mark_text(dx=7, align="left", fontSize=10, color=INK).encode(text="item_id:N")
    guides = pd.DataFrame({"x": [x_median], "y": [y_median]})
    vertical = alt.Chart(guides).mark_rule(strokeDash=[4, 4], color=MUTED).encode(x="x:Q")
    horizontal = alt.Chart(guides).mark_rule(strokeDash=[4, 4], color=MUTED).encode(y="y:Q")
    return alt.layer(vertical, horizontal, dots, text).properties(width=width, height=300)


def distribution_chart(
    answers: pd.DataFrame, codes: list[str], colours: list[str], *, title: str, width: int = 340
) -> alt.TopLevelMixin:
    """Stacked bars of every answer option per item. ``answers``: label, order, answer, answer_order, pct."""
    order = list(dict.fromkeys(answers.sort_values("order")["label"]))
    return (
        alt.Chart(answers)
        .mark_bar(height={"band": 0.72})
        .encode(
            y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=330, ticks=False, domain=False)),
            x=alt.X("pct:Q", stack="zero", title=title, scale=alt.Scale(domain=[0, 100], nice=False)),
            color=alt.Color("answer:N", title=None, sort=codes, scale=alt.Scale(domain=codes, range=colours)),
            order=alt.Order("answer_order:Q"),
        )
        .properties(width=width, height=alt.Step(19))
    )
