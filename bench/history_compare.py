"""Benchmark: `compare` and `history` on a year of nightly ledgers.

Makes 365 synthetic ledgers (the spec's clauses; one clause broken for a month, one flapping, a few
"data changed" and "not exercised" nights, requests around 440) in a temporary directory, then times
the two commands as a user runs them (a fresh process each, start-up included: wall and CPU time,
the CPU time being what a loaded shared machine does not inflate) and prints the size of the
history page. Not a test: nothing here asserts; the targets are under 2 s each and a page
under 1 MB.

    python bench/history_compare.py [--runs 365] [--timings] [--flapping]

--timings adds a "timings" record (p50, p95, max) to every ledger, as a suite that records response
times would, so that the second plot is drawn and counted in the page size. --flapping makes every
clause change its verdict every night: the largest page.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from modelarts_contract.contract import load_contract

START = datetime(2026, 1, 1, 2, 0, tzinfo=UTC)
TESTS = [f"contract/test_relations.py::test_relation[relation-number-{n}]" for n in range(9)]


def verdict_record(kind: str) -> dict[str, Any]:
    exercised = 0 if kind == "none" else 12
    broken = 3 if kind == "broken" else 0
    failure = {
        "request": "curl -sS 'http://127.0.0.1/v1/p/images/group?limit=5'",
        "expected": "pages in [1]",
        "actual": "pages == 0",
    }
    return {
        "exercised": exercised,
        "broken": broken,
        "data_changed": 1 if kind == "changed" else 0,
        "first_failure": failure if broken else None,
        "tests": TESTS,  # as many as a real run records (about 9 a clause): a ledger of ~20 KB
        "broken_by": {TESTS[0]: broken} if broken else {},
    }


def verdicts(day: int, clauses: list[str], rng: random.Random, flapping: bool) -> dict[str, str]:
    if flapping:
        return {cid: "broken" if (day + i) % 2 else "held" for i, cid in enumerate(clauses)}
    kinds = {cid: "held" for cid in clauses}
    kinds[clauses[5]] = "broken" if 200 <= day < 230 else "held"  # a month of breakage
    kinds[clauses[9]] = rng.choice(("held", "held", "broken"))  # a flapping clause
    kinds[clauses[14]] = "changed" if rng.random() < 0.1 else "held"
    kinds[clauses[-1]] = "none" if rng.random() < 0.2 else "held"
    return kinds


def nightly(
    day: int, clauses: list[str], rng: random.Random, timings: bool, flapping: bool
) -> dict[str, Any]:
    kinds = verdicts(day, clauses, rng, flapping)
    document: dict[str, Any] = {
        "schema_version": 1,
        "written": (START + timedelta(days=day)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "clauses": {cid: verdict_record(kind) for cid, kind in kinds.items()},
        "exitstatus": 1 if "broken" in kinds.values() else 0,
        "transport": {"sent": 430 + rng.randint(0, 30), "retries": 0, "refused": 0},
    }
    if timings:
        p50 = 0.05 + rng.random() * 0.02
        document["timings"] = {"p50": p50, "p95": p50 * 3, "max": p50 * 8}
    return document


def make_ledgers(folder: Path, runs: int, timings: bool, flapping: bool) -> None:
    clauses = list(load_contract().clauses)
    rng = random.Random(20240618)
    for day in range(runs):
        report_dir = folder / f"run-{day:03d}"  # a folder of report directories, as CI artifacts land
        report_dir.mkdir()
        (report_dir / "ledger.json").write_text(
            json.dumps(nightly(day, clauses, rng, timings, flapping)), encoding="utf-8"
        )


def timed(command: list[str]) -> tuple[float, float, int]:
    """Wall time, CPU time (user + system: what the machine's other load does not inflate), exit."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu, result.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=365)
    parser.add_argument("--timings", action="store_true", help="ledgers with response times")
    parser.add_argument("--flapping", action="store_true", help="every clause changes every night")
    args = parser.parse_args()
    tool = [sys.executable, "-m", "modelarts_contract.commands"]
    with tempfile.TemporaryDirectory(prefix="history-bench-") as tmp:
        ledgers, out = Path(tmp) / "ledgers", Path(tmp) / "out"
        ledgers.mkdir()
        make_ledgers(ledgers, args.runs, args.timings, args.flapping)
        first, last = ledgers / "run-000", ledgers / f"run-{args.runs - 1:03d}"
        compare_wall, compare_cpu, compare_exit = timed([*tool, "compare", str(first), str(last)])
        history_wall, history_cpu, history_exit = timed([*tool, "history", str(ledgers), "-o", str(out)])
        page = (out / "history.html").stat().st_size
        md = (out / "history.md").stat().st_size
    print(
        f"ledgers: {args.runs} (timings: {'yes' if args.timings else 'no'}, flapping: {'yes' if args.flapping else 'no'})"
    )
    print(
        f"compare first..last: {compare_wall:.2f} s wall, {compare_cpu:.2f} s CPU (exit {compare_exit}), a fresh process"
    )
    print(
        f"history of {args.runs} runs: {history_wall:.2f} s wall, {history_cpu:.2f} s CPU (exit {history_exit}), a fresh process"
    )
    print(f"history.html: {page:,} bytes ({page / 1_000_000:.3f} MB); history.md: {md:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
