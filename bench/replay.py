"""Benchmark: a default run recorded against a reference server, then replayed from the recording.

Prints, for the recorded run and the replay, the wall time of the whole command, pytest's own session
time, the requests the server answered (counted by the server, which stays up during the replay: the
replay targets its URL, so anything sent would reach it), the socket connections the replaying
process attempted (counted by a plugin), and the replay's peak memory (getrusage, in the replaying
process started from this small one). Both runs cache bytecode as Python does by default, even where
PYTHONDONTWRITEBYTECODE is set (as on some CI machines): the record run warms the caches, as a user's
earlier runs would have. Not a test: nothing here asserts.

    python bench/replay.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from modelarts_contract.matrix.harness import ENV_PREFIXES, suite_environment
from modelarts_contract.reference import build_app, default_dataset, serve

ROOT = Path(__file__).resolve().parents[1]
_SESSION = re.compile(r" in ([\d.]+)s")
# Loaded with -p in the replaying process: counts connection attempts (and lets none through), and
# prints the process's peak memory at its end.
COUNTING_PLUGIN = """
import resource, socket
ATTEMPTS = []

def _counted(*args, **kwargs):
    ATTEMPTS.append(args[1:2])
    raise OSError("a replay opens no connection")

socket.socket.connect = _counted
socket.create_connection = _counted

def pytest_unconfigure(config):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"\\nBENCH connections attempted: {len(ATTEMPTS)}, peak RSS {peak // 1024} MiB")
"""


def _pytest(args: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    command = [sys.executable, "-m", "pytest", "tests/contract", "-q", "-p", "no:cacheprovider", *args]
    started = time.perf_counter()
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800, check=False
    )
    return time.perf_counter() - started, done


def _session(done: subprocess.CompletedProcess[str]) -> str:
    found = _SESSION.findall(done.stdout)
    return f"{found[-1]} s" if found else "?"


def one_round(workdir: Path) -> tuple[float, float]:
    dataset = default_dataset()
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(ENV_PREFIXES) and k != "PYTHONDONTWRITEBYTECODE"
    }
    recording = workdir / "default.har"
    (workdir / "bench_counting.py").write_text(COUNTING_PLUGIN, encoding="utf-8")
    with serve(build_app(dataset)) as server:
        wall, done = _pytest(
            ["--record", str(recording)], clean | suite_environment(server.url, dataset.projects)
        )
        recorded = len(server.requests.snapshot())
        print(
            f"record: wall {wall:.2f} s, session {_session(done)}, requests answered {recorded}, exit "
            f"{done.returncode}, recording {recording.stat().st_size / 1e6:.1f} MB"
        )
        env = clean | {"PYTHONPATH": f"{workdir}{os.pathsep}{ROOT}"}
        replay_wall, done = _pytest(["-p", "bench_counting", "--replay", str(recording)], env)
        sent = len(server.requests.snapshot()) - recorded
    counted = next((line for line in done.stdout.splitlines() if line.startswith("BENCH")), "BENCH ?")
    print(
        f"replay: wall {replay_wall:.2f} s, session {_session(done)}, requests answered {sent}, exit "
        f"{done.returncode}; {counted.removeprefix('BENCH ')}"
    )
    session = _SESSION.findall(done.stdout)
    return replay_wall, float(session[-1]) if session else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args(argv)
    walls, sessions = [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="bench-replay-") as tmp:
            wall, session = one_round(Path(tmp))
        walls.append(wall)
        sessions.append(session)
    if len(walls) > 1:
        print(
            f"replay median: wall {statistics.median(walls):.2f} s, session {statistics.median(sessions):.2f} s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
