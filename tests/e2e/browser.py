"""Pages in a real headless Chromium (Debian's `chromium`, driven by Playwright; never a downloaded browser).

`open_page` loads a page with every request outside `allowed` (by default: local files) aborted and recorded,
and returns what a person would have met: requests that left the machine, requests that failed, console
errors and uncaught script errors. Chromium is required: `make browser` installs it.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest

CHROMIUM_FLAGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-gpu",
]


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("Chromium is missing: run `make browser` (it installs the Debian package `chromium`)")
    return found


@dataclass
class Visit:
    url: str
    external: list[str] = field(default_factory=list)  # requests outside `allowed`, aborted
    failed: list[str] = field(default_factory=list)  # requests that failed (a missing file...)
    errors: list[str] = field(default_factory=list)  # console errors and uncaught exceptions

    @property
    def problems(self) -> list[str]:
        return (
            [f"external request: {u}" for u in self.external]
            + [f"failed request: {u}" for u in self.failed]
            + [f"error: {e}" for e in self.errors]
        )


def _local(url: str) -> bool:
    return url.startswith(("file:", "data:", "blob:", "about:"))


@contextmanager
def chromium() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def open_page(browser, url: str, allowed: Callable[[str], bool] = _local, context=None) -> Iterator:
    """(page, visit) for `url` once loaded and idle; the page closes on exit."""
    visit = Visit(url)
    owner = context or browser.new_context()
    page = owner.new_page()

    def route(request_route):
        if allowed(request_route.request.url):
            request_route.continue_()
        else:
            visit.external.append(request_route.request.url)
            request_route.abort()

    page.route("**/*", route)
    page.on(
        "requestfailed",
        lambda r: None if r.url in visit.external else visit.failed.append(f"{r.url} ({r.failure})"),
    )
    page.on(
        "response",
        lambda r: visit.failed.append(f"{r.url} (HTTP {r.status})") if r.status >= 400 else None,
    )
    page.on("console", lambda m: visit.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: visit.errors.append(str(e)))
    try:
        page.goto(url, wait_until="load")
        page.wait_for_load_state("networkidle")
        yield page, visit
    finally:
        page.close()
        if context is None:
            owner.close()
