"""The contract suite passes against a conforming server that shares no code with the reference server.

The server under test is ``tests/self/independent/server.py`` (stdlib only, written from the document and
the rulings). A few direct tests first, so that a broken independent server is caught by itself and not
mistaken for a fault of the suite.
"""

from __future__ import annotations

import json
import sys
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest
from tests.self.forkserver import run_pytest
from tests.self.helpers import ROOT, clean_environment
from tests.self.independent.server import MAIN_PROJECT, MAIN_TOKEN, OTHER_PROJECT, start

PATH = f"/v1/{MAIN_PROJECT}/images/group"


@pytest.fixture(scope="module")
def url():
    base, stop = start()
    try:
        yield base
    finally:
        stop()


def call(url: str, query: str = "", token: str | None = MAIN_TOKEN, path: str = PATH):
    request = Request(
        url + path + (f"?{query}" if query else ""), headers={"X-Auth-Token": token} if token else {}
    )
    try:
        with urlopen(request, timeout=10) as response:
            return response.status, response.headers["Content-Type"], json.loads(response.read())
    except HTTPError as error:
        with error:
            return error.code, error.headers["Content-Type"], json.loads(error.read())


def test_defaults(url):
    status, content_type, body = call(url)
    assert status == 200
    assert content_type.startswith("application/json")
    assert body["total"] > 200 and len(body["data"]) == 200
    assert (body["current"], body["size"]) == (1, 200)
    assert body["pages"] == -(-body["total"] // 200)
    first = body["data"][0]
    assert {"name", "namespace", "create_at", "update_at", "version_count"} <= first.keys()
    assert [g["update_at"] for g in body["data"]] == sorted(
        (g["update_at"] for g in body["data"]), reverse=True
    )
    _, _, explicit = call(url, "limit=200&offset=0&workspace_id=0")
    assert explicit == body


def test_paging_walk_matches_one_page(url):
    _, _, whole = call(url, "limit=1000&sort_key=version_count&sort_dir=ASC")
    walked = []
    for offset in range(0, whole["total"], 7):
        _, _, page = call(url, f"limit=7&offset={offset}&sort_key=version_count&sort_dir=ASC")
        assert page["current"] == offset // 7 + 1
        walked += page["data"]
    assert walked == whole["data"]
    counts = [g["version_count"] for g in walked]
    assert counts == sorted(counts)


def test_filters(url):
    _, _, body = call(url, "name=py&limit=1000")
    assert body["data"] and all("py" in g["name"] for g in body["data"])
    assert any(g["name"] != "py" for g in body["data"])
    _, _, exact = call(url, "name=py&name_fuzzy_match=false&limit=1000")
    assert exact["data"] and all(g["name"] == "py" for g in exact["data"])
    _, _, typed = call(url, "type=BUILD_IN&limit=1000")
    assert 0 < typed["total"] < body["total"] + 1000
    _, _, other_ws = call(url, "workspace_id=" + "5e" * 16)
    assert 0 < other_ws["total"] < body["total"] + 1000


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=abc",
        "limit=2147483648",
        "offset=-1",
        "type=build_in",
        "sort_dir=",
        "sort_key=name,",
        "sort_key=size",
        "name_fuzzy_match=True",
        "service_type=",
    ],
)
def test_invalid_parameters_get_400(url, query):
    status, content_type, body = call(url, query)
    assert status == 400, query
    assert content_type.startswith("application/json")
    assert body["error_code"] == "ModelArts.0101" and isinstance(body["error_msg"], str)


@pytest.mark.parametrize("token", [None, "not-a-token"])
def test_bad_credentials_get_401(url, token):
    status, _, body = call(url, "limit=1", token=token)
    assert status == 401
    assert body["error_code"] == "ModelArts.0203" and isinstance(body["error_msg"], str)


def test_other_project_and_unknown_path_get_404(url):
    status, _, body = call(url, "limit=1", path=f"/v1/{OTHER_PROJECT}/images/group")
    assert status == 404 and isinstance(body["error_code"], str)
    status, _, body = call(url, path="/v1/nothing/here")
    assert status == 404 and isinstance(body["error_msg"], str)


@pytest.mark.slow
@pytest.mark.e2e
def test_contract_suite_passes_against_independent_server():
    base, stop = start()
    try:
        env = clean_environment()
        env.update(
            MODELARTS_BASE_URL=base,
            MODELARTS_PROJECT_ID=MAIN_PROJECT,
            MODELARTS_AUTH_TOKEN=MAIN_TOKEN,
            MODELARTS_OTHER_PROJECT_ID=OTHER_PROJECT,
            MODELARTS_RATE_LIMIT="none",
        )
        result = run_pytest(
            [sys.executable, "-m", "pytest", "tests/contract", "-q", "-p", "no:cacheprovider"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        stop()
    output = result.stdout + result.stderr
    assert result.returncode == 0, "contract suite failed against the independent server:\n" + output[-6000:]
