"""Benchmark: one default run of the contract suite against a reference server.

Prints wall time and the requests the server answered (counted server-side), so claims about speed
and politeness come with both figures. Not a test: nothing here asserts.

    python bench/contract_run.py [--runs 3] [--groups 20000] [-- extra pytest args]

Without --groups the server holds the default dataset (340 groups, as the embedded server); with
it, a tenant of that many groups, to see what a large tenant costs (R18: listings are read page
by page).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from modelarts_contract.matrix.harness import ENV_PREFIXES, suite_environment
from modelarts_contract.reference import build_app, default_dataset, large_dataset, serve

ROOT = Path(__file__).resolve().parents[1]


def one_run(extra: list[str], groups: int | None) -> tuple[float, Counter[str], int, str]:
    dataset = default_dataset() if groups is None else large_dataset(groups)
    with serve(build_app(dataset)) as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIXES)}
        env |= suite_environment(server.url, dataset.projects)
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "tests/contract", "-q", "-p", "no:cacheprovider", *extra],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800, check=False,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        methods = Counter(r.method for r in server.requests.snapshot())
        last = (result.stdout.strip().splitlines() or ["(no output)"])[-1]
        return seconds, methods, result.returncode, last


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--groups", type=int, help="a tenant of this many groups instead of the default data")
    parser.add_argument("pytest_args", nargs="*")
    args = parser.parse_args(argv)
    times = []
    for index in range(args.runs):
        seconds, methods, code, last = one_run(args.pytest_args, args.groups)
        times.append(seconds)
        print(
            f"run {index + 1}: wall {seconds:.2f} s, requests answered {sum(methods.values())} "
            f"({dict(methods)}), pytest exit {code}: {last}"
        )
    if len(times) > 1:
        print(f"median wall {statistics.median(times):.2f} s over {len(times)} runs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
