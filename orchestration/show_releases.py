"""Print where each published release is and how to open it (the end of `make demo`)."""

from __future__ import annotations

import json
from pathlib import Path

from orchestration.settings import configured_path


def describe_releases(releases_dir: Path) -> str:
    lines = []
    for link in sorted(p for p in releases_dir.glob("[0-9][0-9][0-9][0-9]") if p.is_dir()):
        manifest = json.loads((link / "manifest.json").read_text(encoding="utf-8"))
        database = link / f"medarbeiderindeks_{manifest['year']}.duckdb"
        rows = ", ".join(f"{t} {v['rows']}" for t, v in manifest["tables"].items())
        lines += [
            f"{manifest['year']}: release {manifest['release_id']} ({len(manifest['checks'])} checks passed)",
            f"  DuckDB:  {database}",
            f"  Parquet: {link / 'parquet'}   CSV: {link / 'csv'}",
            f"  rows:    {rows}",
        ]
    if not lines:
        return f"No releases in {releases_dir} yet."
    example = sorted(releases_dir.glob("[0-9][0-9][0-9][0-9]"))[-1]
    lines += [
        "",
        "Open a release read-only, e.g.:",
        f"  .venv/bin/python -c \"import duckdb; print(duckdb.connect('{example}/medarbeiderindeks_{example.name}"
        ".duckdb', read_only=True).sql('from published.benchmarks limit 5'))\"",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(describe_releases(Path(configured_path("MEDARBEIDERINDEKS_RELEASES"))))
