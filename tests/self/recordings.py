"""Helpers of the recording self-tests: a run recorded, the same run replayed, and their verdicts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from tests.self.helpers import ROOT, SuiteRun, run_suite

AUTH_TESTS = ROOT / "tests" / "contract" / "test_auth.py"
# A plugin (-p) that makes every socket connection fail: a replay must not need one.
NO_SOCKET_PLUGIN = """
import socket

def _refused(*args, **kwargs):
    raise OSError("no socket may connect during a replay")

socket.socket.connect = _refused
socket.socket.connect_ex = _refused
socket.create_connection = _refused
"""


@dataclass(frozen=True)
class Verdict:
    """What must be the same live and replayed: the exit status and the broken clauses."""

    code: int
    broken: tuple[str, ...]
    exercised: dict[str, int]

    @classmethod
    def of(cls, run: SuiteRun, report_dir: Path) -> Verdict:
        ledger = json.loads((report_dir / "ledger.json").read_text(encoding="utf-8"))
        clauses = ledger["clauses"]
        broken = tuple(sorted(c for c, r in clauses.items() if r["broken"]))
        return cls(run.code, broken, {c: r["exercised"] for c, r in clauses.items()})


def no_socket(tmp_path: Path) -> dict[str, str]:
    """The environment and plugin that forbid every socket connection in the run's process."""
    (tmp_path / "no_socket_plugin.py").write_text(NO_SOCKET_PLUGIN, encoding="utf-8")
    return {"PYTHONPATH": f"{tmp_path}:{ROOT}"}


def record(tmp_path: Path, name: str, *args: str, tests: Path | str = AUTH_TESTS) -> tuple[Path, Verdict]:
    recording, reports = tmp_path / f"{name}.har", tmp_path / f"{name}-live"
    run = run_suite({}, "--record", str(recording), "--report-dir", str(reports), *args, tests=tests)
    assert run.code in (0, 1), run.output[-3000:]
    return recording, Verdict.of(run, reports)


def replay(
    tmp_path: Path, recording: Path, *args: str, tests: Path | str = AUTH_TESTS
) -> tuple[SuiteRun, Verdict]:
    reports = tmp_path / f"{recording.stem}-replay"
    env = no_socket(tmp_path)
    run = run_suite(
        env,
        "-p",
        "no_socket_plugin",
        "--replay",
        str(recording),
        "--report-dir",
        str(reports),
        *args,
        tests=tests,
    )
    return run, Verdict.of(run, reports)
