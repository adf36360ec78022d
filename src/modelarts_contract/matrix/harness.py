"""Run the contract suite against each variant, in-process, and tabulate who killed what.

Each variant is served on loopback in the process that runs the suite on it with `pytest.main`, so
the server's request log is evidence of what the suite really sent (R16: GET only). Runs are
spread over a few worker processes, each importing the heavy libraries once.

A mutant runs the tests that exercised its clauses on the reference (the same auth mode), cheapest
first, and stops as soon as its own clause is broken: the kill is proven, and the rest could only
add kills. Benign variants run the whole suite: they must pass every test.
"""

from __future__ import annotations

import contextlib
import io
import multiprocessing
import os
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from modelarts_contract import variants
from modelarts_contract.cli import PLUGIN, suite_dir
from modelarts_contract.pytest_plugin import run_of
from modelarts_contract.reference import Dataset, serve
from modelarts_contract.variants import Variant

from . import heap

ENV_PREFIXES = ("MODELARTS_", "HUAWEICLOUD_SDK_")
TAIL_LINES = 40
REFERENCE = "reference"  # the runs that map which tests exercise which clause
# Cheapest first: a mutant's kill usually comes from a single request long before generation.
_COST = ("test_auth", "test_edges", "test_relations", "test_generated")


@dataclass
class VariantResult:
    name: str
    kind: str
    exit_code: int | None  # None: the run raised
    broken: list[str]  # clause ids with broken > 0 in the ledger
    expected: tuple[str, ...]
    seconds: float
    requests: int  # requests the server received
    methods: set[str] = field(default_factory=set)  # methods the server saw
    tests: int = 0  # tests selected (0: the whole suite)
    output_tail: str = ""
    exercised: dict[str, list[str]] = field(default_factory=dict)  # clause -> tests (reference runs)

    @property
    def killed(self) -> bool:
        return self.exit_code == 1 and any(c in self.broken for c in self.expected)

    @property
    def passed(self) -> bool:
        return self.exit_code == 0

    @property
    def verdict(self) -> str:
        if self.exit_code not in (0, 1):
            return "ERROR"
        if self.kind == "benign":
            return "PASSED" if self.passed else "FALSE-ALARM"
        if self.killed:
            return "KILLED"
        return "SURVIVED" if self.passed else "KILLED-BY-OTHER-CLAUSE"

    @property
    def ok(self) -> bool:
        return self.verdict in ("KILLED", "PASSED")

    def line(self) -> str:
        scope = f"{self.tests} tests" if self.tests else "whole suite"
        broken = ", ".join(self.broken) or "-"
        return (
            f"{self.name} ({self.kind}): {self.verdict}; broken {broken}; {scope}, {self.requests} requests, "
            f"{self.seconds:.1f} s"
        )


def suite_environment(url: str, projects: Sequence[Any], *, aksk: bool = False) -> dict[str, str]:
    """The variables that point a contract-suite run at a local server of these projects."""
    main, other = projects[0], projects[1]
    env = {
        "MODELARTS_BASE_URL": url,
        "MODELARTS_PROJECT_ID": main.project_id,
        "MODELARTS_OTHER_PROJECT_ID": other.project_id,
        "MODELARTS_RATE_LIMIT": "none",  # a local in-process server: no pacing
    }
    if aksk:
        env |= {"HUAWEICLOUD_SDK_AK": main.ak, "HUAWEICLOUD_SDK_SK": main.sk}
    else:
        env["MODELARTS_AUTH_TOKEN"] = main.token
    return env


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    for key in [k for k in os.environ if k.startswith(ENV_PREFIXES)]:
        del os.environ[key]
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


class _Watch:
    """A plugin of the nested run: stops it once the expected clause is broken; keeps the outcome."""

    def __init__(self, expected: tuple[str, ...], stop_when_killed: bool, tests: Sequence[str] = ()) -> None:
        self.expected, self.stop_when_killed = set(expected), stop_when_killed
        self.tests = list(tests)  # node ids to run, in this order (none: every test collected)
        self.session: pytest.Session | None = None
        self.outcome: Any = None

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.session = session

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        """Keep the chosen tests, in the chosen order. Chosen here, not by node ids on the command
        line: pytest before 9.2 cannot select schemathesis's generated test by its id."""
        if not self.tests:
            return
        found = {item.nodeid: item for item in items}
        missing = [test for test in self.tests if test not in found]
        if missing:
            raise pytest.UsageError(f"not collected: {', '.join(missing)}")
        chosen = [found[test] for test in dict.fromkeys(self.tests)]
        config.hook.pytest_deselected(items=[item for item in items if item.nodeid not in self.tests])
        items[:] = chosen

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if not (self.stop_when_killed and report.failed and self.session is not None):
            return
        if self.expected & set(run_of(self.session.config).outcome.ledger.broken_clauses()):
            self.session.shouldfail = "variant killed by its clause"

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.outcome = run_of(session.config).outcome


