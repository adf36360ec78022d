"""AK/SK (SDK-HMAC-SHA256) verification by the reference server, with requests signed by the SDK's signer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import requests
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

from modelarts_contract.reference import (
    MAIN_AK,
    MAIN_PROJECT_ID,
    MAIN_SK,
    OTHER_AK,
    OTHER_SK,
    build_app,
    default_dataset,
    serve,
)

NOW = datetime(2024, 6, 18, 12, 0, 0, tzinfo=UTC)
PATH = f"/v1/{MAIN_PROJECT_ID}/images/group"


@dataclass(frozen=True)
class Keys:  # what Signer reads; BasicCredentials would write $HOME/.huaweicloud on import
    ak: str
    sk: str


@pytest.fixture(scope="module")
def srv():
    with serve(build_app(default_dataset(), clock=NOW.timestamp)) as running:
        yield running


def signed(srv, query=(), *, ak=MAIN_AK, sk=MAIN_SK, when=NOW, path=PATH, extra=None) -> SdkRequest:
    """A request signed on the client side exactly as the SDK does it."""
    host = srv.url.removeprefix("http://")
    headers = {"Content-Type": "application/json", "X-Project-Id": MAIN_PROJECT_ID, **(extra or {})}
    headers["X-Sdk-Date"] = when.strftime("%Y%m%dT%H%M%SZ")
    request = SdkRequest("GET", "http", host, path, query_params=list(query), header_params=headers)
    return Signer(Keys(ak, sk)).sign(request)


def send(request: SdkRequest, url: str | None = None, headers: dict | None = None) -> requests.Response:
    sent = {**request.header_params, **(headers or {})}
    return requests.get(url or request.url, headers=sent, timeout=10, allow_redirects=False)


@pytest.mark.parametrize(
    "query",
    [
        [],
        [("limit", "5")],
        [("name", "pytorch"), ("limit", "3"), ("name_fuzzy_match", "true"), ("offset", "1")],
        [("name", "a b+c/%_\u00e9~*"), ("namespace", "ai-lab")],
        [("sort_key", "name,create_at"), ("unknown", "")],
    ],
)
def test_signed_request_verifies(srv, query):
    response = send(signed(srv, query))
    assert response.status_code == 200, response.text
    assert "total" in response.json()


def test_signature_with_plus_encoded_space_verifies(srv):
    request = signed(srv, [("name", "a b")])
    assert send(request, url=f"{srv.url}{PATH}?name=a+b").status_code == 200


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda r: send(signed(r, sk="wrong-sk")), "signature mismatch"),
        (lambda r: send(signed(r, ak="REFAKUNKNOWN00000000")), "unknown access key"),
        (lambda r: send(signed(r, when=NOW - timedelta(minutes=16))), "15 minutes"),
        (lambda r: send(signed(r, when=NOW + timedelta(minutes=16))), "15 minutes"),
        (lambda r: send(signed(r, [("limit", "5")]), url=f"{r.url}{PATH}?limit=6"), "signature mismatch"),
        (lambda r: send(signed(r), headers={"X-Project-Id": "tampered"}), "signature mismatch"),
        (lambda r: send(signed(r), headers={"X-Sdk-Date": "2024-06-18T12:00:00Z"}), "malformed X-Sdk-Date"),
        (lambda r: send(signed(r), headers={"Authorization": "SDK-HMAC-SHA256 Access=x"}), "malformed"),
        (lambda r: send(signed(r), headers={"Authorization": "Basic dXNlcjpwYXNz"}), "malformed"),
        (
            lambda r: send(signed(r), headers={"Authorization": "SDK-HMAC-SHA256 Access=\u00e9, x"}),
            "malformed",
        ),
    ],
)
def test_bad_signatures_are_401(srv, mutate, reason):
    response = mutate(srv)
    assert response.status_code == 401
    body = response.json()
    assert body["error_code"] == "ModelArts.0203"
    assert reason in body["error_msg"]
    assert MAIN_SK not in response.text


def test_missing_signed_header_is_401(srv):
    request = signed(srv, extra={"X-Custom": "1"})
    del request.header_params["X-Custom"]
    assert send(request).status_code == 401


def test_date_within_15_minutes_is_accepted(srv):
    assert send(signed(srv, when=NOW - timedelta(minutes=14))).status_code == 200
    assert send(signed(srv, when=NOW + timedelta(minutes=14))).status_code == 200


def test_other_projects_keys_are_403(srv):
    response = send(signed(srv, ak=OTHER_AK, sk=OTHER_SK))
    assert response.status_code == 403
    assert response.json()["error_code"] == "ModelArts.0210"


SDK_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
    from huaweicloudsdkmodelarts.v1 import ListImageGroupRequest, ModelArtsClient

    url, ak, sk, project = sys.argv[1:5]
    client = (ModelArtsClient.new_builder().with_credentials(BasicCredentials(ak, sk, project))
              .with_endpoints([url]).build())
    try:
        r = client.list_image_group(ListImageGroupRequest(name="py torch+_", limit=3, offset=1))
        r2 = client.list_image_group(ListImageGroupRequest(name="pytorch", limit=3))
        print(json.dumps({"status": 200, "total": [r.total, r2.total], "size": r2.size}))
    except ClientRequestException as e:
        print(json.dumps({"status": e.status_code, "code": e.error_code}))
    """
)


@pytest.mark.parametrize(("sk", "status"), [(MAIN_SK, 200), ("wrong", 401)])
@pytest.mark.slow
def test_real_sdk_client(tmp_path, sk, status):
    # A separate process with HOME in tmp_path: importing the SDK writes $HOME/.huaweicloud.
    # The server uses the real clock here, since the SDK stamps X-Sdk-Date itself.
    with serve(build_app(default_dataset())) as running:
        env = {**os.environ, "HOME": str(tmp_path)}
        args = [sys.executable, "-c", SDK_SCRIPT, running.url, MAIN_AK, sk, MAIN_PROJECT_ID]
        out = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120, check=True)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        assert result["status"] == status
        if status == 200:
            assert result["total"][0] == 0 and result["total"][1] > 3 and result["size"] == 3
        signed_headers = {
            r.headers.get("Authorization", "").split("SignedHeaders=")[-1].split(",")[0]
            for r in running.requests
        }
    assert signed_headers == {"content-type;host;user-agent;x-project-id;x-sdk-date"}
    assert (tmp_path / ".huaweicloud").exists()
