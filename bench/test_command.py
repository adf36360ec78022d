"""Benchmark: the README's test command (every tier), end to end, as CI runs it.

Runs the command three times (--runs) and prints each wall time, pytest's exit status and its last
line (the counts), then the median: the figure behind "the test command runs in at most 3 minutes
on the 2-core machine". The command is read from the README, so the figure is always the README's.
Note the machine's load beside the figure: the tests run servers, subprocesses and a kill matrix.
Not a test: nothing here asserts.

    python bench/test_command.py [--runs 3] [-- extra pytest args]
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

from modelarts_contract.matrix.harness import ENV_PREFIXES

ROOT = Path(__file__).resolve().parents[1]
# The README's quick start: "python -m pytest ...   # every test of the project: ..."
_COMMAND = re.compile(r"^(python -m pytest[^#\n]*?)\s+# every test of the project", re.M)


def readme_command() -> list[str]:
    match = _COMMAND.search((ROOT / "README.md").read_text(encoding="utf-8"))
    if match is None:
        raise SystemExit("README.md: no line 'python -m pytest ...  # every test of the project'")
    return shlex.split(match[1])


def one_run(command: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, *command[1:]],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    seconds = time.perf_counter() - started
    return seconds, result.returncode, (result.stdout.strip().splitlines() or ["(no output)"])[-1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("pytest_args", nargs="*")
    args = parser.parse_args(argv)
    command = readme_command() + args.pytest_args
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIXES)}
    print(f"command: {shlex.join(command)}")
    times = []
    for index in range(args.runs):
        load = os.getloadavg()[0]
        seconds, code, last = one_run(command, env)
        times.append(seconds)
        print(
            f"run {index + 1}: wall {seconds:.1f} s (load {load:.1f} at the start), pytest exit {code}: {last}"
        )
    print(f"median of {len(times)}: {statistics.median(times):.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
