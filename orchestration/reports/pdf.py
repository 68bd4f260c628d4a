"""PDFs of the reports, printed from their HTML by headless Chromium (Debian's ``chromium``; `make browser`).

One Chromium prints every report of a release: a browser started per PDF cost ~1 s of start-up each, 26 times a
release. Playwright drives it (its own browser download is not used: it launches the ``chromium`` on PATH), and each
page is printed on A4 with Chromium's own print-to-PDF defaults otherwise (``Page.printToPDF``: margins, no
background graphics beyond what the CSS asks for, no header or footer, as ``chromium --print-to-pdf
--no-pdf-header-footer`` printed them).
"""

from __future__ import annotations

import base64
import re
import shutil
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType

from playwright.sync_api import CDPSession, Page, Playwright, Route, sync_playwright

PRINT_TIMEOUT_SECONDS = 120
A4_INCHES = {"paperWidth": 210 / 25.4, "paperHeight": 297 / 25.4}
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


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


def _refuse(route: Route) -> None:
    # the reports are self-contained files: nothing is fetched from a network while printing
    route.abort()


class PdfPrinter:
    """One headless Chromium with one page, started on entering and closed on leaving, that prints HTML files to
    PDF one after the other (a new page per file cost another ~0.3 s each).

    Playwright's sync API refuses to run in a thread with a running asyncio loop (a notebook, or another sync
    Playwright session such as the browser tests'), and must be called from the thread that started it: the printer
    lives in a thread of its own.
    """

    def __init__(self, chromium: str) -> None:
        self._chromium = chromium
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="report-pdf")
        self._playwright: Playwright | None = None
        self._page: Page | None = None
        self._cdp: CDPSession | None = None

    def __enter__(self) -> PdfPrinter:
        try:
            self._thread.submit(self._start).result()
        except BaseException:
            self._thread.shutdown()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        try:
            self._thread.submit(self._stop).result()
        finally:
            self._thread.shutdown()

    def print(self, html: Path, pdf: Path) -> Future[Path]:
        """Queue ``html`` (a self-contained file) to be printed to ``pdf``, with no network and no header or footer.
        The files print in the order queued while the caller goes on (Chromium prints on the other core while Python
        renders the next report); the future gives ``pdf``, or raises what the printing raised."""
        return self._thread.submit(self._print, html, pdf)

    def _start(self) -> None:
        self._playwright = sync_playwright().start()
        try:
            browser = self._playwright.chromium.launch(
                executable_path=self._chromium, args=CHROMIUM_FLAGS, timeout=PRINT_TIMEOUT_SECONDS * 1000
            )
            self._page = browser.new_page()
            self._page.set_default_timeout(PRINT_TIMEOUT_SECONDS * 1000)
            self._page.route(re.compile(r"^(?!file:)"), _refuse)
            self._cdp = self._page.context.new_cdp_session(self._page)
        except BaseException:
            self._stop()
            raise

    def _stop(self) -> None:
        assert self._playwright is not None
        self._playwright.stop()  # closes the browser it launched

    def _print(self, html: Path, pdf: Path) -> Path:
        assert self._page is not None and self._cdp is not None, "PdfPrinter is used as a context manager"
        try:
            self._page.goto(html.resolve().as_uri(), wait_until="load")
            printed = self._cdp.send("Page.printToPDF", A4_INCHES)
        except Exception as error:
            raise RuntimeError(f"Chromium could not print {html} to PDF: {error}") from error
        pdf.write_bytes(base64.b64decode(printed["data"]))
        return pdf
