"""Source layouts as data: how one survey tool names its columns, which columns it drops, which codes it reserves,
and how to recognise its files.

A layout is a YAML file in `orchestration/ingest/sources/` (`canonical.yml` is the layout of contract.md); a new
survey tool is a new file, not new code. See docs/sources.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Literal

import yaml

from .reference import normalise_text

SOURCES_DIR = Path(__file__).parent / "sources"
#: A file `<export name>.source.yml` beside an export declares its layout (and per-file overrides).
SIDECAR_SUFFIX = ".source.yml"

#: Warehouse fields of raw.respondents that come from export columns. respondent_id and company are required.
#: `progress` (a 0–100 completion percentage) is not stored: below 100 it marks the response incomplete.
METADATA_FIELDS = (
    "respondent_id",
    "company",
    "department",
    "tenure_band",
    "age_band",
    "role",
    "submitted_at",
    "is_complete",
    "progress",
)
REQUIRED_FIELDS = ("respondent_id", "company")
#: Keys a sidecar may override for one file: the survey's own codes, not the tool's layout.
OVERRIDABLE = ("dont_know_codes", "missing_codes", "date_formats", "unknown_columns")


@dataclass(frozen=True)
class SourceLayout:
    name: str
    columns: dict[str, tuple[str, ...]]
    description: str = ""
    header_rows: int = 1
    # 1-based header row whose text is an alternative name of each column (Qualtrics' question-text row).
    text_row: int | None = None
    # 1-based header row with a sub-heading per column (SurveyMonkey's answer option row); a column's name becomes
    # '<question> - <sub-heading>' (question carried right over blank cells) unless the sub-heading is one of
    # `sub_heading_plain`.
    sub_heading_row: int | None = None
    sub_heading_plain: tuple[str, ...] = ()
    # Rows above the header (a report title): the header is the first of the first 10 rows that names both a
    # respondent id and a company column.
    find_header: bool = False
    # Regular expressions with a group `text`: a column name matching one also maps by the captured text
    # (Google Forms' 'Question [Row]', Qualtrics' 'Question - Statement').
    question_patterns: tuple[str, ...] = ()
    # No respondent id column: the id is '<file name>#<data row>' (Google Forms). Stable only while the rows of
    # the export keep their order.
    respondent_id_from_row: bool = False
    drop_columns: tuple[str, ...] = ()
    drop_patterns: tuple[str, ...] = ()
    unknown_columns: Literal["error", "drop"] = "error"
    dont_know_codes: dict[str, tuple[float, ...]] = field(default_factory=dict)
    missing_codes: tuple[float, ...] = ()
    # strptime formats tried for submitted_at after ISO 8601 and the Norwegian day-first forms.
    date_formats: tuple[str, ...] = ()
    # How to recognise this tool's files (see `matches`): every `header_all` column name in the first header row
    # (or the first rows, with find_header), and the `file_name` regular expression if given.
    detect: dict = field(default_factory=dict)
    # Companion files of a dataset file (SurveyXact): role → file name with `{stem}` for the part of the dataset's
    # name matched by the group `stem` of detect.file_name. Roles: `labels` (variable;value;label) and
    # `structure` (variable;question text).
    companions: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict) -> SourceLayout:
        name = data.get("name")
        unknown_keys = set(data) - {f.name for f in fields(cls)}
        if unknown_keys:
            raise ValueError(f"layout {name!r}: unknown keys {sorted(unknown_keys)}")
        columns = {k: tuple(v or ()) for k, v in (data.get("columns") or {}).items()}
        bad_fields = set(columns) - set(METADATA_FIELDS)
        if bad_fields:
            raise ValueError(f"layout {name!r}: unknown fields {sorted(bad_fields)} in columns")
        if data.get("unknown_columns", "error") not in ("error", "drop"):
            raise ValueError(f"layout {name!r}: unknown_columns must be 'error' or 'drop'")
        bad_detect = set(data.get("detect") or {}) - {"header_all", "file_name"}
        if bad_detect:
            raise ValueError(f"layout {name!r}: unknown detect keys {sorted(bad_detect)}")
        for pattern in data.get("question_patterns") or ():
            if "(?P<text>" not in pattern:
                raise ValueError(f"layout {name!r}: question pattern {pattern!r} has no group (?P<text>…)")
        return cls(
            name=str(name),
            description=str(data.get("description") or ""),
            columns=columns,
            header_rows=int(data.get("header_rows", 1)),
            text_row=data.get("text_row"),
            sub_heading_row=data.get("sub_heading_row"),
            sub_heading_plain=tuple(data.get("sub_heading_plain") or ()),
            find_header=bool(data.get("find_header", False)),
            question_patterns=tuple(data.get("question_patterns") or ()),
            respondent_id_from_row=bool(data.get("respondent_id_from_row", False)),
            drop_columns=tuple(data.get("drop_columns") or ()),
            drop_patterns=tuple(data.get("drop_patterns") or ()),
            unknown_columns=data.get("unknown_columns", "error"),
            dont_know_codes=_codes_by_item(data.get("dont_know_codes")),
            missing_codes=tuple(float(c) for c in data.get("missing_codes") or ()),
            date_formats=tuple(data.get("date_formats") or ()),
            detect=dict(data.get("detect") or {}),
            companions=dict(data.get("companions") or {}),
        )

    def with_overrides(self, overrides: dict) -> SourceLayout:
        """This layout with a sidecar's per-file declarations (don't-know and missing codes, date formats)."""
        bad = set(overrides) - set(OVERRIDABLE)
        if bad:
            raise ValueError(f"keys {sorted(bad)} cannot be declared per file (allowed: {', '.join(OVERRIDABLE)})")
        changes: dict = {}
        if "dont_know_codes" in overrides:
            changes["dont_know_codes"] = {**self.dont_know_codes, **_codes_by_item(overrides["dont_know_codes"])}
        if "missing_codes" in overrides:
            changes["missing_codes"] = tuple(float(c) for c in overrides["missing_codes"] or ())
        if "date_formats" in overrides:
            changes["date_formats"] = tuple(overrides["date_formats"] or ())
        if "unknown_columns" in overrides:
            changes["unknown_columns"] = overrides["unknown_columns"]
        return replace(self, **changes)

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

    def question_texts(self, name: str) -> list[str]:
        """The texts a column name may map by: the name itself, then what each question pattern captures."""
        texts = [name]
        for pattern in self.question_patterns:
            found = re.fullmatch(pattern, name.strip(), flags=re.DOTALL)
            if found and found.group("text"):
                texts.append(found.group("text"))
        return texts

    def matches(self, file_name: str, header_rows: list[list[str]]) -> bool:
        """True when a file looks like this tool's export (a layout without `detect` never matches)."""
        if not self.detect:
            return False
        pattern = self.detect.get("file_name")
        if pattern and not re.fullmatch(pattern, file_name, flags=re.IGNORECASE):
            return False
        signatures = _signatures(self.detect)
        if not signatures:
            return bool(pattern)
        rows = header_rows[:10] if self.find_header else header_rows[:1]
        names = [{normalise_text(c) for c in row} for row in rows]
        return any(signature <= row for signature in signatures for row in names)

    def companion_names(self, file_name: str) -> dict[str, str]:
        """role → companion file name for a dataset file (empty when the layout has none or the name differs)."""
        pattern = self.detect.get("file_name")
        if not self.companions or not pattern:
            return {}
        found = re.fullmatch(pattern, file_name, flags=re.IGNORECASE)
        if not found:
            return {}
        stem = found.groupdict().get("stem") or ""
        return {role: template.format(stem=stem) for role, template in self.companions.items()}


