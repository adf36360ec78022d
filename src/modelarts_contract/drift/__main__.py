"""CLI: ``python -m modelarts_contract.drift DOC.html [--spec PATH] [--format text|json]``.

Exit status: 0 no undeclared drift, 1 undeclared drift, 2 usage error (unreadable input, not a
reference page of this format, unusable spec).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from .compare import compare, load_spec
from .page import PageFormatError, parse_page
from .report import render_json, render_text, summary

PACKAGED = "the packaged spec (openapi/images-group.yaml)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m modelarts_contract.drift",
        description="Compare a published API reference page (OTC/Huawei HTML export) with the OpenAPI spec.",
    )
    parser.add_argument(
        "document", type=Path, help="the reference page (HTML, optionally behind a text header)"
    )
    parser.add_argument("--spec", type=Path, default=None, help=f"OpenAPI spec (default: {PACKAGED})")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="report format")
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse exits on bad usage and --help; return the status instead
        return int(exc.code or 0)
    try:
        page = parse_page(args.document.read_text(encoding="utf-8"))
        spec = load_spec(args.spec)
        diffs = compare(page, spec)
    except (OSError, UnicodeDecodeError, PageFormatError, yaml.YAMLError, ValueError) as exc:
        print(f"drift: error: {exc}", file=sys.stderr)
        return 2
    render = render_json if args.format == "json" else render_text
    print(render(diffs, str(args.document), str(args.spec) if args.spec else PACKAGED))
    return 1 if summary(diffs)["undeclared"] else 0


if __name__ == "__main__":
    sys.exit(main())
