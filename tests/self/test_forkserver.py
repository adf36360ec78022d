"""The fork server's runs are the runs a real `python -m pytest` subprocess makes: same exit code,
output, environment, sys.path, local modules and, for a whole contract run, the same requests; runs
it cannot reproduce are real subprocesses; a timeout kills the run's process group."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from tests.self.forkserver import FORKS, SESSION_SERVER, ForkServer, ForkServerDied
from tests.self.helpers import ROOT, SuiteRun, clean_environment, remote_env, run_suite

from modelarts_contract.reference import build_app, default_dataset, serve

AUTH_TESTS = ROOT / "tests" / "contract" / "test_auth.py"
PLUGIN = ("-p", "modelarts_contract.pytest_plugin")
pytestmark = pytest.mark.skipif(not FORKS, reason="the fork server needs pidfds (Linux)")

# A test that reports what the process it runs in looks like, to compare a fork with a subprocess.
PROBE = textwrap.dedent(
    """
    import json, os, sys, sysconfig
    from pathlib import Path, PurePath

    def _mentions(value, places):
        return isinstance(value, str | PurePath) and any(p in str(value) for p in places)

    def test_probe():
        places = (os.getcwd(), os.environ["MODELARTS_PROBE_PROJECT"])
        outside = (sysconfig.get_path("stdlib"), sysconfig.get_path("purelib"), sysconfig.get_path("platstdlib"))
        local = sorted(
            name for name, module in list(sys.modules.items())
            if isinstance(getattr(module, "__file__", None), str) and not module.__file__.startswith(outside)
        )
        paths = sorted(  # module globals that name the working directory or the project
            f"{name}.{key}={value}" for name, module in list(sys.modules.items())
            for key, value in list(getattr(module, "__dict__", {}).items()) if _mentions(value, places)
        )
        modules = sorted(name for name in sys.modules if name.partition(".")[0] not in sys.stdlib_module_names)
        import hypothesis.configuration as configuration
        storage = configuration.storage_directory("x", intent_to_write=False)
        mask = os.umask(0o22); os.umask(mask)
        probe = {
            "env": dict(os.environ), "cwd": os.getcwd(), "path": sys.path, "argv": sys.argv[1:],
            "orig_argv": sys.orig_argv, "umask": mask, "local": local, "paths": paths, "modules": modules,
            "storage": str(getattr(storage, "path", storage)),  # older hypothesis: a Path
        }
        Path(os.environ["MODELARTS_PROBE_OUT"]).write_text(json.dumps(probe))
    """
)


@contextmanager
def real_subprocesses() -> Iterator[None]:
    """run_suite without the session's fork server."""
    token = SESSION_SERVER.set(None)
    try:
        yield
    finally:
        SESSION_SERVER.reset(token)


def pytest_command(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "pytest", *map(str, args), "-p", "no:cacheprovider", "-q"]


def shape(output: str) -> list[str]:
    """The output's lines, figures (times, ports, counts of a slow answer) and the slowest request masked."""
    return [re.sub(r"\d+(\.\d+)?", "N", line) for line in output.splitlines() if "slowest:" not in line]


@pytest.mark.e2e
def test_a_forked_run_prints_and_exits_as_a_subprocess(fork_server: ForkServer) -> None:
    with serve(build_app(default_dataset())) as server:
        env = clean_environment(**remote_env(server.url))
        command = pytest_command(AUTH_TESTS, "-rA")
        real = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        forked = fork_server.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert fork_server.last_refusal is None
    assert (forked.returncode, shape(forked.stdout), forked.stderr) == (
        real.returncode,
        shape(real.stdout),
        real.stderr,
    )
    assert real.returncode == 0 and "5 passed" in real.stdout


