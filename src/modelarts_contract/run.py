"""The state of one run of the suite: its options, target, ledger and outcome.

The pytest plugin keeps one `Run` per pytest session (in the config's stash). Under xdist every
worker has its own; what each found (`outcome.RunOutcome`) goes back to the controller, which
merges it.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from modelarts_contract import __version__
from modelarts_contract.baseline import Baseline, baseline_record
from modelarts_contract.config import ENVIRONMENT, SuiteConfig
from modelarts_contract.contract import load_contract
from modelarts_contract.credentials import IamError, RunToken
from modelarts_contract.fence import fence
from modelarts_contract.hooks import Catalogue
from modelarts_contract.ledger_file import stamp
from modelarts_contract.meter import (
    Meter,
    SharedMeter,
    TransportStats,
    describe_duration,
    exclusive,
    family_of,
)
from modelarts_contract.neutral import neutral
from modelarts_contract.outcome import RunOutcome
from modelarts_contract.preflight import preflight
from modelarts_contract.recording.player import NotInRecording
from modelarts_contract.recording.session import Recording
from modelarts_contract.redact import Redactor
from modelarts_contract.reference import build_app, default_dataset, serve
from modelarts_contract.report import write_run_reports
from modelarts_contract.stops import LimitReached, RunDeadlinePassed
from modelarts_contract.target import Target

FALLBACK_OTHER_PROJECT = "0" * 31 + "1"
PREFLIGHT = "the first request (before any test)"
EMBEDDED = "embedded reference server"
Stop = tuple[str, str]  # (kind, why): "environment" (exit 6) or a limit's kind (exit 7)
UNUSED_WITHOUT_URL = ("project_id", "other_project_id", "auth_token", "ak")  # "ak": AK/SK come in pairs


class Run:
    def __init__(
        self,
        config: SuiteConfig,
        shared: dict[str, Any] | None = None,
        catalogue: Catalogue | None = None,
        recording: Recording | None = None,
    ) -> None:
        self.config = config
        self.recording = recording or Recording()  # --record / --replay
        self.catalogue = catalogue  # the variants (modelarts_contract.hooks), from the pytest plugin
        self.redactor = Redactor(config.secrets)
        self.outcome = RunOutcome()
        self._stack = ExitStack()
        self._target: Target | None = None
        self._preflight_done = False
        self.told: set[str] = set()  # clauses a failed test has told in full (summary.findings)
        self.started = time.monotonic()
        self.subset: str | None = None  # set by the plugin: the pytest selection that narrowed the run
        self.baseline: Baseline | None = None  # set by the plugin: --baseline, read before any request
        # From the xdist controller: the meter (one budget, one pace) and the preflight every worker shares.
        self._shared = shared
        self.meter: Meter = (
            SharedMeter.open(shared["meter"])
            if shared
            else Meter(config.max_requests, config.rate_per_second, max_duration=config.max_duration)
        )
        # Password auth: the IAM token of the run; every token it gets is scrubbed from the outputs.
        self._token = RunToken(config.login, shared, config.timeout, config.verify,
                               lambda token: self.redactor.remember_secret(token)) if config.login else None  # fmt: skip

    # -- the target --------------------------------------------------------------------------

    def target(self) -> Target:
        """The run's one target, built on first use; every request to its origin obeys its guard."""
        if self._target is None:
            config = self.config
            if config.base_url is not None:
                other = config.other_project_id or FALLBACK_OTHER_PROJECT
                config = dataclasses.replace(config, other_project_id=other)
            else:
                config = serve_embedded(config, self._stack, self.catalogue)
            renewing = None
            if self._token:  # the token comes from IAM (IamError: exit 6), and so may the project id
                renewing, project_id, token = self._token.for_target(config.project_id)
                # The first token in the config: the R1 near misses are derived from it.
                config = dataclasses.replace(config, project_id=project_id, auth_token=token)
                self.config = dataclasses.replace(self.config, project_id=config.project_id)
            # One redactor for the run: the signatures the transport sends land where outputs are scrubbed.
            self.redactor = Redactor({*self.redactor.secrets, *config.secrets})
            ledger, times = self.outcome.ledger, self.outcome.times
            target = Target(config, load_contract(), ledger, self.meter, self.redactor, times, renewing)
            self._target = target
            self.recording.attach(
                target.session.guard, config, self.redactor, self.config.base_url or EMBEDDED
            )
            self._stack.enter_context(fence(target.session.guard))
            self._stack.callback(target.session.close)
            self.outcome.involved = True
        return self._target

    def preflight(self) -> tuple[str, str] | None:
        """One request before the tests, once per run (xdist workers share it). A problem stops the
        run before any verdict: ("environment", why) exits 6; a limit reached on it, (kind, why), 7."""
        if not self._preflight_done:
            self._preflight_done = True
            stop = (
                shared_once(self._shared["preflight"], self._first_request)
                if self._shared
                else self._first_request()
            )
            if stop is not None:
                kind, problem = stop
                if kind == "environment":
                    self.outcome.environment = problem
                else:
                    self.outcome.limit_kind, self.outcome.limit = kind, problem
                    self.outcome.limit_reached_in = PREFLIGHT
                self.outcome.stopped_at_start = True
        if not self.outcome.stopped_at_start:
            return None
        if self.outcome.environment is not None:
            return "environment", self.outcome.environment
        return self.outcome.limit_kind or "limit", self.outcome.limit or ""

    def _first_request(self) -> tuple[str, str] | None:
        try:
            problem = preflight(self.target())
        except IamError as exc:  # refused or unreachable: nothing was sent to the target
            self.outcome.involved = True  # the summary and exit 6 follow, as for a target that failed
            return "environment", self.redactor.text(str(exc))
        except LimitReached as stop:  # a 429 waited out until the budget or the time ran out, say
            return stop.kind, f"{stop} on the first request (retries included)"
        except NotInRecording as stop:
            return "environment", f"the first request: {stop}"
        return None if problem is None else ("environment", problem)

    def limit_reached(self) -> bool:
        """No request may go out any more: the budget is spent or the time limit has passed (one that
        passed between requests is noted here: no refused request named it, and the summary would not)."""
        if self.meter.out_of_time():
            limit = describe_duration(self.config.max_duration)
            stop = RunDeadlinePassed(f"the run's time limit of {limit} (--max-duration) is reached")
            self.outcome.reached(stop, "the run")
            return True
        return self.meter.remaining == 0

    def transport(self) -> TransportStats:
        return self.meter.stats

    def verifier_test(self, nodeid: str) -> None:
        if self._target is not None:
            self._target.verifier.current_test = nodeid
        self.meter.family = family_of(nodeid)

    def shared_for_workers(self) -> dict[str, Any]:
        """xdist controller: from now on one meter, in a file, for every worker (made on first call)."""
        if self._shared is None:
            directory = tempfile.mkdtemp(prefix="modelarts-contract-")
            self._stack.callback(shutil.rmtree, directory, ignore_errors=True)
            c = self.config
            meter = SharedMeter.create(
                directory, c.max_requests, c.rate_per_second, c.max_duration, self.meter.ends_at
            )
            self._shared = {"meter": meter.describe(), "preflight": str(Path(directory) / "preflight.json")}
            self._shared.update(self._token.for_workers(self.redactor.text) if self._token else {})
            self.meter = meter
        return self._shared

    # -- output ------------------------------------------------------------------------------

    def where(self) -> str:
        replayed = self.recording.describe()
        if replayed is not None:
            return replayed
        if self.config.base_url is not None:
            return self.config.base_url
        variant = f" (variant {self.config.reference_variant})" if self.config.reference_variant else ""
        at = f" at {self._target.base_url}" if self._target is not None else ""
        return f"{EMBEDDED}{variant}{at}"

    def write_reports(self, report_dir: Path, exitstatus: int) -> list[str]:
        """The ledger and the report; one line per file that could not be written."""
        ledger = {**stamp(), "clauses": self.outcome.ledger.as_dict(), **ledger_context(self, exitstatus)}
        return write_run_reports(report_dir, ledger, catalogue=self.catalogue)

    def close(self) -> None:
        self._stack.close()


