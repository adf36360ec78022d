"""What several self-test modules share: the contract suite run as users run it (a subprocess), a
fake clock, and reference servers that answer the preflight as the reference and then misbehave.

Test modules import from here, never from one another (test_helpers.py checks it).
"""

from __future__ import annotations

import itertools
import math
import os
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.self.forkserver import run_pytest
from werkzeug.wrappers import Request, Response

from modelarts_contract.environment import EXIT_INCOMPLETE
from modelarts_contract.reference import ReferenceApp, build_app, data, default_dataset, serve

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "tests" / "contract"
# The preflight and one request (run_suite's `tests`; a test id, so that no other module is collected).
ONE_TEST = f"{CONTRACT / 'test_auth.py'}::test_configured_credentials_are_accepted"
DEFAULT_PAGE = (
    f"{CONTRACT / 'test_relations.py'}::test_relation[default-page]"  # one test: the default page (R9)
)
# The contract tests that send credentials of their own making or derive them from the configured
# ones (R1, the near misses), and a relation that reads pages with the configured ones well after
# the preflight (25 requests in all): what a self-test of credential handling needs to run, not the
# whole suite (run_suite's `tests`).
CREDENTIAL_TESTS = (
    CONTRACT / "test_auth.py",
    CONTRACT / "test_near_miss.py",
    f"{CONTRACT / 'test_relations.py'}::test_relation[record-offsets]",
)
ENV_PREFIXES = ("MODELARTS_", "HUAWEICLOUD_SDK_")
SLOW_ANSWER = 0.4  # seconds SlowAfterFirst takes over each answer after the preflight
_SENT = re.compile(
    r"requests sent: (\d+), retries: (\d+), waited: ([\d.]+) s .* refused: (\d+), budget left: (\d+)"
)


@dataclass
class SuiteRun:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    @property
    def transport(self) -> dict[str, float]:
        """The summary line's figures: sent, retries, waited, refused, left."""
        match = _SENT.search(self.stdout)
        assert match, "no transport summary line in:\n" + self.output[-3000:]
        names = ("sent", "retries", "waited", "refused", "left")
        return {name: float(value) for name, value in zip(names, match.groups(), strict=True)}


def remote_env(url: str, **extra: str) -> dict[str, str]:
    """The environment for a run against `url` with the reference server's main credentials."""
    env = {
        "MODELARTS_BASE_URL": url,
        "MODELARTS_PROJECT_ID": data.MAIN_PROJECT_ID,
        "MODELARTS_OTHER_PROJECT_ID": data.OTHER_PROJECT_ID,
        "MODELARTS_AUTH_TOKEN": data.MAIN_TOKEN,
        "MODELARTS_RATE_LIMIT": "none",  # loopback servers: no pacing needed
    }
    return {**env, **extra}


def clean_environment(**extra: str) -> dict[str, str]:
    """This process's environment without MODELARTS_*/HUAWEICLOUD_SDK_* variables, plus `extra`."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIXES)}, **extra}


def run_suite(
    env: dict[str, str],
    *args: str,
    tests: Path | str | Sequence[Path | str] = CONTRACT,
    cwd: Path = ROOT,
    timeout: float = 300,
) -> SuiteRun:
    """pytest on `tests` (a path or test id, or several) in a subprocess (forked by the session's
    fork server when it can), with only the given MODELARTS_*/HUAWEICLOUD_SDK_* variables."""
    paths = [tests] if isinstance(tests, Path | str) else list(tests)
    command = [sys.executable, "-m", "pytest", *map(str, paths), "-p", "no:cacheprovider", "-q", *args]
    proc = run_pytest(
        command,
        cwd=cwd,
        env=clean_environment(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return SuiteRun(proc.returncode, proc.stdout, proc.stderr)


class FakeTime:
    """A monotonic clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class AfterPreflight(ReferenceApp):
    """The reference for the first request (the preflight); every later one gets `after`."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.turns = itertools.count(1)  # next() is atomic: the server's threads share it

    def reference(self, request: Request) -> Response:
        return super().handle(request)

    def after(self, request: Request, turn: int) -> Response:
        raise NotImplementedError

    def handle(self, request: Request) -> Response:
        turn = next(self.turns)
        return self.reference(request) if turn == 1 else self.after(request, turn)


class SlowAfterFirst(AfterPreflight):
    """The reference, each answer after the preflight SLOW_ANSWER s late: a slow service, not a broken one."""

    def after(self, request: Request, turn: int) -> Response:
        time.sleep(SLOW_ANSWER)
        return self.reference(request)


def time_limited_run(limit: int, *args: str) -> tuple[SuiteRun, list[float]]:
    """The contract suite against a slow reference (SlowAfterFirst) with --max-duration `limit`: the
    run, and when each request arrived at the server (its monotonic clock, the machine's)."""
    with serve(build_app(default_dataset(), app_cls=SlowAfterFirst)) as server:
        run = run_suite(remote_env(server.url, MODELARTS_MAX_DURATION=str(limit)), *args, timeout=limit + 120)
        return run, sorted(r.received_at for r in server.requests)


def time_limited_run_under_way(*args: str, workers: int = 1) -> tuple[int, SuiteRun, list[float]]:
    """A time_limited_run that was under way when its limit passed (a test's request reached the
    server), and its limit.

    The limit runs from pytest's start, so on a busy machine a short one can pass before pytest, or
    its xdist workers, have even started; such a run proves nothing, and is repeated with a limit 4 s
    longer than that whole run took (three runs at most). Every run must end with exit 7 and no more
    requests than `workers` could send before the limit, SLOW_ANSWER s apart.
    """
    limit = 4
    for _ in range(3):
        started = time.monotonic()
        run, arrivals = time_limited_run(limit, *args)
        assert run.code == EXIT_INCOMPLETE, run.output[-3000:]
        assert len(arrivals) <= 1 + workers * (limit / SLOW_ANSWER + 1), (
            f"{len(arrivals)} requests in {limit} s"
        )
        if len(arrivals) > workers:  # the preflight, and a test's request from each worker at least once
            return limit, run, arrivals
        limit = math.ceil(time.monotonic() - started) + 4
    pytest.fail(f"no run got under way before its limit, the last of {limit} s:\n{run.output[-3000:]}")
