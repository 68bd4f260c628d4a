"""What a disclosure audit reports: findings (a protected value the reader can narrow too far, or a column a package
must not carry) and the intervals behind them (the check's metadata), and the protection margin they are held to."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from orchestration.settings import threshold_defaults

Keys = Mapping[str, str | int | None]


def protection_margin(scale_min: float, scale_max: float, scale_points: float | None = None) -> float:
    """The width a protected mean's interval must keep, in index points: ``audit_margin_scale_points`` scale points
    of the measure (a whole point of a 1-6 item, theme or the index is 20 index points; of the 0-10 item, 10)."""
    if scale_points is None:
        scale_points = float(threshold_defaults()["audit_margin_scale_points"])
    return scale_points * 100.0 / (scale_max - scale_min)


@dataclass(frozen=True)
class Interval:
    """The interval one protected value can still take in one package."""

    audience: str
    table: str
    keys: Keys
    statistic: str  # 'mean' (index points) or 'n'
    interval: tuple[float, float]
    margin: float

    @property
    def width(self) -> float:
        return self.interval[1] - self.interval[0]

    def as_metadata(self) -> dict:
        return {
            "audience": self.audience,
            "table": self.table,
            **{key: value for key, value in self.keys.items()},
            "statistic": self.statistic,
            "low": round(self.interval[0], 6),
            "high": round(self.interval[1], 6),
            "margin": self.margin,
        }


@dataclass(frozen=True)
class Finding:
    """A protected value whose interval is narrower than its margin (statistic 'mean' or 'n'), or a package that
    publishes what its audience may not see (statistic 'carried'), or contradicts itself ('consistency')."""

    audience: str
    table: str
    keys: Keys
    statistic: str
    interval: tuple[float, float] = (math.nan, math.nan)
    margin: float = 0.0
    detail: str = ""

    def describe(self) -> str:
        where = ", ".join(f"{key}={value}" for key, value in self.keys.items())
        low, high = self.interval
        span = "" if math.isnan(low) else f" in [{low:.4g}, {high:.4g}] (margin {self.margin:.4g})"
        return (
            f"{self.audience}: {self.table}({where}) {self.statistic}{span}{': ' + self.detail if self.detail else ''}"
        )


@dataclass
class AuditResult:
    """Findings and every interval computed (narrowest() for the check's metadata)."""

    findings: list[Finding] = field(default_factory=list)
    intervals: list[Interval] = field(default_factory=list)

    def extend(self, other: AuditResult) -> None:
        self.findings.extend(other.findings)
        self.intervals.extend(other.intervals)

    def narrowest(self, count: int = 10) -> list[Interval]:
        """The protected means closest to their margin (width / margin), then the narrowest counts."""
        means = sorted((i for i in self.intervals if i.statistic == "mean" and i.margin > 0), key=_relative_width)
        counts = sorted((i for i in self.intervals if i.statistic == "n"), key=lambda i: i.width)
        return [*means[:count], *counts[:count]]


def _relative_width(interval: Interval) -> float:
    return interval.width / interval.margin