def ledger_context(run: Run, exitstatus: int) -> dict[str, Any]:
    """What the report needs to render the same page later, beside the clause records."""
    c = run.config
    outcome = run.outcome
    stop = outcome.environment or (outcome.limit_line(c.max_requests) if outcome.cut_short() else None)
    timings = outcome.times.record_for_ledger()  # "timings", and "slo" with --max-response-time
    return {
        **timings,
        **baseline_record(run.baseline, outcome.ledger.as_dict(), timings.get("slo")),
        "exitstatus": exitstatus,
        "stopped": stop,
        "transport": dataclasses.asdict(run.transport()),
        "run": {
            "target": run.recording.recorded_target() or run.config.base_url or EMBEDDED,
            "recording": run.recording.replayed(),
            "suite_version": __version__,
            "spec_version": load_contract().version,
            "seed": c.seed,
            "duration_s": round(time.monotonic() - run.started, 1),
            "subset": run.subset,
            "unused": unused_settings(run.config),
            "options": {"auth": c.auth_mode, **c.recorded_options()},
        },
    }


def shared_once(path: str, first_request: Callable[[], Stop | None]) -> Stop | None:
    """The preflight once for all xdist workers: the first to come sends it, the others read its answer."""
    result = Path(path)
    with exclusive(result.with_suffix(".lock")):
        if result.exists():
            answer = json.loads(result.read_text(encoding="utf-8"))["stop"]
            return None if answer is None else (answer[0], answer[1])
        stop = first_request()
        result.write_text(json.dumps({"stop": stop}), encoding="utf-8")
        return stop


