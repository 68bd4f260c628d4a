"""A large canonical export for `make bench` (and the robustness tests): one CSV of n respondents × 24 items."""

from __future__ import annotations

from pathlib import Path

import numpy as np

COMPANIES = ["Nordlys Bank", "Fjelltele", "Bølge Mobil", "Ærlig Reise", "Strømnett Energi", "Signal Norge"]
ITEMS = [f"Q{i:02d}" for i in range(1, 25)]
#: Respondents that make a canonical export of about 50 MB (the size the loader is measured on).
RESPONDENTS_50_MB = 470_000


def write_canonical_export(path: Path, n: int, prefix: str, seed: int) -> None:
    """A canonical export of n respondents × 24 items (some blanks and don't-knows), with a department and an e-mail
    column (the e-mail is dropped at read time)."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(1, 7, size=(n, len(ITEMS))).astype(str)
    codes[rng.random(size=codes.shape) < 0.03] = ""  # some blanks
    codes[rng.random(size=codes.shape) < 0.02] = "Vet ikke"
    company = rng.integers(0, len(COMPANIES), size=n)
    lines = ["respondent_id,company,department,email," + ",".join(ITEMS)]
    lines += [
        f"{prefix}-{i:07d},{COMPANIES[company[i]]},Kundeservice Øst,person{i}@example.no," + ",".join(codes[i])
        for i in range(n)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
