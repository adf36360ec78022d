"""The reference CLI as a subprocess: prints URL and exports, serves, stops on Ctrl-C; all waits bounded."""

from __future__ import annotations

import json
import queue
import re
import signal
import subprocess
import sys
import threading
import time

import pytest
import requests
from tests.self.helpers import ROOT, run_suite

from modelarts_contract.reference import MAIN_PROJECT_ID, MAIN_TOKEN, OTHER_PROJECT_ID, single_group_dataset
from modelarts_contract.reference import data as reference_data
from modelarts_contract.reference.__main__ import EXAMPLE_DATA, FORMAT_DOC, main

EXAMPLE = ROOT / EXAMPLE_DATA


def _ctrl_c_as_in_a_terminal() -> None:
    """SIGINT handled by default in the CLI, as in a terminal: a test run started in the background
    (a CI step, `cmd &`) ignores SIGINT, and its children would inherit that and never stop."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def launch(*args: str, stderr_path) -> tuple[subprocess.Popen, dict[str, str]]:
    """Start the CLI and read stdout until its last export line (at most 30 s)."""
    cmd = [sys.executable, "-m", "modelarts_contract.reference", "--port", "0", *args]
    with stderr_path.open("w") as stderr:  # a file, not a pipe: werkzeug's request log must not block
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=stderr, text=True, preexec_fn=_ctrl_c_as_in_a_terminal
        )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in proc.stdout:
            lines.put(line)

    proc.pump = threading.Thread(target=pump, daemon=True)  # joined in stop()
    proc.pump.start()
    exports: dict[str, str] = {}
    deadline = time.monotonic() + 30
    while "MODELARTS_RATE_LIMIT" not in exports:
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


@pytest.mark.slow
def test_cli_serves_and_prints_exports(tmp_path):
    proc, exports = launch(stderr_path=tmp_path / "stderr.txt")
    try:
        assert exports["MODELARTS_BASE_URL"].startswith("http://127.0.0.1:")
        assert exports["MODELARTS_PROJECT_ID"] == MAIN_PROJECT_ID
        assert exports["MODELARTS_AUTH_TOKEN"] == MAIN_TOKEN
        assert exports["MODELARTS_OTHER_PROJECT_ID"] == OTHER_PROJECT_ID
        assert exports["MODELARTS_RATE_LIMIT"] == "none"  # a local stand-in: the 10/s remote pace is off
        url = f"{exports['MODELARTS_BASE_URL']}/v1/{MAIN_PROJECT_ID}/images/group"
        response = requests.get(url, headers={"X-Auth-Token": MAIN_TOKEN}, timeout=10)
        assert response.status_code == 200 and response.json()["total"] > 200
    finally:
        assert stop(proc) == 0


@pytest.mark.slow
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


def example_groups(workspace: str) -> dict[tuple[str, str], int]:
    """(namespace, name) -> number of versions of the example's main project, read straight from the file."""
    doc = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    main_project = doc["projects"][0]["project_id"]
    counts: dict[tuple[str, str], int] = {}
    for image in doc["images"]:
        if image["project_id"] == main_project and image["workspace_id"] == workspace:
            key = (image["namespace"], image["name"])
            counts[key] = counts.get(key, 0) + 1
    return counts


@pytest.mark.slow
def test_cli_serves_exactly_the_example_groups(tmp_path):
    doc = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    workspaces = sorted({i["workspace_id"] for i in doc["images"]})
    proc, exports = launch("--data", str(EXAMPLE), stderr_path=tmp_path / "stderr.txt")
    try:
        assert exports["MODELARTS_PROJECT_ID"] == doc["projects"][0]["project_id"]
        assert exports["MODELARTS_AUTH_TOKEN"] == doc["projects"][0]["token"]
        assert exports["MODELARTS_OTHER_PROJECT_ID"] == doc["projects"][1]["project_id"]
        url = f"{exports['MODELARTS_BASE_URL']}/v1/{exports['MODELARTS_PROJECT_ID']}/images/group"
        headers = {"X-Auth-Token": exports["MODELARTS_AUTH_TOKEN"]}
        for workspace in workspaces:
            query = {"limit": "2000", "workspace_id": workspace}
            body = requests.get(url, params=query, headers=headers, timeout=10).json()
            served = {(g["namespace"], g["name"]): g["version_count"] for g in body["data"]}
            assert served == example_groups(workspace) and body["total"] == len(served)
    finally:
        assert stop(proc) == 0
    assert len(workspaces) == 2 and max(example_groups("0").values()) >= 10


@pytest.mark.e2e
def test_the_contract_suite_passes_against_the_example(tmp_path):
    proc, exports = launch("--data", str(EXAMPLE), stderr_path=tmp_path / "stderr.txt")
    try:
        run = run_suite({**exports, "MODELARTS_RATE_LIMIT": "none"}, timeout=240)
    finally:
        stop(proc)
    assert run.code == 0, run.output[-4000:]
    assert re.search(r"clauses checked: [1-9]\d*, failed: 0", run.stdout) and run.transport["sent"] > 50


def test_a_missing_data_file_is_one_line_without_a_traceback(tmp_path):
    cmd = [sys.executable, "-m", "modelarts_contract.reference", "--port", "0", "--data", "nosuch.json"]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2 and proc.stdout == ""
    assert (
        proc.stderr
        == f"--data nosuch.json: no such file. Start from {EXAMPLE_DATA}; the format: {FORMAT_DOC}\n"
    )


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        ('{"projects": [\n  {"project_id": "p1"\n]}', "invalid JSON at line 3, column 1: Expecting ',' delimiter"),
        ('{"images": []}', '"projects" is empty'),
        ('{"projects": [{"project_id": "p1", "token": "t"}]}', "projects[0] lacks ak, sk"),
        ('{"projects": [{"project_id": 1, "token": "t", "ak": "a", "sk": "s"}]}',
         "projects[0].project_id must be a string, got a number"),
    ],
)  # fmt: skip
def test_a_bad_data_file_is_one_line_that_says_what_to_do(tmp_path, capsys, content, detail):
    path = tmp_path / "data.json"
    path.write_text(content, encoding="utf-8")
    assert main(["--port", "0", "--data", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert err.startswith(f"--data {path}: {detail}")
    assert err.endswith(f". Start from {EXAMPLE_DATA}; the format: {FORMAT_DOC}\n")


def test_the_messages_point_at_files_that_exist():
    assert EXAMPLE.is_file()
    assert EXAMPLE_DATA in (reference_data.__doc__ or "")  # the format docs name the example too
    assert FORMAT_DOC.endswith(reference_data.__name__)
