"""Benchmark: one default run of the contract suite against the embedded reference server.

Prints wall time and the requests the server answered (counted server-side), so claims about speed
and politeness come with both figures. Not a test: nothing here asserts.

    python bench/contract_run.py [--runs 3] [-- extra pytest args]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from modelarts_contract.reference import build_app, default_dataset, serve
from modelarts_contract.variants.harness import suite_environment

ROOT = Path(__file__).resolve().parents[1]


def one_run(extra: list[str]) -> tuple[float, int, Counter, int]:
    dataset = default_dataset()
    with serve(build_app(dataset)) as server:
        env = suite_environment(server.url, dataset.projects)
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "tests/contract", "-q", "-p", "no:cacheprovider", *extra],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        seconds = time.perf_counter() - started
        methods = Counter(r.method for r in server.requests.snapshot())
        return seconds, sum(methods.values()), methods, result.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("pytest_args", nargs="*")
    args = parser.parse_args(argv)
    times = []
    for index in range(args.runs):
        seconds, requests, methods, code = one_run(args.pytest_args)
        times.append(seconds)
        print(
            f"run {index + 1}: wall {seconds:.2f} s, requests answered {requests} "
            f"({dict(methods)}), pytest exit {code}"
        )
    if len(times) > 1:
        print(f"median wall {statistics.median(times):.2f} s over {len(times)} runs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
