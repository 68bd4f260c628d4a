"""Source layouts as data: how one survey tool names its columns, which columns it drops, which codes it reserves.

A layout is a YAML file in `orchestration/ingest/sources/` (`canonical.yml` is the layout of contract.md); a new
survey tool is a new file, not new code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml

from .reference import normalise_text

SOURCES_DIR = Path(__file__).parent / "sources"

#: Warehouse fields of raw.respondents that come from export columns. respondent_id and company are required.
METADATA_FIELDS = (
    "respondent_id",
    "company",
    "department",
    "tenure_band",
    "age_band",
    "role",
    "submitted_at",
    "is_complete",
)
REQUIRED_FIELDS = ("respondent_id", "company")


@dataclass(frozen=True)
class SourceLayout:
    name: str
    columns: dict[str, tuple[str, ...]]
    header_rows: int = 1
    drop_columns: tuple[str, ...] = ()
    drop_patterns: tuple[str, ...] = ()
    unknown_columns: Literal["error", "drop"] = "error"
    dont_know_codes: dict[str, tuple[float, ...]] = field(default_factory=dict)
    missing_codes: tuple[float, ...] = ()

    @classmethod
    def from_dict(cls, data: dict) -> SourceLayout:
        unknown_keys = set(data) - {f.name for f in cls.__dataclass_fields__.values()}
        if unknown_keys:
            raise ValueError(f"layout {data.get('name')!r}: unknown keys {sorted(unknown_keys)}")
        columns = {k: tuple(v or ()) for k, v in (data.get("columns") or {}).items()}
        bad_fields = set(columns) - set(METADATA_FIELDS)
        if bad_fields:
            raise ValueError(f"layout {data.get('name')!r}: unknown fields {sorted(bad_fields)} in columns")
        if data.get("unknown_columns", "error") not in ("error", "drop"):
            raise ValueError(f"layout {data.get('name')!r}: unknown_columns must be 'error' or 'drop'")
        return cls(
            name=str(data["name"]),
            columns=columns,
            header_rows=int(data.get("header_rows", 1)),
            drop_columns=tuple(data.get("drop_columns") or ()),
            drop_patterns=tuple(data.get("drop_patterns") or ()),
            unknown_columns=data.get("unknown_columns", "error"),
            dont_know_codes={
                str(k): tuple(float(c) for c in v) for k, v in (data.get("dont_know_codes") or {}).items()
            },
            missing_codes=tuple(float(c) for c in data.get("missing_codes") or ()),
        )

    def field_for(self, column: str) -> str | None:
        """The metadata field an export column holds, or None."""
        key = normalise_text(column)
        for field_name, aliases in self.columns.items():
            if key in {normalise_text(a) for a in aliases}:
                return field_name
        return None

    def is_dropped(self, column: str) -> bool:
        """True for personal-data and tool-metadata columns, which are dropped at read time."""
        key = normalise_text(column)
        if key in {normalise_text(c) for c in self.drop_columns}:
            return True
        return any(re.fullmatch(p, key, flags=re.IGNORECASE) for p in self.drop_patterns)


def load_layout(layout: str | Path | SourceLayout = "canonical") -> SourceLayout:
    """A layout by name (a file `sources/<name>.yml`), by path to a YAML file, or as given."""
    if isinstance(layout, SourceLayout):
        return layout
    path = Path(layout)
    if path.suffix not in (".yml", ".yaml"):
        path = SOURCES_DIR / f"{layout}.yml"
    with path.open(encoding="utf-8") as f:
        return SourceLayout.from_dict(yaml.safe_load(f))
