"""CLI: ``python -m modelarts_contract.matrix [--only NAME ...] [--workers 2] [--full] [--list]``."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from concurrent.futures import as_completed

from modelarts_contract.checks import registry
from modelarts_contract.variants import CATALOGUE, get

from .harness import Matrix, VariantResult, format_matrix


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m modelarts_contract.matrix",
        description="Run the contract suite against every variant of the reference server.",
    )
    p.add_argument("--only", nargs="+", metavar="NAME", help="run only these variants")
    p.add_argument("--workers", type=int, default=2, help="variants run at the same time (default 2)")
    p.add_argument(
        "--full",
        action="store_true",
        help="run the whole suite against every mutant, without stopping at its kill (slower; the default "
        "runs the tests that exercised the mutant's clause on the reference and stops once it is broken)",
    )
    p.add_argument("--list", action="store_true", help="print the catalogue and exit")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.list:
        for v in CATALOGUE.values():
            judged_by = sorted({c for clause in v.clauses for c in registry.checks_judging(clause)})
            print(f"{v.name:30} {v.kind:7} {', '.join(v.clauses):22} {v.summary}")
            print(f"{'':30} {'':7} judged by {', '.join(judged_by)}")
        return 0
    try:
        variants = [get(name) for name in args.only] if args.only else list(CATALOGUE.values())
    except KeyError as exc:
        print(exc.args[0], file=sys.stderr)
        return 2
    # The crash mutants' 500s are the point; their logged tracebacks would bury the matrix.
    logging.getLogger("modelarts_contract.reference").addHandler(logging.NullHandler())
    started = time.monotonic()
    matrix = Matrix(variants, max(1, args.workers), full=args.full)
    finished: dict[str, VariantResult] = {}
    try:
        for future in as_completed(matrix.futures.values()):  # a line per variant as it comes
            result = future.result()
            finished[result.name] = result
            print(f"[{len(finished)}/{len(matrix.futures)}] {result.line()}", flush=True)
    finally:
        matrix.close()
    results = [finished[variant.name] for variant in variants]
    print()
    print(format_matrix(results))
    print(f"{len(results)} variants in {time.monotonic() - started:.0f} s")
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
