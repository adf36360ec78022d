"""subprocess.run for `python -m pytest ...`, forked from a server that has imported pytest and the
plugins already (tests/self/forkserver_main.py): a run's start-up costs ~0.3 CPU-s instead of ~1.

A run the server cannot reproduce faithfully (another command, another environment, a plugin
disabled: see forkserver_main.refusal) is a real subprocess, as the same call would be without it.
The self-tests get one server per session (per xdist worker), started on first use, through
`run_pytest`: see tests/self/conftest.py.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import locale
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from tests.self.forkserver_main import MESSAGE_SIZE, PROJECT, REQUEST_ENV

SERVER = Path(__file__).with_name("forkserver_main.py")
FORKS = hasattr(os, "pidfd_open")  # the server watches its children through pidfds (Linux)
PYTEST = [sys.executable, "-m", "pytest"]
START_TIMEOUT = 120.0  # seconds for the server's imports on a busy machine
KILLED_GRACE = 30.0  # seconds to collect a killed run's last output


class ForkServerDied(RuntimeError):
    """The server is gone: what it wrote to its log says why."""


class ForkServer:
    """subprocess.run(command, ...) for pytest commands, forked from one server process."""

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="forkserver-")
        self._socket = str(Path(self._folder.name, "socket"))
        self._log = Path(self._folder.name, "log")
        self._process: subprocess.Popen[bytes] | None = None
        self._starting = threading.Lock()
        self.last_refusal: str | None = None  # why the last run was a real subprocess (None: forked)

    def run(
        self,
        command: list[str],
        *,
        cwd: str | Path | None = None,
        env: dict[str, str] | None = None,
        capture_output: bool = False,
        text: bool = False,
        timeout: float | None = None,
        check: bool = False,
    ) -> subprocess.CompletedProcess[Any]:
        """As subprocess.run; forked when the server can reproduce the run."""
        self.last_refusal = None if command[:3] == PYTEST and capture_output else "not a captured pytest run"
        answer = None
        if self.last_refusal is None:
            request = {
                "argv": command[3:],
                "cwd": os.path.abspath(cwd or os.getcwd()),
                "env": dict(os.environ if env is None else env),
                "umask": _umask(),
            }
            answer = self._fork(request, command, timeout)
        if answer is None:
            kwargs: dict[str, Any] = {"capture_output": capture_output, "text": text, "timeout": timeout}
            return subprocess.run(command, cwd=cwd, env=env, check=check, **kwargs)
        code, out, err = answer
        stdout, stderr = (_decode(out), _decode(err)) if text else (out, err)
        if check and code:
            raise subprocess.CalledProcessError(code, command, stdout, stderr)
        return subprocess.CompletedProcess(command, code, stdout, stderr)

    def _fork(
        self, request: dict[str, Any], command: list[str], timeout: float | None
    ) -> tuple[int, bytes, bytes] | None:
        """The run's exit code and outputs, or None when the server refused it (last_refusal: why)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        self._start()
        (out, out_w), (err, err_w) = os.pipe(), os.pipe()
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as connection:
                try:
                    connection.connect(self._socket)
                    socket.send_fds(connection, [json.dumps(request).encode()], [out_w, err_w])
                finally:  # the child has its own copies
                    os.close(out_w), os.close(err_w)
                answer = _receive(connection)
                if "refused" in answer:
                    self.last_refusal = answer["refused"]
                    return None
                status, *outputs = _collect(connection, answer["pid"], [out, err], deadline)
        except OSError as exc:
            raise self._died() from exc
        finally:
            os.close(out), os.close(err)
        if status is None:
            raise subprocess.TimeoutExpired(command, timeout or 0.0, output=outputs[0], stderr=outputs[1])
        return status, outputs[0], outputs[1]

    def _start(self) -> None:
        with self._starting:
            if self._process is not None:
                if self._process.poll() is not None:
                    raise self._died()
                return
            env = {k: v for k, v in os.environ.items() if not k.startswith(REQUEST_ENV)}
            with self._log.open("wb") as log:
                self._process = subprocess.Popen(
                    [sys.executable, str(SERVER), self._socket],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, cwd=PROJECT, env=env,
                )  # fmt: skip
            assert self._process.stdout is not None
            with selectors.DefaultSelector() as selector:
                selector.register(self._process.stdout, selectors.EVENT_READ)
                if not selector.select(START_TIMEOUT) or self._process.stdout.readline() != b"ready\n":
                    self._process.kill()
                    raise self._died()

    def _died(self) -> ForkServerDied:
        code = None
        if self._process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):  # None: it still runs, but does not answer
                code = self._process.wait(timeout=5)
        log = self._log.read_text(errors="replace")[-3000:] if self._log.exists() else ""
        return ForkServerDied(
            f"the pytest fork server is gone or does not answer (exit status {code}); its log:\n{log}"
        )

    def close(self) -> None:
        if self._process is not None:
            assert self._process.stdin is not None and self._process.stdout is not None
            self._process.stdin.close()  # EOF: the server stops
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process.stdout.close()
        self._folder.cleanup()


def _receive(connection: socket.socket) -> dict[str, Any]:
    if not (raw := connection.recv(MESSAGE_SIZE)):
        raise ConnectionError("the server closed the connection")
    return json.loads(raw)


def _collect(connection: socket.socket, pid: int, pipes: list[int], deadline: float | None) -> list[Any]:
    """The run's exit status and both pipes read to their end. Past the deadline its process group is
    killed, the status is None, and what it wrote is read for KILLED_GRACE s at most."""
    chunks: dict[int, list[bytes]] = {fd: [] for fd in pipes}
    status, killed = None, False
    with selectors.DefaultSelector() as selector:
        for fd in (*pipes, connection):
            selector.register(fd, selectors.EVENT_READ)
        while selector.get_map():
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                if killed:
                    break
                _kill_group(pid)
                killed, deadline = True, time.monotonic() + KILLED_GRACE
            for key, _ in selector.select(left if left is None else max(left, 0.0)):
                if key.fileobj is connection:
                    status = _receive(connection)["status"]
                    selector.unregister(connection)
                elif data := os.read(key.fd, 65536):
                    chunks[key.fd].append(data)
                else:
                    selector.unregister(key.fd)
    return [None if killed else status, *(b"".join(chunks[fd]) for fd in pipes)]


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _decode(data: bytes) -> str:
    """As subprocess.run(text=True) decodes."""
    text = data.decode(locale.getpreferredencoding(False))
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
        os.killpg(pid, signal.SIGKILL)


# The session's server, for helpers that have no fixture to ask (run_suite is called from dozens of
# tests and helpers): tests/self/conftest.py sets it for the session, holds the server on the
# config's stash, and closes it at the session's end. A ContextVar, not a module global: a thread
# a test starts sees none, and runs a real subprocess.
SESSION_SERVER: contextvars.ContextVar[ForkServer | None] = contextvars.ContextVar(
    "SESSION_SERVER", default=None
)


def run_pytest(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[Any]:
    """subprocess.run(command, **kwargs), forked by the session's server when there is one."""
    server = SESSION_SERVER.get()
    return subprocess.run(command, **kwargs) if server is None else server.run(command, **kwargs)
