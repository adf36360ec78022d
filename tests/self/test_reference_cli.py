"""The reference CLI as a subprocess: prints URL and exports, serves, stops on Ctrl-C; all waits bounded."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
import time

import pytest
import requests

from modelarts_contract.reference import MAIN_PROJECT_ID, MAIN_TOKEN, OTHER_PROJECT_ID, single_group_dataset
from modelarts_contract.reference.__main__ import main


def launch(*args: str, stderr_path) -> tuple[subprocess.Popen, dict[str, str]]:
    """Start the CLI and read stdout until its last export line (at most 30 s)."""
    cmd = [sys.executable, "-m", "modelarts_contract.reference", "--port", "0", *args]
    with stderr_path.open("w") as stderr:  # a file, not a pipe: werkzeug's request log must not block
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=stderr, text=True)
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in proc.stdout:
            lines.put(line)

    proc.pump = threading.Thread(target=pump, daemon=True)  # joined in stop()
    proc.pump.start()
    exports: dict[str, str] = {}
    deadline = time.monotonic() + 30
    while "MODELARTS_OTHER_PROJECT_ID" not in exports:
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            proc.kill()
            pytest.fail(f"CLI printed no exports in 30 s; stderr: {stderr_path.read_text()}")
        if line.startswith("export "):
            key, _, value = line.removeprefix("export ").strip().partition("=")
            exports[key] = value
    return proc, exports


def stop(proc: subprocess.Popen) -> int:
    proc.send_signal(signal.SIGINT)
    try:
        return proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
        raise
    finally:
        proc.pump.join(timeout=10)  # EOF once the process is gone
        proc.stdout.close()


def test_cli_serves_and_prints_exports(tmp_path):
    proc, exports = launch(stderr_path=tmp_path / "stderr.txt")
    try:
        assert exports["MODELARTS_BASE_URL"].startswith("http://127.0.0.1:")
        assert exports["MODELARTS_PROJECT_ID"] == MAIN_PROJECT_ID
        assert exports["MODELARTS_AUTH_TOKEN"] == MAIN_TOKEN
        assert exports["MODELARTS_OTHER_PROJECT_ID"] == OTHER_PROJECT_ID
        url = f"{exports['MODELARTS_BASE_URL']}/v1/{MAIN_PROJECT_ID}/images/group"
        response = requests.get(url, headers={"X-Auth-Token": MAIN_TOKEN}, timeout=10)
        assert response.status_code == 200 and response.json()["total"] > 200
    finally:
        assert stop(proc) == 0


def test_cli_loads_a_data_file(tmp_path):
    data = tmp_path / "data.json"
    data.write_text(json.dumps(single_group_dataset().to_json()))
    proc, exports = launch("--data", str(data), stderr_path=tmp_path / "stderr.txt")
    try:
        url = f"{exports['MODELARTS_BASE_URL']}/v1/{MAIN_PROJECT_ID}/images/group"
        body = requests.get(url, headers={"X-Auth-Token": MAIN_TOKEN}, timeout=10).json()
        assert body["total"] == 1 and body["data"][0]["version_count"] == 2
    finally:
        stop(proc)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.1", "example.com"])
def test_cli_refuses_non_loopback_hosts(host, capsys):
    assert main(["--host", host, "--port", "0"]) == 2
    assert "--allow-remote" in capsys.readouterr().err
