"""CLI: ``python -m modelarts_contract.variants [--only NAME ...] [--workers 2] [--list]``."""

from __future__ import annotations

import argparse
import logging
import sys
import time

from . import CATALOGUE, get
from .harness import format_matrix, run_catalogue


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m modelarts_contract.variants",
        description="Run the contract suite against every variant of the reference server.",
    )
    p.add_argument("--only", nargs="+", metavar="NAME", help="run only these variants")
    p.add_argument("--workers", type=int, default=2, help="variants run at the same time (default 2)")
    p.add_argument("--timeout", type=float, default=240, help="seconds allowed per variant (default 240)")
    p.add_argument(
        "--first-failure",
        action="store_true",
        help="stop each run at its first failing test (-x): faster, but the credit for a kill may then go "
        "to whichever clause fails first",
    )
    p.add_argument("--list", action="store_true", help="print the catalogue and exit")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.list:
        for v in CATALOGUE.values():
            print(f"{v.name:30} {v.kind:7} {', '.join(v.clauses):22} {v.summary}")
        return 0
    try:
        variants = [get(name) for name in args.only] if args.only else list(CATALOGUE.values())
    except KeyError as exc:
        print(exc.args[0], file=sys.stderr)
        return 2
    # The crash mutants' 500s are the point; their logged tracebacks would bury the matrix.
    logging.getLogger("modelarts_contract.reference").addHandler(logging.NullHandler())
    started = time.monotonic()
    extra = ("-x",) if args.first_failure else ()
    results = run_catalogue(variants, workers=max(1, args.workers), timeout=args.timeout, extra_args=extra)
    print(format_matrix(results))
    print(f"{len(results)} variants in {time.monotonic() - started:.0f} s")
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
