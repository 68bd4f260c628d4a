"""Print where each published release is, which packages it holds, and how to open one (the end of `make demo`)."""

from __future__ import annotations

import json
from pathlib import Path

from orchestration.settings import configured_path


def describe_releases(releases_dir: Path) -> str:
    lines = []
    for link in sorted(p for p in releases_dir.glob("[0-9][0-9][0-9][0-9]") if p.is_dir()):
        manifest = json.loads((link / "manifest.json").read_text(encoding="utf-8"))
        packages = manifest["packages"]
        companies = sorted(name for name in packages if name.startswith("companies/"))
        audit = manifest.get("audit", {})
        lines += [
            f"{manifest['year']}: release {manifest['release_id']} ({len(manifest['checks'])} checks passed; "
            f"disclosure audit passed: {audit.get('pool_intervals', 0)} protected values and "
            f"{audit.get('subgroup_audits', 0)} subgroup audits over {audit.get('packages', 0)} packages)",
            f"  public:    {link / 'public'}   (newspaper: national and industry figures)",
            f"  companies: {link / 'companies'}/<company_id>   ({len(companies)} participants, each its own rows)",
            f"  internal:  {link / 'internal'}   (the index team's BI dashboards: every company named)",
        ]
        if (link / "reports" / "index.html").is_file():
            lines.append(f"  reports:   {link / 'reports' / 'index.html'}   (national and company reports)")
    if not lines:
        return f"No releases in {releases_dir} yet."
    example = sorted(releases_dir.glob("[0-9][0-9][0-9][0-9]"))[-1]
    lines += [
        "",
        "Each package holds medarbeiderindeks_<year>.duckdb (schema published), parquet/, csv/ and manifest.json.",
        "Open one read-only, e.g.:",
        f"  .venv/bin/python -c \"import duckdb; print(duckdb.connect('{example}/public/medarbeiderindeks_"
        f"{example.name}.duckdb', read_only=True).sql('from published.national_headlines limit 5'))\"",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(describe_releases(Path(configured_path("MEDARBEIDERINDEKS_RELEASES"))))
