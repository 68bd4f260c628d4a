"""The reports in headless Chromium: offline, without console errors, every number equal to its package's value,
suppressed cells shown as suppressed, and a screenshot of each report type (docs/report-*.png).

The packages come from the demo data of 2023 and 2024 (tests/fixtures/report_packages.py); the reports of both
years are built with build_reports, so the 2024 reports also read the 2023 packages for their trends.
Set UPDATE_DOCS_SCREENSHOTS=1 to rewrite docs/report-company.png and docs/report-national.png.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import sys
import threading
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest
from playwright.sync_api import Browser, Page

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
from report_packages import demo_releases  # noqa: E402

from orchestration.reports import build_reports  # noqa: E402
from orchestration.reports.package import PackageError, load_package  # noqa: E402
from orchestration.reports.pdf import BrowserMissingError, PdfPrinter  # noqa: E402

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
YEARS = (2023, 2024)
LANGUAGES = ("nb", "en")
FEWER_THAN = {"nb": "færre enn 5", "en": "fewer than 5"}


def _pick_companies(releases: Path) -> list[str]:
    """Two companies, to keep the build short: the one with most respondents (its own key drivers) and one whose
    heatmap has a cell suppressed for too few respondents."""
    year = releases / str(YEARS[-1])
    frames = {c.name: _table(c, "subgroup_scores") for c in (year / "companies").iterdir()}
    # a suppressed company publishes no count: it counts as 0 here
    rates = {
        c.name: int(_table(c, "response_rates")["n_respondents"].fillna(0).iloc[0])
        for c in (year / "companies").iterdir()
    }
    largest = max(rates, key=rates.get)
    small_cells = [
        name
        for name, frame in sorted(frames.items())
        if name != largest
        and ((frame["suppression_reason"] == "min_respondents") & frame["measure_type"].isin(["index", "theme"])).any()
    ]
    return [largest, small_cells[0]]


@pytest.fixture(scope="module")
def releases(tmp_path_factory) -> Path:
    releases = demo_releases(tmp_path_factory.mktemp("reports"), YEARS)
    keep = _pick_companies(releases)
    for year in YEARS:
        for folder in (releases / str(year) / "companies").iterdir():
            if folder.name not in keep:
                shutil.rmtree(folder)
    for year in YEARS:
        build_reports(releases / str(year))
    return releases


@functools.cache
def _table(package: Path, table: str) -> pd.DataFrame:
    database = next(package.glob("medarbeiderindeks_*.duckdb"))
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(f"select * from published.{table}").fetch_df()


def _all_reports(releases: Path) -> list[Path]:
    return sorted(p for year in YEARS for p in (releases / str(year) / "reports").rglob("*.html"))


class Visit:
    """A report opened in Chromium with every http(s) request refused and recorded, and every console error kept."""

    def __init__(self, browser: Browser, html: Path) -> None:
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(viewport={"width": 1000, "height": 1400})
        self.page: Page = self.context.new_page()
        self.page.route(re.compile(r"^https?://"), self._refuse)
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url) if not r.url.startswith("file:") else None)
        self.page.goto(html.as_uri(), wait_until="load")

    def _refuse(self, route) -> None:
        self.requests.append(route.request.url)
        route.abort()

    def close(self) -> None:
        self.context.close()


def _number(text: str) -> tuple[float, int]:
    """A displayed number read back independently: value and its decimals ("−11,8" -> (-11.8, 1), "64 %")."""
    cleaned = text.replace("\u2212", "-").replace("\u00a0", "").replace("%", "").replace("+", "").strip()
    cleaned = cleaned.replace(",", ".")
    decimals = len(cleaned.split(".")[1]) if "." in cleaned else 0
    return float(cleaned), decimals


def _package_for(report: Path, releases: Path, year: int) -> Path:
    if report.parent.name == "companies":
        return releases / str(year) / "companies" / report.name.split(".")[0]
    return releases / str(year) / "public"


def _row(frame: pd.DataFrame, key: dict) -> pd.DataFrame:
    mask = pd.Series(True, index=frame.index)
    for column, value in key.items():
        mask &= frame[column] == value
    return frame[mask]


def test_build_writes_every_report_as_html_and_pdf_with_an_index(releases) -> None:
    for year in YEARS:
        reports = releases / str(year) / "reports"
        companies = sorted(p.name for p in (releases / str(year) / "companies").iterdir())
        expected = {"index.html"} | {f"national.{lang}.{ext}" for lang in LANGUAGES for ext in ("html", "pdf")}
        expected |= {f"companies/{c}.{lang}.{ext}" for c in companies for lang in LANGUAGES for ext in ("html", "pdf")}
        assert {str(p.relative_to(reports)) for p in reports.rglob("*") if p.is_file()} == expected
        for pdf in reports.rglob("*.pdf"):
            assert pdf.read_bytes()[:5] == b"%PDF-", pdf
        links = re.findall(r'href="([^"]+)"', (reports / "index.html").read_text(encoding="utf-8"))
        assert sorted(links) == sorted(e for e in expected if e != "index.html")


def _media_boxes(pdf: Path) -> list[tuple[float, float]]:
    """Each page's size in points, read from the PDF's uncompressed page objects."""
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf.read_bytes())
    return [(float(width), float(height)) for width, height in boxes]


def test_every_pdf_is_printed_on_a4(releases) -> None:
    a4_points = (210 / 25.4 * 72, 297 / 25.4 * 72)  # 595.28 x 841.89
    pdfs = sorted(p for year in YEARS for p in (releases / str(year) / "reports").rglob("*.pdf"))
    assert pdfs
    for pdf in pdfs:
        boxes = _media_boxes(pdf)
        assert boxes, pdf
        for width, height in boxes:
            # Chromium rounds the paper to whole CSS pixels: within 1 point of A4, far from Letter (612 x 792)
            assert abs(width - a4_points[0]) < 1 and abs(height - a4_points[1]) < 1, (pdf, width, height)


def test_the_printer_fetches_nothing_even_inside_another_playwright_session(browser, tmp_path) -> None:
    hits: list[str] = []

    class Counting(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), Counting) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_port}"
        html = tmp_path / "page.html"
        html.write_text(
            f'<html><head><link rel="stylesheet" href="{url}/style.css"></head>'
            f'<body><p>Medarbeiderindeks</p><img src="{url}/logo.png"></body></html>',
            encoding="utf-8",
        )
        # the test's own browser shows the server answers: the counter can see a fetch
        page = browser.new_page()
        page.goto(html.as_uri(), wait_until="load")
        page.close()
        fetched_by_a_browser = len(hits)
        with PdfPrinter(shutil.which("chromium")) as printer:
            printer.print(html, tmp_path / "page.pdf").result()
            printer.print(html, tmp_path / "again.pdf").result()
        server.shutdown()
    assert fetched_by_a_browser == 2
    assert len(hits) == fetched_by_a_browser
    for pdf in ("page.pdf", "again.pdf"):
        assert (tmp_path / pdf).read_bytes()[:5] == b"%PDF-"
        assert len(_media_boxes(tmp_path / pdf)) == 1


def test_every_report_opens_offline_without_console_errors(releases, browser) -> None:
    for html in _all_reports(releases):
        text = html.read_text(encoding="utf-8")
        assert not re.search(r"(src|href)=\"(https?:)?//", text), html
        visit = Visit(browser, html)
        assert visit.requests == [], (html, visit.requests)
        assert visit.errors == [], (html, visit.errors)
        if html.name != "index.html":
            assert visit.page.locator("svg.chart").count() >= 1, html
        visit.close()


def test_the_offline_check_catches_a_report_that_loads_something(releases, browser, tmp_path) -> None:
    html = releases / str(YEARS[-1]) / "reports" / "national.nb.html"
    tampered = tmp_path / "national.nb.html"
    tampered.write_text(
        html.read_text(encoding="utf-8").replace("</body>", '<img src="https://cdn.example.org/pixel.png"></body>'),
        encoding="utf-8",
    )
    visit = Visit(browser, tampered)
    assert visit.requests or visit.errors, "a page that fetches from the network must not pass"
    visit.close()


def test_every_number_shown_equals_the_package_value(releases, browser) -> None:
    checked = 0
    for html in (p for p in _all_reports(releases) if p.name != "index.html"):
        visit = Visit(browser, html)
        figures = visit.page.eval_on_selector_all(
            "[data-table]",
            "els => els.map(e => ({table: e.dataset.table, key: e.dataset.key, field: e.dataset.field, "
            "value: e.dataset.value ?? null, suppressed: e.dataset.suppressed ?? null, "
            "missing: e.dataset.missing ?? null, text: e.textContent}))",
        )
        visit.close()
        lang = html.name.split(".")[-2]
        assert figures, html
        for figure in figures:
            key = json.loads(figure["key"])
            frame = _table(_package_for(html, releases, key["year"]), figure["table"])
            rows = _row(frame, key)
            assert len(rows) <= 1, (html, figure)
            if figure["suppressed"]:
                assert rows.empty or bool(rows["suppressed"].iloc[0]), (html, figure)
                if not rows.empty and rows["suppression_reason"].iloc[0] == "min_respondents":
                    assert figure["text"] == FEWER_THAN[lang], (html, figure)
                else:
                    assert not re.search(r"\d", figure["text"]), (html, figure)
                continue
            assert len(rows) == 1, (html, figure)
            row = rows.iloc[0]
            assert not bool(row.get("suppressed", False)), (html, figure)
            stored = row[figure["field"]]
            if figure["missing"]:
                assert pd.isna(stored), (html, figure)
                continue
            if figure["field"] in ("gap_significant", "yoy_significant"):
                assert figure["value"] == ("true" if bool(stored) else "false"), (html, figure)
                assert ("●" in figure["text"]) == bool(stored), (html, figure)
                continue
            assert float(figure["value"]) == pytest.approx(float(stored), abs=1e-9), (html, figure)
            shown, decimals = _number(figure["text"])
            assert abs(shown - float(stored)) <= 0.5 * 10**-decimals + 1e-9, (html, figure)
            if lang == "nb" and decimals:
                assert "," in figure["text"], (html, figure)
            checked += 1
    assert checked > 1000


def test_the_2023_national_report_prints_the_published_item_means(releases, browser) -> None:
    html = releases / "2023" / "reports" / "national.nb.html"
    visit = Visit(browser, html)
    for item, mean in (("Q14", "3,3"), ("Q22", "4,0"), ("Q19", "3,9")):
        cell = visit.page.locator(f'[data-table="national_headlines"][data-field="mean_score"][data-key*=\'"{item}"\']')
        assert cell.inner_text() == mean
    visit.close()


def test_a_suppressed_heatmap_cell_reads_fewer_than_5_and_shows_no_number(releases, browser) -> None:
    year = YEARS[-1]
    seen = 0
    for package in sorted((releases / str(year) / "companies").iterdir()):
        subgroups = _table(package, "subgroup_scores")
        subgroups = subgroups[subgroups["measure_type"].isin(["index", "theme"])]
        for lang in LANGUAGES:
            visit = Visit(browser, releases / str(year) / "reports" / "companies" / f"{package.name}.{lang}.html")
            cells = visit.page.locator("#heatmap td.suppressed")
            assert cells.count() == int(subgroups["suppressed"].sum())
            small = visit.page.locator('#heatmap td.suppressed [data-reason="min_respondents"]')
            expected_small = int((subgroups["suppression_reason"] == "min_respondents").sum())
            assert small.count() == expected_small
            for i in range(cells.count()):
                cell = cells.nth(i)
                assert cell.locator("[data-value]").count() == 0
                text = cell.inner_text().strip()
                assert text == FEWER_THAN[lang] or not re.search(r"\d", text), text
            seen += expected_small
            visit.close()
    assert seen > 0, "the fixture must have a heatmap cell suppressed for too few respondents"


def test_the_trend_reads_the_company_packages_of_earlier_years(releases, browser) -> None:
    year = YEARS[-1]
    published = [
        folder.name
        for folder in sorted((releases / str(YEARS[0]) / "companies").iterdir())
        if not _row(_table(folder, "company_scores"), {"measure_type": "index"})["suppressed"].iloc[0]
    ]
    company = published[0]
    visit = Visit(browser, releases / str(year) / "reports" / "companies" / f"{company}.en.html")
    years = visit.page.eval_on_selector_all("#trend tbody tr", "rows => rows.map(r => Number(r.dataset.year))")
    assert years == list(YEARS)
    earlier = _row(
        _table(releases / str(YEARS[0]) / "companies" / company, "company_scores"),
        {"measure_type": "index", "measure_id": "overall"},
    ).iloc[0]
    shown = visit.page.locator(f'#trend tr[data-year="{YEARS[0]}"] [data-field="index_0_100"]').first.get_attribute(
        "data-value"
    )
    assert float(shown) == pytest.approx(float(earlier["index_0_100"]))
    visit.close()


def test_screenshots_of_each_report_type(releases, browser, tmp_path) -> None:
    year = YEARS[-1]
    folders = (releases / str(year) / "companies").iterdir()
    company = max(folders, key=lambda f: int(_table(f, "response_rates")["n_respondents"].fillna(0).iloc[0])).name
    shots = {
        "report-company.png": releases / str(year) / "reports" / "companies" / f"{company}.nb.html",
        "report-national.png": releases / str(year) / "reports" / "national.nb.html",
    }
    for name, html in shots.items():
        visit = Visit(browser, html)
        path = tmp_path / name
        visit.page.screenshot(path=str(path), full_page=True)
        visit.close()
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
            shutil.copy(path, REPO / "docs" / name)


def test_without_chromium_the_build_stops_and_says_how_to_install_it(releases, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BrowserMissingError, match="make browser"):
        build_reports(releases / str(YEARS[-1]))
    assert (releases / str(YEARS[-1]) / "reports" / "index.html").is_file()  # the reports built before stay


def test_a_folder_that_is_no_package_is_refused_by_name(tmp_path) -> None:
    with pytest.raises(PackageError, match=f"{tmp_path}: expected one medarbeiderindeks_<year>.duckdb"):
        load_package(tmp_path)


def test_the_reports_asset_runs_after_the_release_of_its_year() -> None:
    from orchestration.assets.reports import release_reports
    from orchestration.partitions import survey_years

    assert dg.AssetKey("published_release") in release_reports.dependency_keys
    assert release_reports.partitions_def == survey_years
