"""PDFs of the reports, printed from their HTML by headless Chromium (Debian's ``chromium``; `make browser`)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

PRINT_TIMEOUT_SECONDS = 120


class BrowserMissingError(RuntimeError):
    """No Chromium to print the reports with."""


def find_chromium() -> str:
    """The path of ``chromium`` on PATH, or a clear error saying how to install it."""
    found = shutil.which("chromium")
    if found is None:
        raise BrowserMissingError(
            "The reports are printed to PDF by headless Chromium, and no `chromium` is on PATH: run `make browser` "
            "(installs Debian's chromium package with apt-get) and build the reports again."
        )
    return found


def print_to_pdf(html: Path, pdf: Path, chromium: str) -> Path:
    """Print ``html`` (a self-contained file) to ``pdf``, with no network, no profile and no header or footer."""
    with tempfile.TemporaryDirectory(prefix="report-chromium-") as profile:
        command = [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            html.resolve().as_uri(),
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=PRINT_TIMEOUT_SECONDS)
    if result.returncode != 0 or not pdf.is_file() or pdf.stat().st_size == 0:
        raise RuntimeError(
            f"Chromium could not print {html} to PDF (exit {result.returncode}): {result.stderr[-2000:]}"
        )
    return pdf
