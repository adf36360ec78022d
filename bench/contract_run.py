"""Benchmark: one default run of the contract suite against a reference server.

Prints wall time and the requests the server answered (counted server-side), so claims about speed
and politeness come with both figures, and the requests per check family (the run's ledger). Not a
test: nothing here asserts.

    python bench/contract_run.py [--runs 3] [--groups 20000] [-- extra pytest args]

Without --groups the server holds the default dataset (340 groups, as the embedded server); with
it, a tenant of that many groups, to see what a large tenant costs (R18: listings are read page
by page).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from modelarts_contract.matrix.harness import ENV_PREFIXES, suite_environment
from modelarts_contract.reference import build_app, default_dataset, large_dataset, serve

ROOT = Path(__file__).resolve().parents[1]


def one_run(extra: list[str], groups: int | None) -> tuple[float, Counter[str], int, str, dict[str, int]]:
    dataset = default_dataset() if groups is None else large_dataset(groups)
    with serve(build_app(dataset)) as server, tempfile.TemporaryDirectory(prefix="bench-") as reports:
        env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIXES)}
        env |= suite_environment(server.url, dataset.projects)
        command = [sys.executable, "-m", "pytest", "tests/contract", "-q", "-p", "no:cacheprovider"]
        started = time.perf_counter()
        result = subprocess.run(
            [*command, "--report-dir", reports, *extra],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800, check=False,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        methods = Counter(r.method for r in server.requests.snapshot())
        last = (result.stdout.strip().splitlines() or ["(no output)"])[-1]
        return seconds, methods, result.returncode, last, _families(Path(reports) / "ledger.json")


def _families(ledger: Path) -> dict[str, int]:
    """Requests per check family, as the run's ledger counted them ({} without a ledger)."""
    try:
        families = json.loads(ledger.read_text(encoding="utf-8"))["transport"]["families"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return {str(name): int(count) for name, count in families.items()}


def _family_lines(runs: list[dict[str, int]]) -> list[str]:
    """Per family, the median of its requests over the runs, the costliest first."""
    names = sorted({name for run in runs for name in run})
    medians = {name: statistics.median(run.get(name, 0) for run in runs) for name in names}
    width = max((len(name) for name in names), default=0)
    return [
        f"  {name.ljust(width)}  {medians[name]:g}" for name in sorted(names, key=lambda n: (-medians[n], n))
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--groups", type=int, help="a tenant of this many groups instead of the default data")
    parser.add_argument("pytest_args", nargs="*")
    args = parser.parse_args(argv)
    times, requests, families = [], [], []
    for index in range(args.runs):
        seconds, methods, code, last, per_family = one_run(args.pytest_args, args.groups)
        times.append(seconds)
        requests.append(sum(methods.values()))
        families.append(per_family)
        print(
            f"run {index + 1}: wall {seconds:.2f} s, requests answered {sum(methods.values())} "
            f"({dict(methods)}), pytest exit {code}: {last}"
        )
    if len(times) > 1:
        print(
            f"median wall {statistics.median(times):.2f} s, median requests {statistics.median(requests):g} "
            f"over {len(times)} runs"
        )
    print("requests per check family (median over the runs):")
    print("\n".join(_family_lines(families)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
