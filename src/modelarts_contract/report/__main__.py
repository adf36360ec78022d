"""CLI: ``python -m modelarts_contract.report DIR [--title T] [--target URL]``.

Exit status: 0 reports written (whatever the verdicts), 2 ledger missing or malformed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from modelarts_contract.variants import CATALOGUE

from . import write_reports
from .model import DEFAULT_TITLE, LedgerError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m modelarts_contract.report",
        description="Write conformance.md and conformance.html from DIR/ledger.json (pytest --report-dir DIR).",
    )
    parser.add_argument("dir", type=Path, help="the --report-dir of a contract run")
    parser.add_argument("--title", default=DEFAULT_TITLE, help="page title")
    parser.add_argument("--target", default=None, help="base URL the run was against (shown redacted)")
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse exits on bad usage and --help; return the status instead
        return int(exc.code or 0)
    try:
        md, page = write_reports(
            args.dir / "ledger.json", args.dir, target=args.target, title=args.title, catalogue=CATALOGUE
        )
    except LedgerError as exc:
        print(f"report: error: {exc}", file=sys.stderr)
        return 2
    print(md)
    print(page)
    return 0


if __name__ == "__main__":
    sys.exit(main())
