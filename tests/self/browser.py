"""A real headless browser for the self-tests: Playwright's Python package driving the system's
Chromium (Debian's `chromium`; Playwright's own browser download is not possible everywhere), with
the flags of the documented browser check. A test that asks for `browser` skips, saying why, only
where no Chromium is installed.

    from tests.self.browser import browser, open_offline  # noqa: F401  (browser is a fixture)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Route, sync_playwright

from modelarts_contract.report.browser_check import FLAGS, find_browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = find_browser()
    if executable is None:
        pytest.skip("no Chromium on this machine (apt-get install chromium): the page is not rendered")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, args=[flag for flag in FLAGS if flag != "--headless"]
        )
        yield launched
        launched.close()


@dataclass
class Opened:
    page: Page
    errors: list[str] = field(default_factory=list)  # console errors and uncaught page errors
    blocked: list[str] = field(default_factory=list)  # requests other than the page itself


def open_offline(browser: Browser, path: Path, width: int = 1280, height: int = 900) -> Opened:
    """The page at `path` in a fresh page of `width` CSS pixels; any other request is refused and noted."""
    page = browser.new_page(viewport={"width": width, "height": height})
    url = path.resolve().as_uri()
    opened = Opened(page)

    def guard(route: Route) -> None:
        if route.request.url == url:
            route.continue_()
        else:
            opened.blocked.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    page.on(
        "console", lambda message: opened.errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: opened.errors.append(str(error)))
    page.goto(url)
    return opened