def run_variant(
    variant: Variant,
    *,
    tests: Sequence[str] = (),
    stop_when_killed: bool = False,
    extra_args: Iterable[str] = (),
    dataset: Dataset | None = None,
) -> VariantResult:
    """The suite (or the given test node ids) against `variant`, in this process; on `dataset`
    instead of the variant's own when given (a benchmark's tenant size: the variant's classes,
    and so what it gets wrong, stay the same)."""
    dataset = variant.dataset() if dataset is None else dataset
    root, started = suite_dir(), time.monotonic()
    watch = _Watch(variant.clauses, stop_when_killed and variant.kind == "mutant", tests)
    with (
        serve(variant.build(dataset)) as server,
        _environment(suite_environment(server.url, dataset.projects, aksk=variant.auth == "aksk")),
        heap.fresh_test_modules(root.parent),
        contextlib.redirect_stdout(io.StringIO()) as out,
        contextlib.redirect_stderr(out),
        contextlib.chdir(root.parent),
    ):
        exit_code = _pytest_main(_suite_args(root, tests, extra_args), watch)
        recorded = server.requests.snapshot()
    records = watch.outcome.ledger.as_dict() if watch.outcome is not None else {}
    return VariantResult(
        name=variant.name,
        kind=variant.kind,
        exit_code=exit_code,
        broken=sorted(cid for cid, record in records.items() if record["broken"]),
        expected=variant.clauses,
        seconds=time.monotonic() - started,
        requests=len(recorded),
        methods={r.method for r in recorded},
        tests=len(tests),
        output_tail="\n".join(out.getvalue().splitlines()[-TAIL_LINES:]),
        exercised={cid: record["tests"] for cid, record in records.items()},
    )


def _suite_args(root: Path, tests: Sequence[str], extra_args: Iterable[str]) -> list[str]:
    """pytest's arguments for the suite at `root` (or the modules of the given tests, which the run's
    _Watch picks out), quiet, without a report (an empty --report-dir): the verdict reads the run's
    ledger, in memory."""
    modules = dict.fromkeys(test.split("::", 1)[0] for test in tests)
    selected = [str(root.parent / module) for module in modules] or [str(root)]
    args = [*selected, "-q", "-p", PLUGIN, "-p", "no:cacheprovider", "--capture=sys", "-W", "ignore"]
    return [*args, "--rootdir", str(root.parent), "--report-dir", "", *extra_args]


def _pytest_main(args: list[str], watch: _Watch) -> int | None:
    """pytest's exit status; None when the run itself raised (printed, for the output's tail)."""
    try:
        return int(pytest.main(args, plugins=[watch]))
    except Exception as exc:  # a crash of the suite is a verdict of its own: ERROR
        print(f"the run raised {type(exc).__name__}: {exc}")
        return None


def select_tests(exercised: dict[str, list[str]], clauses: Iterable[str]) -> list[str]:
    """The tests that exercised any of `clauses` on the reference, cheapest first."""
    chosen = {test for clause in clauses for test in exercised.get(clause, ())}

    def cost(test: str) -> tuple[int, str]:
        module = test.split("::", 1)[0].rsplit("/", 1)[-1].removesuffix(".py")
        return (_COST.index(module) if module in _COST else len(_COST), test)

    return sorted(chosen, key=cost)


def _relative(exercised: dict[str, list[str]], root: Path) -> dict[str, list[str]]:
    """Node ids as paths relative to the suite's parent, whatever rootdir named them."""
    prefix = root.name + "/"
    return {c: [t[t.index(prefix) :] if prefix in t else t for t in tests] for c, tests in exercised.items()}


def _worker_run(
    name: str, tests: Sequence[str], stop_when_killed: bool, extra: Sequence[str]
) -> VariantResult:
    variant = variants.reference_variant(name) if name.startswith(REFERENCE) else variants.get(name)
    try:
        return run_variant(variant, tests=tests, stop_when_killed=stop_when_killed, extra_args=extra)
    finally:
        heap.freeze_after_first_run()


