"""Building a release's reports: every company report and the national report, HTML and PDF, and an index page.

Everything is read from the release's packages (``public/`` and ``companies/<id>/``, and the same audience's
packages of earlier years for the trends); nothing from the warehouse. The reports are written aside and moved
into ``<release>/reports/`` when complete.
"""

from __future__ import annotations

import functools
import shutil
from concurrent.futures import Future, wait
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from orchestration.reports.common import Thresholds
from orchestration.reports.company import CompanyData, CompanyReport
from orchestration.reports.national import NationalReport
from orchestration.reports.package import ReleaseLayout, load_package
from orchestration.reports.pdf import PdfPrinter, find_chromium
from orchestration.reports.texts import LANGUAGES, Language

TEMPLATES = Path(str(resources.files("orchestration.reports") / "templates"))


@functools.cache  # one environment: it compiles each template once, not once per report
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _translator(lang: Language):
    """The templates' ``t``: a text, with figures (markup) filled in unescaped and everything else escaped."""

    def t(key: str, **values: Any) -> str | Markup:
        return Markup(escape(lang.raw(key))).format(**values) if values else lang.t(key)

    return t


def _other(code: str) -> str:
    return next(other for other in LANGUAGES if other != code)


def render(template: str, lang: Language, context: dict[str, Any], other_language_href: str | None) -> str:
    env = _environment()
    return env.get_template(template).render(
        lang=lang,
        t=_translator(lang),
        css=Markup((TEMPLATES / "report.css").read_text(encoding="utf-8")),
        other_language_href=other_language_href,
        other_language_code=_other(lang.code),
        **context,
    )


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def build_reports(release_dir: Path) -> list[Path]:
    """Write ``<release_dir>/reports/``: national.{nb,en}.{html,pdf}, companies/<id>.{nb,en}.{html,pdf} and
    index.html. Returns the written files (index.html first)."""
    release_dir = Path(release_dir)
    chromium = find_chromium()  # before any work: without it there can be no PDF
    layout = ReleaseLayout(release_dir)
    manifest = layout.manifest
    thresholds = Thresholds.from_manifest(manifest)
    release_id = str(manifest["release_id"])
    staging = release_dir / "reports.partial"
    shutil.rmtree(staging, ignore_errors=True)
    written: list[Path] = []
    pdfs: list[Future[Path]] = []  # printing while the next report renders
    with PdfPrinter(chromium) as printer:
        try:
            public = load_package(layout.public_dir)
            public_history = [load_package(folder) for folder in layout.earlier_years("public")]
            national_links = []
            for code in LANGUAGES:
                lang = Language(code)
                context = NationalReport(public, public_history, lang, thresholds, release_id).context()
                html = _write(
                    staging / f"national.{code}.html",
                    render("national.html.j2", lang, context, f"national.{_other(code)}.html"),
                )
                written.append(html)
                pdfs.append(printer.print(html, html.with_suffix(".pdf")))
                national_links.append(
                    {
                        "language": lang.t("norwegian" if code == "nb" else "english"),
                        "html": f"national.{code}.html",
                        "pdf": f"national.{code}.pdf",
                    }
                )
            companies = []
            for company_id, folder in layout.company_dirs().items():
                data = CompanyData(load_package(folder), company_id)
                history = [
                    CompanyData(load_package(p), company_id) for p in layout.earlier_years(f"companies/{company_id}")
                ]
                files, name = [], company_id
                for code in LANGUAGES:
                    lang = Language(code)
                    report = CompanyReport(data, history, lang, thresholds, release_id)
                    context = {**report.context(), "company_id": company_id}
                    name = context["header"]["company_name"]
                    html = _write(
                        staging / "companies" / f"{company_id}.{code}.html",
                        render("company.html.j2", lang, context, f"{company_id}.{_other(code)}.html"),
                    )
                    written.append(html)
                    pdfs.append(printer.print(html, html.with_suffix(".pdf")))
                    files.append(
                        {
                            "code": code,
                            "html": f"companies/{company_id}.{code}.html",
                            "pdf": f"companies/{company_id}.{code}.pdf",
                        }
                    )
                companies.append({"company_id": company_id, "name": name, "files": files})
            index_lang = Language("nb")
            index = _write(
                staging / "index.html",
                render(
                    "index.html.j2",
                    index_lang,
                    {
                        "kind": "index",
                        "year": layout.year,
                        "national": national_links,
                        "companies": sorted(companies, key=lambda c: c["name"]),
                        "release_id": release_id,
                    },
                    None,
                ),
            )
            written = [index, *written, *(pdf.result() for pdf in pdfs)]
            final = release_dir / "reports"
            if final.exists():
                shutil.rmtree(final)
            staging.rename(final)
        except BaseException:
            for pdf in pdfs:
                pdf.cancel()
            wait(pdfs)  # nothing may still be writing into the folder being removed
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return [final / path.relative_to(staging) for path in written]
