"""Benchmark: what the default contract suite costs as the tenant grows (R18: any size).

For each tenant size the reference server holds that many image groups (workspace "0" of the main
project, `reference.large_dataset`) and the default suite runs against it; printed per size: pytest's
exit status, tests passed/failed/skipped, the requests the server answered (counted server-side, by
method) and the wall time. Then every paging mutant (each mutant of the catalogue whose clause is an
R9 clause) runs against the largest tenant, as the kill matrix runs it (the tests that exercised its
clause on the reference at that size, stopping at the kill), and is printed killed or not, with its
requests and wall time. Not a test: nothing here asserts.

    python bench/tenant_sizes.py [--sizes 0,1,300,2000,20000] [--mutant-groups 20000] [--no-mutants]
        [--only-mutants] [--full]

Every run is in this process, through the kill-matrix harness (`matrix.harness.run_variant`), with
the heavy imports paid before the first timing; a run's wall time covers the dataset's server start,
collection and the tests.
"""

from __future__ import annotations

import argparse
import logging
import re
import time
from collections import Counter

from modelarts_contract import variants
from modelarts_contract.cli import suite_dir
from modelarts_contract.matrix.harness import (
    REFERENCE,
    VariantResult,
    _relative,
    _warm_up,
    run_variant,
    select_tests,
)
from modelarts_contract.reference import Dataset, large_dataset
from modelarts_contract.variants import Variant

DEFAULT_SIZES = (0, 1, 300, 2000, 20000)
_COUNTS = re.compile(r"(\d+) (passed|failed|skipped|errors?|xfailed|xpassed|deselected)")


def paging_mutants() -> list[Variant]:
    """The catalogue's mutants of an R9 clause (found by clause, so a new one is included)."""
    return [v for v in variants.mutants() if any(c.startswith("R9.") for c in v.clauses)]


def counts(result: VariantResult) -> Counter[str]:
    """Tests per outcome, from pytest's last summary line."""
    lines = [line for line in result.output_tail.splitlines() if " in " in line and _COUNTS.search(line)]
    found: Counter[str] = Counter()
    for number, outcome in _COUNTS.findall(lines[-1] if lines else ""):
        found[outcome.rstrip("s") if outcome.startswith("error") else outcome] += int(number)
    return found


def reference_run(dataset: Dataset) -> VariantResult:
    return run_variant(variants.reference_variant(f"{REFERENCE}-token"), dataset=dataset)


def size_line(groups: int, result: VariantResult, build_seconds: float) -> str:
    n = counts(result)
    return (
        f"{groups:>7} groups: exit {result.exit_code}, {n['passed']} passed, {n['failed']} failed, "
        f"{n['skipped']} skipped, {n['error']} errors; requests {result.requests} "
        f"({', '.join(sorted(result.methods)) or '-'}); wall {result.seconds:.1f} s "
        f"(dataset built in {build_seconds:.1f} s)"
    )


def mutant_line(result: VariantResult) -> str:
    scope = f"{result.tests} tests" if result.tests else "whole suite"
    return (
        f"  {result.name:26} {', '.join(result.expected):20} {result.verdict:22} "
        f"broken {', '.join(result.broken) or '-'}; {scope}, {result.requests} requests, {result.seconds:.1f} s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default=",".join(map(str, DEFAULT_SIZES)),
        help="comma-separated tenant sizes, in groups (default %(default)s)",
    )
    parser.add_argument("--mutant-groups", type=int, default=max(DEFAULT_SIZES), help="tenant of the mutants")
    parser.add_argument("--mutants", dest="mutants", action="store_true", default=True)
    parser.add_argument("--no-mutants", dest="mutants", action="store_false", help="skip the paging mutants")
    parser.add_argument("--only-mutants", action="store_true", help="skip the sizes other than the mutants'")
    parser.add_argument(
        "--full", action="store_true", help="mutants run the whole suite, not stopping at the kill"
    )
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if args.only_mutants:
        sizes = [args.mutant_groups]
    logging.getLogger("modelarts_contract.reference").addHandler(logging.NullHandler())
    _warm_up()  # imports once, outside every timing

    print("default suite per tenant size:")
    at_mutant_size: VariantResult | None = None
    mutant_dataset: Dataset | None = None
    for groups in sizes:
        started = time.perf_counter()
        dataset = large_dataset(groups)
        built = time.perf_counter() - started
        result = reference_run(dataset)
        print(size_line(groups, result, built), flush=True)
        if result.exit_code not in (0, None) or groups == args.mutant_groups:
            print("    " + "\n    ".join(result.output_tail.splitlines()[-12:]), flush=True)
        if groups == args.mutant_groups:
            at_mutant_size, mutant_dataset = result, dataset

    if not args.mutants:
        return 0
    if at_mutant_size is None or mutant_dataset is None:
        mutant_dataset = large_dataset(args.mutant_groups)
        at_mutant_size = reference_run(mutant_dataset)
        print(size_line(args.mutant_groups, at_mutant_size, 0.0))
    exercised = _relative(at_mutant_size.exercised, suite_dir())
    chosen = paging_mutants()
    print(f"\npaging mutants ({len(chosen)}) against {args.mutant_groups} groups:")
    killed = 0
    for variant in chosen:
        tests = [] if args.full else select_tests(exercised, variant.clauses)
        if not args.full and not tests:
            print(f"  {variant.name:26} {', '.join(variant.clauses):20} NOT EXERCISED at this size")
            continue
        result = run_variant(variant, tests=tests, stop_when_killed=not args.full, dataset=mutant_dataset)
        killed += result.killed
        print(mutant_line(result), flush=True)
    print(f"killed by their clause: {killed}/{len(chosen)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
