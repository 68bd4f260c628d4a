"""Audience packages of a yearly release: which rows and columns of the published marts each reader receives.

The ONE home of that decision (docs/privacy.md explains it for a works council):
- ``public``: national and industry figures only, no company named (what may be printed in a newspaper);
- ``companies/<company_id>``: one participating company's own rows plus every benchmark, nothing about another
  named company;
- ``internal``: the index team's analysts, every company named.
Every package holds the same tables with the same columns, so a BI dashboard works on any of them.
"""

from __future__ import annotations

from dataclasses import dataclass

PUBLIC = "public"
INTERNAL = "internal"
COMPANY = "company"

# Rows a company package keeps: the predicate names the package's company as the bound parameter $company_id.
_OWN_COMPANY = "company_id = $company_id"
_OWN_SCOPE = "scope in ('industry', 'national') or (scope = 'company' and scope_id = $company_id)"
_OWN_DRIVERS = "scope = 'national' or (scope = 'company' and scope_id = $company_id)"

# table -> (public rows, company rows); None = every row of the year, ABSENT = the table is not in the package.
ABSENT = "absent"
_ROWS: dict[str, tuple[str | None, str | None]] = {
    "benchmarks": (None, None),
    "national_headlines": (None, None),
    "theme_reliability": (None, None),
    "items": (None, None),
    "themes": (None, None),
    "industries": (None, None),
    "answer_distribution": ("scope in ('industry', 'national')", _OWN_SCOPE),
    "key_drivers": ("scope = 'national'", _OWN_DRIVERS),
    "company_scores": (ABSENT, _OWN_COMPANY),
    "subgroup_scores": (ABSENT, _OWN_COMPANY),
    "company_vs_benchmark": (ABSENT, _OWN_COMPANY),
    "response_rates": (ABSENT, _OWN_COMPANY),
    "companies": (ABSENT, _OWN_COMPANY),
}

# Columns only the internal package carries (null elsewhere). They are functions of single companies' results:
# percentiles and the company-weighted mean are order statistics and means of few companies, the benchmark's
# interval with companies as clusters measures how far the companies lie apart, and the largest companies' shares
# (dominance, the p%-rule's remainder) are single companies' sizes. In the internal package every contributing
# company is named and published anyway.
INTERNAL_ONLY_COLUMNS: dict[str, tuple[str, ...]] = {
    "benchmarks": (
        "ci_low",
        "ci_high",
        "index_company_weighted",
        "company_weighted_ci_low",
        "company_weighted_ci_high",
        "p25",
        "p50",
        "p75",
        "p90",
        "max_company_share_pct",
        "p_rule_remainder_pct",
    ),
    "company_vs_benchmark": ("other_max_company_share_pct", "p_rule_remainder_pct"),
}

# Written by the release for each package from the package's own tables (never counts another package's cells). No
# suite of its own: it is a count over tables whose suites gated the release, and tests/test_release.py checks it.
SUPPRESSION_SUMMARY = "suppression_summary"


@dataclass(frozen=True)
class Package:
    """One reader's package: ``audience`` is public, company or internal; ``company_id`` for a company package."""

    audience: str
    company_id: str | None = None

    @property
    def name(self) -> str:
        return f"companies/{self.company_id}" if self.audience == COMPANY else self.audience

    def rows(self, table: str) -> str | None:
        """SQL predicate selecting the package's rows of ``table`` (None: all rows); ABSENT if it is left out.
        A table the rules do not name is internal only: a new mart is never published by accident."""
        if self.audience == INTERNAL:
            return None
        if table not in _ROWS:
            return ABSENT
        public, company = _ROWS[table]
        if self.audience == PUBLIC:
            return public
        return company

    def masked_columns(self, table: str) -> tuple[str, ...]:
        return () if self.audience == INTERNAL else INTERNAL_ONLY_COLUMNS.get(table, ())


def packages_for(company_ids: list[str]) -> list[Package]:
    """Every package of a release: public, one per participating company, internal."""
    return [Package(PUBLIC), *(Package(COMPANY, c) for c in sorted(company_ids)), Package(INTERNAL)]
