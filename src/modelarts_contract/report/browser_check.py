"""Render a report page in headless Chromium and save a screenshot: the documented browser check.

``python -m modelarts_contract.report.browser_check FILE.html OUT.png [--size 1280,2900]``
Exit status: 0 Chromium wrote a non-empty PNG, 1 it did not, 2 no Chromium or no such page.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")
# Offline and quiet: no first-run UI, no update or sync traffic, no profile left behind.
FLAGS = (
    "--headless",
    "--no-sandbox",  # root in a container has no user namespace for the sandbox
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def find_browser() -> str | None:
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def command(browser: str, page: Path, out: Path, size: str, profile: str) -> list[str]:
    return [
        browser,
        *FLAGS,
        f"--user-data-dir={profile}",
        f"--screenshot={out}",
        f"--window-size={size}",
        page.resolve().as_uri(),
    ]


def render(page: Path, out: Path, size: str = "1280,2900", timeout: float = 120) -> bool:
    """True when the browser wrote a PNG to ``out``."""
    browser = find_browser()
    if browser is None:
        raise FileNotFoundError("no Chromium found (apt-get install chromium)")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)  # a stale PNG must not pass for a fresh one
    with tempfile.TemporaryDirectory(prefix="report-browser-") as profile:
        try:
            subprocess.run(
                command(browser, page, out.resolve(), size, profile),
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return False
    return out.is_file() and out.stat().st_size > len(PNG_MAGIC) and out.read_bytes()[:8] == PNG_MAGIC


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m modelarts_contract.report.browser_check")
    parser.add_argument("page", type=Path, help="conformance.html")
    parser.add_argument("out", type=Path, help="the screenshot to write (PNG)")
    parser.add_argument("--size", default="1280,2900", help="window WIDTH,HEIGHT in pixels")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    if not args.page.is_file():
        print(f"browser_check: error: no such page: {args.page}", file=sys.stderr)
        return 2
    try:
        ok = render(args.page, args.out, args.size)
    except FileNotFoundError as exc:
        print(f"browser_check: error: {exc}", file=sys.stderr)
        return 2
    print(f"{args.out}: {'rendered' if ok else 'NOT rendered'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
