"""The fork server: pytest, its plugins and modelarts_contract.pytest_plugin imported once, then a
forked child per `python -m pytest ...` request (tests/self/forkserver.py is the client).

Started as `python tests/self/forkserver_main.py SOCKET` with the client's environment minus the
variables a request may change (REQUEST_ENV). Single-threaded, so that fork() is safe: a selector
over the listening socket, each client connection, each child's pidfd, and stdin (EOF: the client
is gone, so is the server). Each connection carries one request (JSON, and the write ends of the
stdout and stderr pipes as SCM_RIGHTS) and gets back {"pid"} when the child starts, {"status"} when
it ends, or {"refused"} with the reason when a fork could not reproduce a real subprocess; the
client then runs one.

Why a child is the same as `python -m pytest` started afresh: the server imported only what every
such run imports before its first test (pytest, the pytest11 entry points, the plugin the project's
conftest.py loads), marked for assertion rewriting as pytest marks them; it refuses runs that would
not import all of them, that a different environment or sys.path entry could have imported
differently, or that change how they are imported. tests/self/test_forkserver.py checks outputs,
sys.path, module state and the requests a whole contract run sends against real subprocesses. One
difference stays: the children share the server's hash seed (PYTHONHASHSEED), where each real
subprocess draws its own.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import importlib.metadata
import json
import os
import runpy
import selectors
import shlex
import signal
import socket
import sys
import threading
import traceback
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NoReturn

PROJECT = Path(__file__).resolve().parents[2]
PLUGIN = "modelarts_contract.pytest_plugin"  # loaded by the project's conftest.py, or by -p
# Variables a request may set: the suite reads them when it runs (the credential files and
# clouds.yaml included), never at import, so the preloaded modules are as a fresh process has them.
REQUEST_ENV = (
    "MODELARTS_",
    "HUAWEICLOUD_SDK_",
    "PYTEST_CURRENT_TEST",
    "PYTHONPATH",
    "OS_CLOUD",
    "OS_CLIENT_CONFIG_FILE",
    "OS_CLIENT_SECURE_FILE",
)
# Options that change which conftest files, plugins or assertion rewriting a run gets.
CHANGES_IMPORTS = (
    "--noconftest",
    "--confcutdir",
    "--rootdir",
    "-c",
    "--config-file",
    "--assert",
    "--disable-plugin-autoload",
)
VALUE_OPTIONS = ("-p", "-k", "-m", "-n", "-o", "-W")  # short options whose value is the next argument
MESSAGE_SIZE = 1 << 20


def preload() -> set[str]:
    """Import pytest, the pytest11 entry points and PLUGIN as a pytest run would (assertions
    rewritten); the names of what was loaded (which `-p no:` must not name)."""
    import _pytest.assertion
    import _pytest.config

    if not hasattr(_pytest.assertion, "install_importhook") or not hasattr(
        _pytest.config.Config, "_mark_plugins_for_rewrite"
    ):
        raise SystemExit(
            "forkserver: this pytest lacks install_importhook or Config._mark_plugins_for_rewrite"
        )
    config = _pytest.config.Config(_pytest.config.PytestPluginManager())  # no builtin plugin imported
    autoload = not os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    loaded = {PLUGIN}
    with warnings.catch_warnings(record=True) as caught:
        hook = _pytest.assertion.install_importhook(config)
        config._mark_plugins_for_rewrite(hook, not autoload)
        for dist in importlib.metadata.distributions() if autoload else ():
            for entry in (e for e in dist.entry_points if e.group == "pytest11"):
                entry.load()
                loaded |= {entry.name, entry.module}
        hook.mark_rewrite(PLUGIN)
        importlib.import_module(PLUGIN)
    sys.meta_path.remove(hook)  # each run installs its own, as a fresh process would
    if caught:  # a real run would report them: a child could not
        raise SystemExit(f"forkserver: warnings while importing plugins: {[str(w.message) for w in caught]}")
    if threading.active_count() > 1 or sorted(os.listdir("/proc/self/fd")) != ["0", "1", "2", "3"]:
        raise SystemExit("forkserver: importing the plugins left a thread or a file open: fork is unsafe")
    return loaded


def leading_path(cwd: str, env: dict[str, str]) -> list[str]:
    """The head of sys.path of `python -m ...` run in `cwd` with `env`: the directory, PYTHONPATH."""
    extra = env.get("PYTHONPATH", "")
    return [cwd, *(os.path.normpath(os.path.join(cwd, e)) for e in extra.split(os.pathsep) if extra)]


def shadowing(directories: list[str]) -> str | None:
    """A module already imported here that one of `directories` (put before site-packages) holds."""
    imported = {name.partition(".")[0] for name in sys.modules}
    for directory in filter(os.path.isdir, directories):
        for entry in os.listdir(directory):
            name = entry.partition(".")[0]
            is_module = entry.endswith((".py", ".so", ".pyc")) or os.path.isfile(
                os.path.join(directory, entry, "__init__.py")
            )
            if name in imported and is_module:
                return os.path.join(directory, entry)
    return None


def refusal(request: dict[str, Any], loaded: set[str]) -> str | None:
    """Why a fork would not be the run a real subprocess makes (None: it would)."""
    argv, cwd, env = request["argv"], request["cwd"], request["env"]
    options = [*shlex.split(env.get("PYTEST_ADDOPTS", "")), *argv]  # as pytest reads them
    mine = {k: v for k, v in os.environ.items() if not k.startswith(REQUEST_ENV)}
    theirs = {k: v for k, v in env.items() if not k.startswith(REQUEST_ENV)}
    if home_is_inert(os.environ, env):
        mine.pop("HOME", None), theirs.pop("HOME", None)
    if changed := sorted(k for k in mine.keys() | theirs.keys() if mine.get(k) != theirs.get(k)):
        return f"environment differs: {changed}"
    if found := shadowing(leading_path(cwd, env)):
        return f"{found} would shadow an imported module"
    plugins = {
        a.removeprefix("-p") or b
        for a, b in zip(options, [*options[1:], ""], strict=True)
        if a.startswith("-p")
    }
    if blocked := {p.removeprefix("no:") for p in plugins if p.startswith("no:")} & loaded:
        return f"-p no: names a preloaded plugin: {sorted(blocked)}"
    if any(a.partition("=")[0] in CHANGES_IMPORTS for a in options):
        return "an option changes conftest, plugin or rewrite loading"
    first = first_test_path(argv, cwd)
    if PLUGIN not in plugins and not (first and first.exists() and first.is_relative_to(PROJECT)):
        return f"no -p {PLUGIN} and the first test path is not in {PROJECT}: the plugin may not load"
    return None


def home_is_inert(mine: Mapping[str, str], theirs: Mapping[str, str]) -> bool:
    """Start-up reads HOME only for the user site-packages (site, sysconfig, schemathesis's
    third-party roots); the suite reads it when it runs. So another HOME starts the same process
    when neither HOME has a user site-packages directory (and no PYTHONUSERBASE moves it)."""
    if "PYTHONUSERBASE" in mine or "PYTHONUSERBASE" in theirs:
        return False
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    homes = [env.get("HOME") for env in (mine, theirs)]
    return all(home and not Path(home, ".local", "lib", version, "site-packages").exists() for home in homes)


def first_test_path(argv: list[str], cwd: str) -> Path | None:
    """The first argument that is surely a test path: not an option, nor what may be an option's value."""
    for before, arg in zip(["", *argv], argv, strict=False):
        takes_value = before in VALUE_OPTIONS or (before.startswith("--") and "=" not in before)
        if not arg.startswith("-") and not takes_value:
            return Path(cwd, arg.partition("::")[0]).resolve()
    return None


