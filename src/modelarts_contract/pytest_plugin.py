"""pytest wiring: options to config, the embedded reference server, the `target` fixture, the summary.

With no base URL the suite starts the reference server on a free loopback port and points itself at
it, so `python -m pytest tests/contract` works on a fresh machine with nothing else running.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelarts_contract.checks.core import ledger
from modelarts_contract.config import ENVIRONMENT, ConfigError, SuiteConfig
from modelarts_contract.spec import load_contract
from modelarts_contract.target import Target

_HELP = {
    "base_url": "base URL of the target, e.g. https://modelarts.eu-de.otc.t-systems.com (none: embedded server)",
    "project_id": "project id whose image groups are listed",
    "auth_token": "IAM token sent as X-Auth-Token (prefer the environment variable)",
    "other_project_id": "a project the credentials may NOT read (default: a made-up id)",
    "max_requests": "request budget for the whole run",
    "rate_limit": "pace, e.g. 10/s or 300/m (default 10/s against a remote target, none embedded)",
    "request_timeout": "seconds to wait for each response",
    "ca_bundle": "CA bundle file for TLS verification",
    "seed": "seed of the request generation (same seed, same requests)",
    "max_examples": "generated examples per generation phase",
    "strict_fields": "report undocumented response fields (R8 allows them)",
}
_NO_OPTION = {"ak", "sk"}  # secrets that only come from the environment
FALLBACK_OTHER_PROJECT = "0" * 31 + "1"

_active: SuiteConfig | None = None
_targets: list[Target] = []  # the run's targets, for the summary


def active_config() -> SuiteConfig:
    """The run's configuration, for modules that need it at import (the schemathesis schema)."""
    if _active is None:
        return SuiteConfig.from_sources({}, {})
    return _active


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("modelarts", "ModelArts contract suite")
    for name, env in ENVIRONMENT.items():
        if name in _NO_OPTION:
            continue
        flag = "--" + name.replace("_", "-")
        group.addoption(flag, dest=f"modelarts_{name}", default=None, help=f"{_HELP[name]} [env {env}]")
    group.addoption("--report-dir", dest="modelarts_report_dir", default=None, help="write the clause ledger here")


def pytest_configure(config: pytest.Config) -> None:
    global _active
    options = {name: config.getoption(f"modelarts_{name}", None) for name in ENVIRONMENT}
    try:
        _active = SuiteConfig.from_sources(options, os.environ)
    except ConfigError as exc:
        raise pytest.UsageError(f"modelarts-contract: {exc}") from None


@pytest.fixture(scope="session")
def suite_config() -> SuiteConfig:
    return active_config()


@pytest.fixture(scope="session")
def target(suite_config: SuiteConfig) -> Iterator[Target]:
    contract = load_contract()
    if suite_config.base_url is not None:
        other = suite_config.other_project_id or FALLBACK_OTHER_PROJECT
        yield _track(Target(dataclasses.replace(suite_config, other_project_id=other), contract))
        return
    from modelarts_contract.reference import build_app, data, default_dataset, serve

    with serve(build_app(default_dataset())) as server:
        embedded = dataclasses.replace(
            suite_config,
            base_url=server.url,
            project_id=data.MAIN_PROJECT_ID,
            other_project_id=data.OTHER_PROJECT_ID,
            auth_token=None if suite_config.ak else data.MAIN_TOKEN,
        )
        yield _track(Target(embedded, contract))


def _track(target: Target) -> Target:
    _targets.append(target)
    return target


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    report_dir = session.config.getoption("modelarts_report_dir", None)
    if report_dir:
        ledger.dump(Path(report_dir) / "ledger.json", exitstatus=int(exitstatus))


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:  # noqa: ANN001
    records = ledger.as_dict()
    if not records and not _targets:
        return
    broken = sorted(cid for cid, rec in records.items() if rec["broken"])
    terminalreporter.write_sep("-", "modelarts-contract")
    for target in _targets:
        stats = target.session.stats
        terminalreporter.write_line(
            f"requests sent: {stats.sent}, retries: {stats.retries}, waited: {stats.waited:.1f} s, "
            f"refused: {stats.refused}, budget left: {target.session.remaining} of {target.session.max_requests}"
        )
    terminalreporter.write_line(
        f"clauses exercised: {len(records)}, broken: {len(broken)}" + (f" ({', '.join(broken)})" if broken else "")
    )