def _signatures(detect: dict) -> list[set[str]]:
    """detect.header_all as alternatives: a list of names (all present), or a list of such lists (any one)."""
    wanted = detect.get("header_all") or []
    alternatives = wanted if wanted and isinstance(wanted[0], list) else [wanted] if wanted else []
    return [{normalise_text(c) for c in names} for names in alternatives]


def _codes_by_item(data: dict | None) -> dict[str, tuple[float, ...]]:
    return {str(k): tuple(float(c) for c in (v or ())) for k, v in (data or {}).items()}


def load_layout(layout: str | Path | SourceLayout = "canonical") -> SourceLayout:
    """A layout by name (a file `sources/<name>.yml`), by path to a YAML file, or as given."""
    if isinstance(layout, SourceLayout):
        return layout
    path = Path(layout)
    if path.suffix not in (".yml", ".yaml"):
        path = SOURCES_DIR / f"{layout}.yml"
    return SourceLayout.from_dict(_layout_data(path))


def _layout_data(path: Path) -> dict:
    """The YAML of a layout; `extends: <layout>` adds that layout's drop lists to this one's."""
    with path.open(encoding="utf-8") as f:
        data = yaml.load(f, Loader=yaml.CSafeLoader)  # libyaml (in PyYAML's wheels): every export reads every layout
    base_name = data.pop("extends", None)
    if base_name:
        base = _layout_data(SOURCES_DIR / f"{base_name}.yml")
        for key in ("drop_columns", "drop_patterns"):
            data[key] = [*(base.get(key) or ()), *(data.get(key) or ())]
    return data


def all_layouts() -> list[SourceLayout]:
    """Every layout in sources/, the most specific detection first (more signature columns, then a file name)."""
    layouts = [load_layout(path) for path in sorted(SOURCES_DIR.glob("*.yml"))]
    return sorted(
        layouts,
        key=lambda lay: (-max((len(s) for s in _signatures(lay.detect)), default=0), "file_name" not in lay.detect),
    )