def run_pytest(request: dict[str, Any]) -> int:
    """What `python -m pytest ARGV` does after start-up, in this process."""
    cwd, env = request["cwd"], request["env"]
    os.chdir(cwd)
    os.umask(request["umask"])
    os.environ.clear()
    os.environ.update(env)
    sys.path[:] = [*leading_path(cwd, env), *sys.path]
    importlib.invalidate_caches()
    sys.argv = ["-m", *request["argv"]]
    sys.orig_argv = [sys.executable, "-m", "pytest", *request["argv"]]
    rehome_hypothesis(cwd)
    try:
        runpy.run_module("pytest", run_name="__main__", alter_sys=True)
    except SystemExit as exit:
        if exit.code is None or isinstance(exit.code, int):
            return exit.code or 0
        print(exit.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
    return 1


def rehome_hypothesis(cwd: str) -> None:
    """hypothesis takes its default storage directory (.hypothesis) from the working directory it
    was imported in: the child's, as if imported there."""
    configuration = sys.modules.get("hypothesis.configuration")
    if configuration is not None:
        vars(configuration)["__hypothesis_home_directory_default"] = Path(cwd) / ".hypothesis"


def child(request: dict[str, Any], stdout: int, stderr: int) -> NoReturn:
    """The forked child: a fresh process's signals, stdio and file descriptors, then the run and the
    interpreter's exit steps (non-daemon threads joined, atexit), then exit."""
    code = 1
    try:
        os.setpgid(0, 0)  # a timeout kills the run's whole group (xdist workers included)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        os.dup2(stdout, 1)
        os.dup2(stderr, 2)
        os.closerange(3, os.sysconf("SC_OPEN_MAX"))
        code = run_pytest(request)
        for thread in threading.enumerate():
            if not thread.daemon and thread is not threading.current_thread():
                thread.join()
        atexit._run_exitfuncs()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # a closed pipe: nothing more to write
                stream.flush()
        os._exit(code)


def reply(connection: socket.socket, **message: object) -> None:
    with contextlib.suppress(OSError):  # the client is gone
        connection.send(json.dumps(message).encode())


def accept(server: socket.socket, selector: selectors.BaseSelector, loaded: set[str]) -> None:
    """One request: refuse it, or fork its child and watch the child's pidfd."""
    connection, _ = server.accept()
    try:
        raw, fds, _, _ = socket.recv_fds(connection, MESSAGE_SIZE, 2)
        request = json.loads(raw)
    except (OSError, ValueError):  # a client gone before its request was whole
        connection.close()
        return
    if reason := refusal(request, loaded):
        reply(connection, refused=reason)
        connection.close()
    else:
        sys.stdout.flush(), sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            child(request, *fds)
        with contextlib.suppress(OSError):  # the child's own setpgid may have come first
            os.setpgid(pid, pid)
        reply(connection, pid=pid)
        selector.register(os.pidfd_open(pid), selectors.EVENT_READ, (pid, connection))
    for fd in fds:
        os.close(fd)


def serve(path: str) -> None:
    loaded = preload()
    selector = selectors.DefaultSelector()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    server.bind(path)
    server.listen()
    selector.register(server, selectors.EVENT_READ, "accept")
    selector.register(sys.stdin.fileno(), selectors.EVENT_READ, "stdin")
    print("ready", flush=True)
    try:
        while True:
            for key, _ in selector.select():
                if key.data == "accept":
                    accept(server, selector, loaded)
                elif key.data == "stdin":
                    if not os.read(key.fd, 4096):
                        return
                else:
                    pid, connection = key.data
                    selector.unregister(key.fd)
                    os.close(key.fd)
                    _, status = os.waitpid(pid, 0)
                    reply(connection, status=os.waitstatus_to_exitcode(status))
                    connection.close()
    finally:
        for key in list(selector.get_map().values()):
            if isinstance(key.data, tuple):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(key.data[0], signal.SIGKILL)


if __name__ == "__main__":
    del sys.path[0]  # this script's directory, which a real run has not: nothing may import from it
    serve(sys.argv[1])
