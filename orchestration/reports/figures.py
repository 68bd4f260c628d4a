"""A published number as it appears in a report: the formatted text, and where it came from.

Every figure carries ``data-table``, ``data-key`` (JSON of the columns that pick its row out of the package's table,
year included), ``data-field`` and ``data-value`` (the value as stored), so that a reader's tool or a test can check
each number on the page against the package. A withheld figure carries ``data-suppressed`` and no number.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pandas as pd
from markupsafe import Markup, escape

from orchestration.reports.texts import Language


def _plain(value: Any) -> Any:
    """numpy and pandas scalars as plain Python values (for JSON)."""
    if hasattr(value, "item"):
        return value.item()
    return value


def is_missing(value: Any) -> bool:
    return value is None or bool(pd.isna(value))


def _attributes(table: str, key: Mapping[str, Any], field: str) -> str:
    key_json = json.dumps({k: _plain(v) for k, v in key.items()}, sort_keys=True, ensure_ascii=False)
    return f'data-table="{escape(table)}" data-key="{escape(key_json)}" data-field="{escape(field)}"'


class Figures:
    """Formats one language's figures with their provenance."""

    def __init__(self, lang: Language) -> None:
        self.lang = lang

    def value(
        self,
        table: str,
        key: Mapping[str, Any],
        field: str,
        value: Any,
        *,
        decimals: int = 1,
        signed: bool = False,
        percent: bool = False,
        css: str = "",
    ) -> Markup:
        attrs = _attributes(table, key, field)
        if is_missing(value):
            return Markup(
                f'<span class="fig missing {css}" {attrs} data-missing="true">{self.lang.t("no_value")}</span>'
            )
        number = float(_plain(value))
        text = self.lang.percent(number, decimals) if percent else self.lang.number(number, decimals, signed=signed)
        return Markup(f'<span class="fig {css}" {attrs} data-value="{number!r}">{escape(text)}</span>')

    def count(self, table: str, key: Mapping[str, Any], field: str, value: Any) -> Markup:
        return self.value(table, key, field, value, decimals=0)

    def flag(self, table: str, key: Mapping[str, Any], field: str, value: Any) -> Markup:
        """A significance mark: ● with its meaning as a tooltip when the flag is true, nothing otherwise."""
        attrs = _attributes(table, key, field)
        if is_missing(value) or not bool(value):
            return Markup(f'<span class="flag" {attrs} data-value="false"></span>')
        title = escape(self.lang.t("significant"))
        return Markup(f'<span class="flag on" {attrs} data-value="true" title="{title}">●</span>')

    def withheld(self, table: str, key: Mapping[str, Any], reason: Any, text: str) -> Markup:
        """A suppressed cell: its reason, never a number."""
        attrs = _attributes(table, key, "suppressed")
        reason_text = "" if is_missing(reason) else str(reason)
        return Markup(
            f'<span class="fig withheld" {attrs} data-suppressed="true" '
            f'data-reason="{escape(reason_text)}">{escape(text)}</span>'
        )
