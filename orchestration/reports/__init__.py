"""Reports from a release's audience packages: one per company and a national one, HTML and PDF."""

from orchestration.reports.build import build_reports

__all__ = ["build_reports"]
