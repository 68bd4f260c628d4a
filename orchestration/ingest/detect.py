"""Which source tool wrote a file: declared (a sidecar or a folder named after a layout) or recognised by its header.

In order: a layout passed by the caller; a sidecar `<export name>.source.yml` beside the file (`source: <layout>`
and optional per-file declarations such as `dont_know_codes`); a folder of the year folder named after a layout
(`2024/qualtrics/…`); the first layout in `sources/` whose `detect` signature the file matches; `canonical`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import ExportError
from .layouts import SIDECAR_SUFFIX, SOURCES_DIR, SourceLayout, all_layouts, load_layout
from .readers import peek_rows, read_landing_bytes


@dataclass(frozen=True)
class Source:
    layout: SourceLayout
    declared_by: str  # "argument", "sidecar", "folder", "header" or "default"
    sidecar: Path | None = None
    companions: dict[str, Path] = field(default_factory=dict)  # role → existing companion file


def sidecar_of(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


def _layout_names() -> set[str]:
    return {p.stem for p in SOURCES_DIR.glob("*.yml")}


def resolve_source(path: Path, file_name: str, layout: str | Path | SourceLayout | None = None) -> Source:
    """The layout of one export file (see the module docstring); raises ExportError for a broken sidecar."""
    sidecar = sidecar_of(path)
    if layout is not None:
        chosen, how = load_layout(layout), "argument"
        sidecar = None
    elif sidecar.is_file() or sidecar.is_symlink():
        sidecar_name = file_name + SIDECAR_SUFFIX
        data = _landing_file(sidecar, sidecar_name)
        try:
            declared = yaml.safe_load(data.decode("utf-8")) or {}
        except (yaml.YAMLError, UnicodeDecodeError) as e:
            raise ExportError(
                sidecar_name, f"the sidecar is not valid YAML ({type(e).__name__})", quarantine=False
            ) from e
        if not isinstance(declared, dict):
            raise ExportError(sidecar_name, "the sidecar must be a mapping with a key 'source'", quarantine=False)
        name = declared.pop("source", None)
        if name is not None and str(name) not in _layout_names():
            raise ExportError(
                sidecar_name,
                f"unknown source {name!r}: expected one of {', '.join(sorted(_layout_names()))}",
                quarantine=False,
            )
        base = load_layout(str(name)) if name is not None else _recognise(path, file_name)[0]
        try:
            chosen, how = base.with_overrides(declared), "sidecar"
        except ValueError as e:
            raise ExportError(sidecar_name, str(e), quarantine=False) from e
    else:
        sidecar = None
        folders = [p for p in file_name.split("/")[:-1] if p in _layout_names()]
        if folders:
            chosen, how = load_layout(folders[-1]), "folder"
        else:
            chosen, how = _recognise(path, file_name)
    companions = {
        role: path.with_name(name)
        for role, name in chosen.companion_names(path.name).items()
        if path.with_name(name).is_file() or path.with_name(name).is_symlink()
    }
    folder = file_name.rsplit("/", 1)[0] + "/" if "/" in file_name else ""
    for companion in companions.values():
        if companion.is_symlink():  # refused here, its target never opened (the reader refuses a link too)
            _landing_file(companion, folder + companion.name)
    return Source(chosen, how, sidecar, companions)


def _landing_file(path: Path, name: str) -> bytes:
    """A sidecar's or companion's bytes; a link, a non-file or an oversized file fails the export (not quarantined:
    the export itself may be fine)."""
    try:
        return read_landing_bytes(path, name)
    except ExportError as e:
        raise ExportError(name, e.problem, quarantine=False) from None


def _recognise(path: Path, file_name: str) -> tuple[SourceLayout, str]:
    rows = peek_rows(path)
    for candidate in all_layouts():
        if candidate.matches(path.name, rows):
            return candidate, "header"
    return load_layout("canonical"), "default"
