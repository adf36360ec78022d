"""`modelarts-contract compare OLD NEW` and `modelarts-contract history DIR... -o OUT`.

Exit statuses: compare 0 nothing newly broken, 1 a clause newly broken; both 4 on a usage error or
a ledger that cannot be read (one line naming the file and why).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from modelarts_contract.ledger_file import LedgerError
from modelarts_contract.neutral import neutral

from . import clause_texts, compare, load_run, load_runs, render, write_history

EXIT_USAGE = 4


def _parse(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace | int:
    """The arguments, or the exit status argparse chose (0 for --help, EXIT_USAGE for bad usage)."""
    try:
        return parser.parse_args(argv)
    except SystemExit as exc:
        return 0 if not exc.code else EXIT_USAGE


def compare_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="modelarts-contract compare",
        description="What changed between two runs: newly broken, fixed, still broken, data changed, "
        "no longer exercised, newly exercised, and the requests sent. Exit 1 when a clause is newly broken.",
    )
    parser.add_argument("old", type=Path, help="the earlier run: a --report-dir or its ledger.json")
    parser.add_argument("new", type=Path, help="the later run: a --report-dir or its ledger.json")
    args = _parse(parser, argv)
    if isinstance(args, int):
        return args
    try:
        old, new = load_run(args.old), load_run(args.new)
    except LedgerError as exc:
        print(f"compare: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    texts = clause_texts()
    comparison = compare(old, new, {cid: i for i, cid in enumerate(texts)})
    print(render(comparison, texts))
    return 1 if comparison.newly_broken else 0


def history_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="modelarts-contract history",
        description="One HTML page and its Markdown twin (history.html, history.md) from folders of "
        "ledgers: each clause's verdict in every run, and the requests per run.",
    )
    parser.add_argument(
        "dirs",
        nargs="+",
        type=Path,
        metavar="DIR",
        help="a report directory, a folder of ledgers (*.json) or of report directories, or a ledger.json",
    )
    parser.add_argument(
        "-o", "--output", type=Path, required=True, metavar="OUT", help="folder to write into"
    )
    args = _parse(parser, argv)
    if isinstance(args, int):
        return args
    try:
        runs = load_runs(args.dirs)
        page, md = write_history(runs, args.output)
    except LedgerError as exc:
        print(f"history: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        why = "not a directory" if isinstance(exc, FileExistsError) else exc.strerror or str(exc)
        print(
            f"history: error: cannot write into {neutral(str(args.output))}: {neutral(why)}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    print(f"{neutral(str(page))}\n{neutral(str(md))}  ({len(runs)} runs)")
    return 0