def _warm_up() -> None:
    """A worker imports this module to call it, and with it, once, what every run needs (the pytest
    plugin, schemathesis, hypothesis, the checks, the catalogue): frozen, for the worker keeps it."""
    heap.freeze()


class Matrix:
    """The kill matrix, computed in `workers` processes; results arrive as futures, in any order."""

    def __init__(
        self, variants: Sequence[Variant], workers: int = 2, *, full: bool = False, extra: Sequence[str] = ()
    ) -> None:
        self.variants = list(variants)
        self.full = full  # every mutant runs the whole suite, without stopping at the kill
        self.extra = tuple(extra)
        context = multiprocessing.get_context("spawn")
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_warm_up)
        self.futures: dict[str, Future[VariantResult]] = {}
        self._start()

    def _submit(self, name: str, tests: Sequence[str] = (), stop: bool = False) -> Future[VariantResult]:
        return self._pool.submit(_worker_run, name, list(tests), stop, self.extra)

    def _start(self) -> None:
        for variant in self.variants:
            self.futures[variant.name] = Future()
        mutants = [v for v in self.variants if v.kind == "mutant"]
        if self.full or not mutants:
            for variant in self.variants:
                _forward(self._submit(variant.name), self.futures[variant.name])
            return
        references = {mode: self._submit(f"{REFERENCE}-{mode}") for mode in sorted({v.auth for v in mutants})}
        # The longest runs first, so that both workers end on short ones: the benign variants (the
        # whole suite each) queue behind the reference runs, the mutants behind them, each once its
        # reference run (which tests exercise which clause) is there.
        for variant in [v for v in self.variants if v.kind == "benign"]:
            _forward(self._submit(variant.name), self.futures[variant.name])
        scheduler = threading.Thread(
            target=self._schedule, args=(references,), name="kill-matrix", daemon=True
        )
        scheduler.start()

    def _schedule(self, references: dict[str, Future[VariantResult]]) -> None:
        for variant in [v for v in self.variants if v.kind == "mutant"]:
            target = self.futures[variant.name]
            try:
                exercised = _relative(references[variant.auth].result().exercised, suite_dir())
                tests = select_tests(exercised, variant.clauses)
                _forward(self._submit(variant.name, tests, stop=True), target)
            except BaseException as exc:  # no reference run, or the pool is shut down
                target.set_exception(exc)

    def result(self, name: str, timeout: float | None = None) -> VariantResult:
        return self.futures[name].result(timeout)

    def results(self) -> list[VariantResult]:
        return [self.result(v.name) for v in self.variants]

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def _forward(source: Future[VariantResult], target: Future[VariantResult]) -> None:
    """`target` completes as `source` does."""

    def copy(done: Future[VariantResult]) -> None:
        if done.cancelled():
            target.cancel()
            return
        error = done.exception()
        if error is not None:
            target.set_exception(error)
        else:
            target.set_result(done.result())

    source.add_done_callback(copy)


def run_catalogue(
    variants: Iterable[Variant], workers: int = 2, *, full: bool = False, extra_args: Sequence[str] = ()
) -> list[VariantResult]:
    """Every variant, `workers` processes at a time; results in the order given."""
    matrix = Matrix(list(variants), workers, full=full, extra=extra_args)
    try:
        return matrix.results()
    finally:
        matrix.close()


def format_matrix(results: Sequence[VariantResult]) -> str:
    header = ("variant", "kind", "expected", "verdict", "broken", "tests", "requests", "seconds")
    rows = [
        (r.name, r.kind, ", ".join(r.expected), r.verdict, ", ".join(r.broken) or "-",
         str(r.tests) if r.tests else "all", str(r.requests), f"{r.seconds:.1f}")
        for r in results
    ]  # fmt: skip
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    rule = "  ".join("-" * w for w in widths)
    title = "  ".join(cell.ljust(w) for cell, w in zip(header, widths, strict=True)).rstrip()
    mutants = [r for r in results if r.kind == "mutant"]
    benign = [r for r in results if r.kind == "benign"]
    headline = (
        f"mutation score: {sum(r.killed for r in mutants)}/{len(mutants)} mutants killed by their clause; "
        f"benign: {sum(r.passed for r in benign)}/{len(benign)} pass"
    )
    return "\n".join([title, rule, *lines, "", headline])
