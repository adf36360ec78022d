"""Runs that several self-test modules judge, run once per pytest process: kept in the config's
stash (not in module globals), and their tests marked with one xdist_group each, so that under
`--dist loadgroup` one worker takes them all and runs the suite once.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from tests.self.helpers import SuiteRun, remote_env, run_suite

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
