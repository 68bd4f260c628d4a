"""Resources, configured in one place: where the data lives and the disclosure thresholds."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from pydantic import Field, ValidationInfo, field_validator

from orchestration.settings import threshold_defaults

_THRESHOLDS = threshold_defaults()
# Hard floors (dbt_project.yml vars disclosure_floors): no launch may loosen a threshold past them.
DISCLOSURE_FLOORS: dict[str, float] = dict(_THRESHOLDS["disclosure_floors"])


class WarehousePaths(dg.ConfigurableResource):
    """The landing folder, the warehouse file and the release folder of one deployment."""

    landing_dir: str = Field(description="Raw survey exports, one sub-folder per survey year.")
    warehouse_path: str = Field(description="The DuckDB warehouse file that ingestion and dbt write.")
    releases_dir: str = Field(description="Where yearly releases are published (releases/<year>/).")
    seeds_dir: str = Field(description="The reference seeds: questionnaire, companies, labels, headcounts.")
    pseudonym_key: str = Field(description="HMAC key that turns respondent ids into pseudonyms.")
    demo: bool = Field(
        default=False,
        description="This deployment serves demo data: only then may a release use the public demo pseudonym key.",
    )

    def year_dir(self, year: str | int) -> Path:
        return Path(self.landing_dir) / str(year)

    def landing_years(self) -> list[str]:
        """Survey years present in the landing folder: every sub-folder named by a four-digit year."""
        root = Path(self.landing_dir)
        if not root.is_dir():
            return []
        return sorted(p.name for p in root.iterdir() if p.is_dir() and p.name.isdigit() and len(p.name) == 4)

    @contextmanager
    def dbt_environment(self) -> Iterator[None]:
        """dbt's profile reads the warehouse path from the environment; scope it to one dbt invocation."""
        previous = os.environ.get("MEDARBEIDERINDEKS_WAREHOUSE")
        os.environ["MEDARBEIDERINDEKS_WAREHOUSE"] = self.warehouse_path
        try:
            yield
        finally:
            if previous is None:
                os.environ.pop("MEDARBEIDERINDEKS_WAREHOUSE", None)
            else:
                os.environ["MEDARBEIDERINDEKS_WAREHOUSE"] = previous


class DisclosureThresholds(dg.ConfigurableResource):
    """Disclosure-control thresholds of a release (methodology §6); defaults and floors from dbt_project.yml vars.

    A value past its floor (fewer respondents or companies, a larger dominance share) is refused when the resource
    is built, i.e. when a run is launched with it: the launch may only tighten the rules."""

    min_respondents: int = Field(
        default=int(_THRESHOLDS["min_respondents"]),
        description="A published cell with fewer respondents is suppressed.",
    )
    min_companies: int = Field(
        default=int(_THRESHOLDS["min_companies"]),
        description="A benchmark needs at least this many companies (other companies, for leave-one-out).",
    )
    max_company_share: float = Field(
        default=float(_THRESHOLDS["max_company_share"]),
        description="A benchmark where one company holds more than this share of respondents is suppressed.",
    )
    disclosure_profile: str = Field(
        default=str(_THRESHOLDS.get("disclosure_profile", "default")),
        description="Named preset: default, competitors (>= 5 companies, none above 25%) or p_percent (adds the "
        "p%-rule).",
    )
    min_companies_distribution: int = Field(
        default=int(_THRESHOLDS.get("min_companies_distribution", 10)),
        description="Companies a benchmark's company-weighted mean and percentiles need.",
    )
    colluding_companies: int = Field(
        default=int(_THRESHOLDS["colluding_companies"]),
        description="Participants the rules and the disclosure audit assume may pool their packages.",
    )

    @field_validator("min_respondents", "min_companies", "min_companies_distribution", "colluding_companies")
    @classmethod
    def _at_least_the_floor(cls, value: int, info: ValidationInfo) -> int:
        floor = DISCLOSURE_FLOORS[info.field_name]
        if value < floor:
            raise ValueError(
                f"{info.field_name} = {value} is below its floor {floor:g} "
                "(dbt_project.yml vars: disclosure_floors); a launch may only raise it"
            )
        return value

    @field_validator("max_company_share")
    @classmethod
    def _at_most_the_floor(cls, value: float) -> float:
        floor = DISCLOSURE_FLOORS["max_company_share"]
        if not 0 < value <= floor:
            raise ValueError(
                f"max_company_share = {value} is above its floor {floor:g} "
                "(dbt_project.yml vars: disclosure_floors); a launch may only lower it (and keep it above 0)"
            )
        return value

    @field_validator("disclosure_profile")
    @classmethod
    def _a_known_profile(cls, value: str) -> str:
        presets = _THRESHOLDS["disclosure_profiles"]
        if value not in presets:
            raise ValueError(f"disclosure_profile must be one of {sorted(presets)}, not {value!r}")
        return value

    def as_dict(self) -> dict[str, float | str]:
        return {
            "min_respondents": self.min_respondents,
            "min_companies": self.min_companies,
            "max_company_share": self.max_company_share,
            "disclosure_profile": self.disclosure_profile,
            "min_companies_distribution": self.min_companies_distribution,
            "colluding_companies": self.colluding_companies,
        }

    def check_parameters(self) -> dict[str, float | str]:
        """Parameters of the blocking suites: the values in force under the profile. The presets are dbt_project.yml's
        ``disclosure_profiles``; the suites apply them independently of the dbt macro disclosure_setting: a preset
        only tightens, a profile without the p%-rule has p = 0 (the remainder is never negative), and every value is
        held to its floor again, so a suite proves the floor even for thresholds that bypassed validation."""
        preset = _THRESHOLDS["disclosure_profiles"][self.disclosure_profile]
        floors = DISCLOSURE_FLOORS
        share = min(self.max_company_share, preset.get("max_company_share", 1.0), floors["max_company_share"])
        return {
            **self.as_dict(),
            "min_respondents": max(self.min_respondents, floors["min_respondents"]),
            "min_companies": max(self.min_companies, preset.get("min_companies", 0), floors["min_companies"]),
            "min_companies_distribution": max(self.min_companies_distribution, floors["min_companies_distribution"]),
            "colluding_companies": max(self.colluding_companies, floors["colluding_companies"]),
            "max_company_share": share,
            "max_company_share_pct": 100.0 * share,
            "p_percent": float(preset.get("p_percent", 0)),
        }
