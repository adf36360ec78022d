"""The state of one run of the suite: its options, target, ledger and outcome.

The pytest plugin keeps one `Run` per pytest session (in the config's stash). Under xdist every
worker has its own; what each found (`RunOutcome`) goes back to the controller, which merges it.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from modelarts_contract import __version__
from modelarts_contract.auth import RenewingTokenAuth
from modelarts_contract.checks.core import ClauseViolation, Ledger, Violations, describe_source
from modelarts_contract.config import ENVIRONMENT, SuiteConfig
from modelarts_contract.contract import load_contract
from modelarts_contract.credentials import IamError, TokenKeeper, keeper_for
from modelarts_contract.environment import EXIT_ENVIRONMENT
from modelarts_contract.hooks import Catalogue
from modelarts_contract.meter import Meter, SharedMeter, TransportStats, exclusive
from modelarts_contract.preflight import preflight
from modelarts_contract.redact import Redactor
from modelarts_contract.reference import build_app, default_dataset, serve
from modelarts_contract.report import write_reports
from modelarts_contract.stops import LimitReached
from modelarts_contract.target import Target
from modelarts_contract.transport import fence

FALLBACK_OTHER_PROJECT = "0" * 31 + "1"
PREFLIGHT = "the first request (before any test)"
LIMIT_OPTIONS = {
    "request-budget": f"--max-requests / {ENVIRONMENT['max_requests']}",
    "run-deadline": f"--max-duration / {ENVIRONMENT['max_duration']}",
}
EMBEDDED = "embedded reference server"


@dataclass
class RunOutcome:
    """What a run (or an xdist worker) found; mergeable."""

    ledger: Ledger = field(default_factory=Ledger)
    environment: str | None = None  # why the target became unusable
    stopped_at_start: bool = False  # the preflight failed: its exit message says it all
    # A limit the user set (the request budget, the run's time limit) stopped the run: which one
    # (LimitReached.kind), its message, the test it stopped, and how many tests were not run.
    limit_kind: str | None = None
    limit: str | None = None
    limit_reached_in: str | None = None
    skipped_for_limit: int = 0
    involved: bool = False  # a target was built: the summary has something to say

    def cut_short(self) -> bool:
        """A request was refused by a limit, or a test skipped for it (a budget spent to the last
        request by a run that still ran every test is no cut)."""
        return self.limit_reached_in is not None or self.skipped_for_limit > 0

    def reached(self, stop: LimitReached, where: str) -> None:
        if self.limit is None:
            self.limit_kind, self.limit, self.limit_reached_in = stop.kind, str(stop), where

    def merge(self, other: RunOutcome) -> None:
        self.ledger.merge(other.ledger)
        self.environment = self.environment or other.environment
        self.stopped_at_start = self.stopped_at_start or other.stopped_at_start
        if self.limit is None:
            self.limit_kind, self.limit = other.limit_kind, other.limit
            self.limit_reached_in = other.limit_reached_in
        self.skipped_for_limit += other.skipped_for_limit
        self.involved = self.involved or other.involved

    def as_dict(self) -> dict[str, Any]:
        return {
            "ledger": self.ledger.as_dict(),
            "environment": self.environment,
            "stopped_at_start": self.stopped_at_start,
            "limit_kind": self.limit_kind,
            "limit": self.limit,
            "limit_reached_in": self.limit_reached_in,
            "skipped_for_limit": self.skipped_for_limit,
            "involved": self.involved,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunOutcome:
        ledger = Ledger()
        ledger.merge(data["ledger"])
        return cls(
            ledger=ledger,
            environment=data["environment"],
            stopped_at_start=data["stopped_at_start"],
            limit_kind=data["limit_kind"],
            limit=data["limit"],
            limit_reached_in=data["limit_reached_in"],
            skipped_for_limit=data["skipped_for_limit"],
            involved=data["involved"],
        )


class Run:
    def __init__(
        self, config: SuiteConfig, shared: dict[str, Any] | None = None, catalogue: Catalogue | None = None
    ) -> None:
        self.config = config
        self.catalogue = catalogue  # the variants (modelarts_contract.hooks), from the pytest plugin
        self.redactor = Redactor(config.secrets)
        self.outcome = RunOutcome()
        self._stack = ExitStack()
        self._target: Target | None = None
        self._keeper: TokenKeeper | None = None  # password auth: the run's IAM token
        self._preflight_done = False
        # From the xdist controller: the meter (one budget, one pace) and the preflight every worker shares.
        self._shared = shared
        self.meter: Meter = (
            SharedMeter.open(shared["meter"])
            if shared
            else Meter(config.max_requests, config.rate_per_second, max_duration=config.max_duration)
        )

    # -- the target --------------------------------------------------------------------------

    def target(self) -> Target:
        """The run's one target, built on first use; every request to its origin obeys its guard."""
        if self._target is None:
            config = self.config
            if config.base_url is not None:
                other = config.other_project_id or FALLBACK_OTHER_PROJECT
                config = dataclasses.replace(config, other_project_id=other)
            else:
                config = self._embedded(config)
            renewing = None
            if config.login is not None:  # the token comes from IAM, and so may the project id
                renewing = RenewingTokenAuth(self._iam_token())
                project_id = config.project_id or self._iam_token().issued.project_id
                if project_id is None:
                    raise IamError("IAM's token names no project (token.project.id): give --project-id")
                config = dataclasses.replace(config, project_id=project_id)
                self.config = dataclasses.replace(self.config, project_id=project_id)
            # One redactor for the run: the signatures the transport sends land where outputs are scrubbed.
            self.redactor = Redactor({*self.redactor.secrets, *config.secrets})
            target = Target(config, load_contract(), self.outcome.ledger, self.meter, self.redactor, renewing)
            self._stack.enter_context(fence(target.session.guard))
            self._stack.callback(target.session.close)
            self._target = target
            self.outcome.involved = True
        return self._target

    def _iam_token(self) -> TokenKeeper:
        """Password auth: one token per run (xdist workers take the controller's), renewed as it
        runs out; every token it gets is scrubbed from the outputs. IamError: exit 6."""
        if self._keeper is None:
            assert self.config.login is not None
            shared = self._shared or {}
            if "iam_problem" in shared:
                raise IamError(shared["iam_problem"])
            self._keeper = keeper_for(
                self.config.login,
                shared.get("iam_token"),
                timeout=self.config.timeout,
                verify=self.config.verify,
                on_new=lambda token: self.redactor.remember_secret(token),
            )
        return self._keeper

    def _embedded(self, config: SuiteConfig) -> SuiteConfig:
        if config.reference_variant is None:
            dataset, aksk = default_dataset(), bool(config.ak)
            app = build_app(dataset)
        else:
            variant = (self.catalogue or {})[config.reference_variant]  # the plugin checked the name
            dataset, aksk = variant.dataset(), variant.auth == "aksk" or bool(config.ak)
            app = variant.build(dataset)
        # A crash of a mutant is its verdict (a 500), not a server traceback in every test's report.
        # (pytest's log capture reaches non-propagating loggers too: the level silences them.)
        quiet = logging.getLogger("modelarts_contract.reference")
        self._stack.callback(quiet.setLevel, quiet.level)
        quiet.setLevel(logging.CRITICAL + 1)
        server = self._stack.enter_context(serve(app))
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

    def preflight(self) -> tuple[str, str] | None:
        """One request before the tests, once per run (xdist workers share it). A problem stops the
        run before any verdict: ("environment", why) exits 6; a limit reached on it, (kind, why), 7."""
        if not self._preflight_done:
            self._preflight_done = True
            stop = self._shared_preflight() if self._shared else self._first_request()
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
        return None if problem is None else ("environment", problem)

    def _shared_preflight(self) -> tuple[str, str] | None:
        assert self._shared is not None
        result = Path(self._shared["preflight"])
        with exclusive(result.with_suffix(".lock")):
            if result.exists():
                answer = json.loads(result.read_text(encoding="utf-8"))["stop"]
                return None if answer is None else (answer[0], answer[1])
            stop = self._first_request()
            result.write_text(json.dumps({"stop": stop}), encoding="utf-8")
            return stop

    def limit_reached(self) -> bool:
        """No request may go out any more: the budget is spent or the time limit has passed."""
        return self.meter.remaining == 0 or self.meter.out_of_time()

    def transport(self) -> TransportStats:
        return self.meter.stats

    def verifier_test(self, nodeid: str) -> None:
        if self._target is not None:
            self._target.verifier.current_test = nodeid

    def shared_for_workers(self) -> dict[str, Any]:
        """xdist controller: from now on one meter, in a file, for every worker (made on first call)."""
        if self._shared is None:
            directory = tempfile.mkdtemp(prefix="modelarts-contract-")
            self._stack.callback(shutil.rmtree, directory, ignore_errors=True)
            meter = SharedMeter.create(
                directory,
                self.config.max_requests,
                self.config.rate_per_second,
                self.config.max_duration,
                self.meter.ends_at,
            )
            self._shared = {"meter": meter.describe(), "preflight": str(Path(directory) / "preflight.json")}
            self._shared.update(self._token_for_workers())
            self.meter = meter
        return self._shared

    def _token_for_workers(self) -> dict[str, Any]:
        """xdist controller, password auth: the one token of the run (or why IAM gave none)."""
        if self.config.login is None:
            return {}
        try:
            return {"iam_token": self._iam_token().issued.as_dict()}
        except IamError as exc:
            return {"iam_problem": self.redactor.text(str(exc))}

    # -- output ------------------------------------------------------------------------------

    def redact(self, report: pytest.TestReport | pytest.CollectReport) -> None:
        """Every report (terminal, JUnit XML, other plugins) passes here: no secret may survive it."""
        scrub = self.redactor.scrub
        if isinstance(report.longrepr, tuple):
            path, line, message = report.longrepr
            report.longrepr = (path, line, scrub(message))
        elif report.longrepr is not None:
            text = str(report.longrepr)
            clean = scrub(text)
            if clean != text:
                report.longrepr = clean
        report.sections = [(title, scrub(content)) for title, content in report.sections]

    def findings(self, test: str, errors: list[BaseException]) -> str | None:
        """A failed test's report when every error is a clause it found broken: each clause once,
        with how many responses of the test broke it; None when something else failed."""
        found: dict[str, ClauseViolation] = {}
        notes: dict[str, str] = {}
        for error in errors:
            if isinstance(error, Violations):
                for violation in error.violations:
                    found.setdefault(violation.clause.id, violation)
                notes.update(error.notes)
            elif isinstance(error, ClauseViolation):
                found.setdefault(error.clause.id, error)
            else:
                return None
        records = self.outcome.ledger.as_dict()
        texts = []
        for clause_id, violation in found.items():
            times = records.get(clause_id, {}).get("broken_by", {}).get(test, 0)
            lines = [str(violation)]
            if times > 1:
                lines.append(f"  (broken {times} times in this test; the first is shown)")
            if clause_id in notes and not notes[clause_id].startswith("(and "):  # not a count again
                lines.append(f"  {notes[clause_id]}")
            texts.append("\n".join(lines))
        return "\n\n".join(texts) if texts else None

    def involved(self) -> bool:
        return self.outcome.involved

    def where(self) -> str:
        if self.config.base_url is not None:
            return self.config.base_url
        variant = f" (variant {self.config.reference_variant})" if self.config.reference_variant else ""
        at = f" at {self._target.base_url}" if self._target is not None else ""
        return f"{EMBEDDED}{variant}{at}"

    def header_lines(self) -> list[str]:
        c = self.config
        pace = f"{c.rate_per_second:g}/s" if c.rate_per_second else "none"
        how = f"--rate-limit or {ENVIRONMENT['rate_limit']}: N/s, N/m, N/h or none"
        tls = f"CA bundle {c.ca_bundle}" if c.ca_bundle else "system CAs"
        return [
            f"modelarts-contract {__version__}: {self.where()}, auth {c.auth_mode}, budget {c.max_requests}, "
            f"TLS {tls}",
            f"modelarts-contract pace: {pace} ({how})",
            self.credentials_line(),
        ]

    def credentials_line(self) -> str:
        """The credential source in force and the auth mode, never a value."""
        c = self.config
        if c.base_url is None:
            return f"modelarts-contract credentials: the embedded server's own ({c.auth_mode})"
        return (
            f"modelarts-contract credentials: {c.auth_kind} from {c.credential_source} "
            "(precedence: docs/staging.md, Credentials)"
        )

    def summary_lines(self) -> list[str]:
        outcome = self.outcome
        records = outcome.ledger.as_dict()
        failed = outcome.ledger.broken_clauses()
        lines = []
        contract = load_contract()
        for clause_id in failed:  # each broken clause once, with its first reproduction
            record, clause = records[clause_id], contract.clauses.get(clause_id)
            tests = [t for t, n in record["broken_by"].items() if n]
            first = record["first_failure"] or {}
            lines += [
                f"BROKEN [{clause_id}] {clause.text if clause else ''}",
                f"  source:   {describe_source(clause.source) if clause else '?'}",
                f"  broken in {len(tests)} test(s), {record['broken']} time(s); the first:",
                *(
                    f"  {key + ':':9} {first[key]}"
                    for key in ("request", "expected", "actual")
                    if first.get(key)
                ),
                "",
            ]
        lines.append(
            f"clauses checked: {len(records)}, failed: {len(failed)}"
            + (f" ({', '.join(failed)})" if failed else "")
        )
        s = self.transport()
        left = max(0, self.config.max_requests - s.sent)
        lines.append(
            f"requests sent: {s.sent}, retries: {s.retries}, waited: {s.waited:.1f} s (Retry-After) "
            f"+ {s.paced:.1f} s (pace), refused: {s.refused}, budget left: {left} of {self.config.max_requests}"
        )
        changed = sorted(cid for cid, rec in records.items() if rec["data_changed"])
        if changed:
            lines.append(
                f"DATA CHANGED during the checks of {', '.join(changed)}: no verdict (the tests show as skipped)"
            )
        if outcome.cut_short():
            lines.append(
                self.limit_line() + ("" if outcome.stopped_at_start else " (the verdicts above stand)")
            )
        if outcome.environment is not None and not outcome.stopped_at_start:
            lines.append(f"ENVIRONMENT PROBLEM (exit {EXIT_ENVIRONMENT}): {outcome.environment}")
        return lines

    def ledger_context(self, exitstatus: int) -> dict[str, Any]:
        """What the report needs to render the same page later, beside the clause records."""
        c = self.config
        stop = self.outcome.environment or (self.limit_line() if self.outcome.cut_short() else None)
        return {
            "exitstatus": exitstatus,
            "stopped": stop,
            "transport": dataclasses.asdict(self.transport()),
            "run": {
                "target": self.config.base_url or EMBEDDED,
                "suite_version": __version__,
                "spec_version": load_contract().version,
                "seed": c.seed,
                "options": {
                    "auth": c.auth_mode,
                    "max_requests": c.max_requests,
                    "rate_per_second": c.rate_per_second,
                    "request_timeout": c.timeout,
                    "max_response_bytes": c.max_response_bytes,
                    "max_duration": c.max_duration,
                    "max_examples": c.max_examples,
                    "strict_fields": c.strict,
                },
            },
        }

    def limit_line(self) -> str:
        """What limit cut the run short, where, and how to lift it."""
        outcome = self.outcome
        option = LIMIT_OPTIONS.get(outcome.limit_kind or "", LIMIT_OPTIONS["request-budget"])
        what = outcome.limit or f"the request budget of {self.config.max_requests} requests is spent"
        if outcome.stopped_at_start:
            return f"STOPPED before any test: {what}; nothing was checked (raise {option})"
        return (
            f"STOPPED: {what}, in {outcome.limit_reached_in or 'the run'}; {outcome.skipped_for_limit} "
            f"more tests not run (raise {option} to check everything)"
        )

    def write_reports(self, report_dir: Path, exitstatus: int) -> None:
        ledger_path = report_dir / "ledger.json"
        self.outcome.ledger.dump(ledger_path, **self.ledger_context(exitstatus))
        write_reports(ledger_path, report_dir, catalogue=self.catalogue)

    def close(self) -> None:
        self._stack.close()