def serve_embedded(config: SuiteConfig, stack: ExitStack, catalogue: Catalogue | None) -> SuiteConfig:
    """Start the reference server (or the variant asked for) and point a copy of `config` at it."""
    if config.reference_variant is None:
        dataset, aksk = default_dataset(), bool(config.ak)
        app = build_app(dataset)
    else:
        variant = (catalogue or {})[config.reference_variant]  # the plugin checked the name
        dataset, aksk = variant.dataset(), variant.auth == "aksk" or bool(config.ak)
        app = variant.build(dataset)
    # A crash of a mutant is its verdict (a 500), not a server traceback in every test's report.
    # (pytest's log capture reaches non-propagating loggers too: the level silences them.)
    quiet = logging.getLogger("modelarts_contract.reference")
    stack.callback(quiet.setLevel, quiet.level)
    quiet.setLevel(logging.CRITICAL + 1)
    server = stack.enter_context(serve(app))
    main, other = dataset.projects[0], dataset.projects[1]
    return dataclasses.replace(
        config,
        base_url=server.url,
        project_id=main.project_id,
        other_project_id=other.project_id,
        auth_token=None if aksk else main.token,
        ak=main.ak if aksk else None,
        sk=main.sk if aksk else None,
    )


def redact_report(redactor: Redactor, report: pytest.TestReport | pytest.CollectReport) -> None:
    """Every report (terminal, JUnit XML, other plugins) passes here: no secret may survive it,
    and no control character the target sent (a traceback can quote its bytes)."""

    def scrub(text: str) -> str:
        return neutral(redactor.scrub(text), lines=True)

    if isinstance(report.longrepr, tuple):
        path, line, message = report.longrepr
        report.longrepr = (path, line, scrub(message))
    elif report.longrepr is not None:
        text = str(report.longrepr)
        clean = scrub(text)
        if clean != text:
            report.longrepr = clean
    report.sections = [(title, scrub(content)) for title, content in report.sections]


def unused_settings(config: SuiteConfig) -> str | None:
    """Settings for a real target given without a base URL: the embedded server was tested."""
    if config.base_url is not None:
        return None
    given = [ENVIRONMENT[name] for name in UNUSED_WITHOUT_URL if getattr(config, name)]
    if not given:
        return None
    return (
        f"{', '.join(given)} set but no base URL ({ENVIRONMENT['base_url']}): they were not used, "
        f"the {EMBEDDED} was tested"
    )