def probe(tmp_path: Path, run: Callable[..., subprocess.CompletedProcess[str]], name: str) -> dict:
    """What PROBE saw, run by `run` in tmp_path/cwd with PYTHONPATH and a variable of the suite's."""
    cwd, out = tmp_path / "cwd", tmp_path / f"{name}.json"
    cwd.mkdir(exist_ok=True)
    (cwd / "test_probe.py").write_text(PROBE, encoding="utf-8")
    (tmp_path / "lib").mkdir(exist_ok=True)
    env = clean_environment(
        MODELARTS_PROBE_OUT=str(out),
        MODELARTS_PROBE_PROJECT=str(ROOT),
        MODELARTS_PROBE="passed",
        PYTHONPATH=f"../lib:{tmp_path}/x/..",
        HOME=str(tmp_path / "home"),  # as the credential self-tests give it
    )
    done = run(pytest_command(cwd, *PLUGIN), cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    found = json.loads(out.read_text())
    found["env"].pop("MODELARTS_PROBE_OUT")
    return found


@pytest.mark.e2e
def test_a_forked_run_has_a_subprocess_environment_path_and_modules(
    fork_server: ForkServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In another working directory too: sys.path, hypothesis's storage, module globals naming it."""
    monkeypatch.setenv("MODELARTS_ONLY_HERE", "not passed on")  # in the parent, not in the request
    real = probe(tmp_path, subprocess.run, "real")
    forked = probe(tmp_path, fork_server.run, "forked")
    assert fork_server.last_refusal is None
    assert forked == real
    assert forked["env"]["MODELARTS_PROBE"] == "passed" and "MODELARTS_ONLY_HERE" not in forked["env"]
    assert forked["env"]["HOME"] == str(tmp_path / "home")
    assert forked["cwd"] == forked["path"][0] == str(tmp_path / "cwd") and forked["path"][1] == str(
        tmp_path / "lib"
    )
    assert forked["storage"].startswith(str(tmp_path / "cwd"))
    assert "modelarts_contract.pytest_plugin" in forked["local"]


@pytest.mark.e2e
def test_a_whole_forked_contract_run_sends_the_requests_a_subprocess_sends(fork_server: ForkServer) -> None:
    """hypothesis draws from the literals of every local module loaded: the server's preloading must
    leave them as a fresh process has them, or the generated requests change."""

    def requests_of_a_run() -> tuple[SuiteRun, list[tuple[str, str, str]]]:
        with serve(build_app(default_dataset())) as server:
            run = run_suite(remote_env(server.url))
            return run, [(r.method, r.path, r.query_string) for r in server.requests.snapshot()]

    forked, sent_forked = requests_of_a_run()
    assert SESSION_SERVER.get() is fork_server and fork_server.last_refusal is None  # it was forked
    with real_subprocesses():
        real, sent_real = requests_of_a_run()
    assert forked.code == real.code == 0, forked.output[-3000:] + real.output[-3000:]
    assert len(sent_real) > 300
    assert sent_forked == sent_real  # in order: the run is sequential, the order is its seed's
    assert shape(forked.stdout) == shape(real.stdout)


TIMED_OUT = textwrap.dedent(
    """
    import os, subprocess, sys, time
    from pathlib import Path

    def test_hangs():
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
        Path(os.environ["MODELARTS_PROBE_PIDS"]).write_text(f"{os.getpid()} {child.pid}")
        time.sleep(120)
    """
)


@pytest.mark.slow
def test_a_timeout_kills_the_run_and_its_process_group(fork_server: ForkServer, tmp_path: Path) -> None:
    (tmp_path / "test_hangs.py").write_text(TIMED_OUT, encoding="utf-8")
    pids = tmp_path / "pids"
    command = pytest_command(tmp_path, *PLUGIN, "-s")
    with pytest.raises(subprocess.TimeoutExpired):
        fork_server.run(
            command,
            cwd=ROOT,
            env=clean_environment(MODELARTS_PROBE_PIDS=str(pids)),
            capture_output=True,
            timeout=15,
        )
    assert fork_server.last_refusal is None
    for pid in map(int, pids.read_text().split()):  # killed: a zombie of the server's at most
        assert _gone(pid), pid


def _gone(pid: int) -> bool:
    """Ended within 5 s (a zombie at most)."""
    for _ in range(50):
        try:
            status = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        if status in {"Z", "X"}:
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize(
    "case",
    ["not-pytest", "another-variable", "no-xdist", "shadowing", "outside-without-plugin", "no-capture"],
)
def test_what_a_fork_cannot_reproduce_runs_as_a_subprocess(
    fork_server: ForkServer, tmp_path: Path, case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Handed to subprocess.run as given (here a stand-in: a real pytest start costs a second)."""
    env, command = clean_environment(), pytest_command(AUTH_TESTS, "--co")
    if case == "not-pytest":
        command = [sys.executable, "-c", "print('collected')"]
    elif case == "another-variable":
        env["SOMETHING_ELSE"] = "1"
    elif case == "no-xdist":
        command += ["-p", "no:xdist"]
    elif case == "shadowing":  # a real run imports this xdist.py, a fork has the real one imported
        (tmp_path / "xdist.py").write_text("", encoding="utf-8")
        env["PYTHONPATH"] = str(tmp_path)
    elif case == "outside-without-plugin":  # the project's conftest.py, which loads the plugin, is not read
        (tmp_path / "test_x.py").write_text("def test_x():\n    pass\n", encoding="utf-8")
        command = pytest_command(tmp_path, "--co")
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda *args, **kwargs: calls.append((args, kwargs)) or "ran")
    capture = case != "no-capture"
    done = fork_server.run(command, cwd=ROOT, env=env, capture_output=capture, text=True, timeout=300)
    reasons = {
        "another-variable": "SOMETHING_ELSE",
        "no-xdist": "no: names",
        "shadowing": "xdist.py would shadow",
    }
    reason = reasons.get(
        case, "plugin may not load" if case == "outside-without-plugin" else "not a captured"
    )
    assert reason in (fork_server.last_refusal or ""), fork_server.last_refusal
    kwargs = {
        "cwd": ROOT,
        "env": env,
        "capture_output": capture,
        "text": True,
        "timeout": 300,
        "check": False,
    }
    assert done == "ran" and calls == [((command,), kwargs)]


@pytest.mark.slow
def test_a_dead_server_is_a_clear_error() -> None:
    server = ForkServer()
    try:
        command = pytest_command(AUTH_TESTS, "--co")
        assert (
            server.run(
                command, cwd=ROOT, env=clean_environment(), capture_output=True, timeout=300
            ).returncode
            == 0
        )
        assert server._process is not None
        os.kill(server._process.pid, signal.SIGKILL)
        with pytest.raises(
            ForkServerDied, match=r"fork server is gone or does not answer \(exit status -9\)"
        ):
            server.run(command, cwd=ROOT, env=clean_environment(), capture_output=True, timeout=300)
    finally:
        server.close()
