"""CLI: ``python -m modelarts_contract.drift DOC [--spec PATH] [--format text|json] [--offline] ...``.

DOC is a local file or an http(s) URL, in any layout the check reads (doc-exports HTML, Sphinx HTML,
reStructuredText). Exit status: 0 no undeclared drift, 1 undeclared drift, 2 usage error (unreadable
or unfetchable input, a page in no known layout, an unusable spec).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import yaml

from .compare import compare, load_spec
from .fetch import FetchError, Limits, default_cache_dir, fetch, is_url, read_file
from .layout import parse_page
from .model import PageFormatError
from .report import Source, render_json, render_text, summary

PACKAGED = "the packaged spec (openapi/images-group.yaml)"


def _positive(kind: type[int] | type[float]) -> Callable[[str], int | float]:
    def parse(text: str) -> int | float:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be > 0: {text}")
        return value

    return parse


def _parser() -> argparse.ArgumentParser:
    defaults = Limits()
    parser = argparse.ArgumentParser(
        prog="python -m modelarts_contract.drift",
        description="Compare a published API reference page with the OpenAPI spec. Layouts: doc-exports "
        "HTML, Sphinx-rendered HTML, reStructuredText (told by content).",
    )
    parser.add_argument("document", help="the reference page: a file, or an http(s) URL (fetched and cached)")
    parser.add_argument("--spec", type=Path, default=None, help=f"OpenAPI spec (default: {PACKAGED})")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="report format")
    parser.add_argument("--offline", action="store_true", help="a URL is read from the cache only")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help=f"where fetched pages are kept (default: {default_cache_dir()})",
    )
    parser.add_argument(
        "--max-bytes", type=_positive(int), default=defaults.max_bytes, help="largest page read (bytes)"
    )
    parser.add_argument(
        "--timeout", type=_positive(float), default=defaults.deadline, help="seconds for the whole fetch"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse exits on bad usage and --help; return the status instead
        return int(exc.code or 0)
    try:
        if is_url(args.document):
            limits = Limits(max_bytes=args.max_bytes, deadline=args.timeout)
            cache_dir = args.cache_dir or default_cache_dir()
            got = fetch(args.document, cache_dir, offline=args.offline, limits=limits)
        else:
            got = read_file(Path(args.document), args.max_bytes)
        page = parse_page(got.text)
        spec = load_spec(args.spec)
        diffs = compare(page, spec)
    except (OSError, UnicodeDecodeError, FetchError, PageFormatError, yaml.YAMLError, ValueError) as exc:
        print(f"drift: error: {exc}", file=sys.stderr)
        return 2
    source = Source(args.document, page.layout, got.fetched_at, got.from_cache)
    spec_name = str(args.spec) if args.spec else PACKAGED
    print(
        render_json(diffs, source, spec_name)
        if args.format == "json"
        else render_text(diffs, source, spec_name)
    )
    return 1 if summary(diffs)["undeclared"] else 0


if __name__ == "__main__":
    sys.exit(main())
