"""Runs that several self-test modules judge, run once per pytest process: kept in the config's
stash (not in module globals), and their tests marked with one xdist_group each, so that under
`--dist loadgroup` one worker takes them all and runs the suite once.
"""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass

import pytest
from tests.self.forkserver import run_pytest
from tests.self.helpers import ROOT, SuiteRun, clean_environment, remote_env, run_suite

from modelarts_contract.reference import RecordedRequest, build_app, default_dataset, serve

# Mark every test that takes default_remote_run with it: the run is made once per worker.
DEFAULT_REMOTE_RUN = pytest.mark.xdist_group("default-remote-run")


@dataclass(frozen=True)
class ServerSideRun:
    """A run of the contract suite, and every request its target received (in arrival order)."""

    run: SuiteRun
    received: list[RecordedRequest]


_DEFAULT_REMOTE_RUN = pytest.StashKey[ServerSideRun]()


def default_remote_run(config: pytest.Config) -> ServerSideRun:
    """The contract suite with its defaults against the reference served on 127.0.0.1 (a target
    given by URL, as a user's service is), made on the first call in this process."""
    if _DEFAULT_REMOTE_RUN not in config.stash:
        with serve(build_app(default_dataset())) as server:
            run = run_suite(remote_env(server.url))
            config.stash[_DEFAULT_REMOTE_RUN] = ServerSideRun(run, server.requests.snapshot())
    return config.stash[_DEFAULT_REMOTE_RUN]


# Mark every test that takes readme_command with it: each command runs once per worker.
README_COMMANDS = pytest.mark.xdist_group("readme-commands")
_README_COMMANDS = pytest.StashKey[dict[str, SuiteRun]]()


def readme_command(config: pytest.Config, command: str) -> SuiteRun:
    """A command as the README gives it, run in the checkout as a newcomer would (no MODELARTS_* or
    HUAWEICLOUD_SDK_* variable set), made on the first call for it in this process."""
    runs = config.stash.setdefault(_README_COMMANDS, {})
    if command not in runs:
        argv = shlex.split(command)
        if argv[0] == "python":
            argv[0] = sys.executable
        proc = run_pytest(
            [*argv, "-p", "no:cacheprovider"] if "pytest" in argv[:3] else argv,
            cwd=ROOT, env=clean_environment(), capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        runs[command] = SuiteRun(proc.returncode, proc.stdout, proc.stderr)
    return runs[command]
