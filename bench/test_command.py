"""Benchmark: the README's test command, `python -m pytest`, end to end, as CI runs it.

Prints the wall time, pytest's exit status and its last line (the counts), so that the claim
"the test command runs in at most 4 minutes on the 2-core machine" comes with its figure.
Not a test: nothing here asserts.

    python bench/test_command.py [--runs 1] [-- extra pytest args]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from modelarts_contract.matrix.harness import ENV_PREFIXES

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("pytest_args", nargs="*")
    args = parser.parse_args(argv)
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIXES)}
    for index in range(args.runs):
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "pytest", *args.pytest_args],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800, check=False,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        last = (result.stdout.strip().splitlines() or ["(no output)"])[-1]
        print(f"run {index + 1}: wall {seconds:.1f} s, pytest exit {result.returncode}: {last}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
