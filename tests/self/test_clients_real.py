"""Real clients against the reference server: the official Huawei Cloud SDK (AK/SK) and a plain
X-Auth-Token client the way OTC's tooling calls the API. Both list image groups with paging and
filters, and both see the documented error statuses (400, 401, 403, 404, 429, 500).

The SDK runs in a subprocess with HOME in a temp dir: importing it writes $HOME/.huaweicloud.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from tests.self.helpers import remote_env, run_suite
from werkzeug.wrappers import Request, Response

from modelarts_contract.auth import AkSkAuth
from modelarts_contract.reference import ReferenceApp, build_app, data, default_dataset, serve
from modelarts_contract.reference.iam import Issuer

pytest.importorskip("huaweicloudsdkmodelarts", reason="the sdk extra: pip install .[sdk]")

TRIGGERED = {  # documented statuses the reference data never causes, on request (name=status-NNN)
    "status-404": (404, "APIGW.0101", "The API does not exist or has not been published in the environment"),
    "status-429": (429, "ModelArts.6101", "Too many requests, retry after the time in Retry-After"),
    "status-500": (500, "ModelArts.0010", "Internal server error"),
}


class DocumentedErrors(ReferenceApp):
    """The reference, plus 404, 429 and 500 answers on demand."""

    def handle(self, request: Request) -> Response:
        if request.args.get("name") in TRIGGERED:
            status, code, message = TRIGGERED[request.args["name"]]
            response = self.error(status, code, message)
            if status == 429:
                response.headers["Retry-After"] = "0"
            return response
        return super().handle(request)


@pytest.fixture(scope="module")
def server() -> Iterator:
    with serve(build_app(default_dataset(), app_cls=DocumentedErrors)) as running:
        yield running


SDK_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.exceptions.exceptions import SdkException
    from huaweicloudsdkmodelarts.v1 import ListImageGroupRequest, ListImageGroupResponse, ModelArtsClient
    from huaweicloudsdkmodelarts.v1.model.image_group import ImageGroup

    url, ak, sk, project, other, workspace = sys.argv[1:7]

    def client(sk=sk, project=project):
        credentials = BasicCredentials(ak, sk, project)
        return ModelArtsClient.new_builder().with_credentials(credentials).with_endpoints([url]).build()

    def call(c, **query):
        try:
            r = c.list_image_group(ListImageGroupRequest(**query))
        except SdkException as e:
            return {"status": getattr(e, "status_code", None), "error_code": getattr(e, "error_code", None),
                    "error_msg": getattr(e, "error_msg", None), "exception": type(e).__name__}
        assert isinstance(r, ListImageGroupResponse), type(r)
        assert all(isinstance(g, ImageGroup) for g in r.data), r.data
        return {"status": r.status_code, "body": r.to_dict()}

    c = client()
    print(json.dumps({
        "page1": call(c, limit=5, offset=0),
        "page2": call(c, limit=5, offset=5),
        "ten": call(c, limit=10),
        "fuzzy": call(c, name="pytorch", limit=1000),
        "exact": call(c, name="pytorch", name_fuzzy_match=False, limit=1000),
        "namespace": call(c, namespace="ai-lab", limit=1000),
        "type": call(c, type="BUILD_IN", limit=1000),
        "workspace": call(c, workspace_id=workspace, limit=1000),
        "400": call(c, limit=0),
        "401": call(client(sk="not-the-secret-key")),
        "403": call(client(project=other)),
        "404": call(c, name="status-404"),
        "429": call(c, name="status-429"),
        "500": call(c, name="status-500"),
    }))
    """
)


@pytest.fixture(scope="module")
def sdk(server, tmp_path_factory) -> dict[str, dict]:
    home = tmp_path_factory.mktemp("home")
    args = [server.url, data.MAIN_AK, data.MAIN_SK, data.MAIN_PROJECT_ID, data.OTHER_PROJECT_ID]
    args.append(data.SECOND_WORKSPACE_ID)
    env = {**os.environ, "HOME": str(home)}
    proc = subprocess.run(
        [sys.executable, "-c", SDK_SCRIPT, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@dataclass
class Group:
    name: str
    namespace: str
    create_at: int
    update_at: int
    version_count: int


@dataclass
class Page:
    current: int
    pages: int
    size: int
    total: int
    data: list[Group]


class ApiError(Exception):
    def __init__(self, status: int, error_code: str | None, error_msg: str | None) -> None:
        super().__init__(f"{status} {error_code}: {error_msg}")
        self.status, self.error_code, self.error_msg = status, error_code, error_msg


class TokenClient:
    """OTC's way (otcextensions/openstacksdk over keystoneauth): an IAM token in X-Auth-Token, JSON
    accepted, the service endpoint from the catalog plus the documented path."""

    def __init__(self, endpoint: str, project_id: str, token: str) -> None:
        self.url = f"{endpoint}/v1/{project_id}/images/group"
        self.session = requests.Session()
        self.session.headers.update({"X-Auth-Token": token, "Accept": "application/json"})

    def list_image_groups(self, **query: object) -> Page:
        response = self.session.get(self.url, params=query, timeout=10, allow_redirects=False)
        body = response.json()
        if response.status_code >= 400:
            raise ApiError(response.status_code, body.get("error_code"), body.get("error_msg"))
        groups = [Group(**{f.name: item[f.name] for f in fields(Group)}) for item in body["data"]]
        return Page(**{**{f.name: body[f.name] for f in fields(Page) if f.name != "data"}, "data": groups})


def keys(groups: list) -> list[tuple[str, str]]:
    return [(g["namespace"], g["name"]) if isinstance(g, dict) else (g.namespace, g.name) for g in groups]


def test_sdk_pages(sdk):
    page1, page2, ten = sdk["page1"]["body"], sdk["page2"]["body"], sdk["ten"]["body"]
    assert sdk["page1"]["status"] == 200
    assert keys(page1["data"]) + keys(page2["data"]) == keys(ten["data"])
    assert (page1["current"], page2["current"], page1["size"]) == (1, 2, 5)
    assert page1["total"] == ten["total"] > 10 and page1["pages"] == -(-page1["total"] // 5)


def test_sdk_filters(sdk):
    fuzzy, exact = sdk["fuzzy"]["body"]["data"], sdk["exact"]["body"]["data"]
    assert fuzzy and all("pytorch" in g["name"] for g in fuzzy) and any(g["name"] != "pytorch" for g in fuzzy)
    assert exact and all(g["name"] == "pytorch" for g in exact)
    assert all(g["namespace"] == "ai-lab" for g in sdk["namespace"]["body"]["data"])
    assert 0 < sdk["type"]["body"]["total"] < sdk["ten"]["body"]["total"]
    assert any(g["name"].startswith("ws-only-") for g in sdk["workspace"]["body"]["data"])


@pytest.mark.parametrize(
    ("status", "code", "exception"),
    [
        ("400", "ModelArts.0101", "ClientRequestException"),
        ("401", "ModelArts.0203", "ClientRequestException"),
        ("403", "ModelArts.0210", "ClientRequestException"),
        ("404", "APIGW.0101", "ClientRequestException"),
        ("500", "ModelArts.0010", "ServerResponseException"),
    ],
)
def test_sdk_sees_documented_errors(sdk, status, code, exception):
    assert (sdk[status]["status"], sdk[status]["error_code"], sdk[status]["exception"]) == (
        int(status),
        code,
        exception,
    )
    assert sdk[status]["error_msg"]


def test_sdk_sees_429(sdk):
    # The SDK's urllib3 retry wrapper (status_forcelist=[429]) reports the status but drops the body.
    assert (sdk["429"]["status"], sdk["429"]["exception"]) == (429, "ClientRequestException")
    assert "too many 429 error responses" in sdk["429"]["error_msg"]


@pytest.fixture(scope="module")
def client(server) -> TokenClient:
    return TokenClient(server.url, data.MAIN_PROJECT_ID, data.MAIN_TOKEN)


def test_token_client_pages_and_agrees_with_the_sdk(client, sdk):
    page1, page2 = client.list_image_groups(limit=5), client.list_image_groups(limit=5, offset=5)
    ten = client.list_image_groups(limit=10)
    assert keys(page1.data) + keys(page2.data) == keys(ten.data) == keys(sdk["ten"]["body"]["data"])
    assert (page1.current, page2.current, page1.total) == (1, 2, sdk["ten"]["body"]["total"])
    assert all(isinstance(g, Group) and g.create_at <= g.update_at for g in ten.data)


def test_token_client_filters(client, sdk):
    assert keys(client.list_image_groups(name="pytorch", limit=1000).data) == keys(
        sdk["fuzzy"]["body"]["data"]
    )
    exact = client.list_image_groups(name="pytorch", name_fuzzy_match="false", limit=1000).data
    assert exact and all(g.name == "pytorch" for g in exact)
    assert keys(client.list_image_groups(namespace="ai-lab", limit=1000).data) == keys(
        sdk["namespace"]["body"]["data"]
    )
    ordered = client.list_image_groups(sort_key="version_count", sort_dir="ASC", limit=1000).data
    assert [g.version_count for g in ordered] == sorted(g.version_count for g in ordered)


@pytest.mark.parametrize(
    ("query", "token", "project", "status", "code"),
    [
        ({"limit": "0"}, data.MAIN_TOKEN, data.MAIN_PROJECT_ID, 400, "ModelArts.0101"),
        ({}, "expired-token", data.MAIN_PROJECT_ID, 401, "ModelArts.0203"),
        ({}, data.MAIN_TOKEN, data.OTHER_PROJECT_ID, 403, "ModelArts.0210"),
        ({"name": "status-404"}, data.MAIN_TOKEN, data.MAIN_PROJECT_ID, 404, "APIGW.0101"),
        ({"name": "status-429"}, data.MAIN_TOKEN, data.MAIN_PROJECT_ID, 429, "ModelArts.6101"),
        ({"name": "status-500"}, data.MAIN_TOKEN, data.MAIN_PROJECT_ID, 500, "ModelArts.0010"),
    ],
)
def test_token_client_sees_documented_errors(server, query, token, project, status, code):
    with pytest.raises(ApiError) as caught:
        TokenClient(server.url, project, token).list_image_groups(**query)
    assert (caught.value.status, caught.value.error_code) == (status, code) and caught.value.error_msg


@pytest.mark.e2e
def test_the_suite_itself_signs_with_aksk_and_the_reference_verifies(server):
    env = remote_env(
        server.url, MODELARTS_AUTH_TOKEN="", HUAWEICLOUD_SDK_AK=data.MAIN_AK, HUAWEICLOUD_SDK_SK=data.MAIN_SK
    )
    before = len(server.requests)
    run = run_suite(env, "-k", "test_auth or default_page")
    assert run.code == 0, run.output[-3000:]
    suite = server.requests.snapshot()[before:]
    signed = [
        r
        for r in suite
        if r.headers.get("Authorization", "").startswith(f"SDK-HMAC-SHA256 Access={data.MAIN_AK},")
    ]
    assert len(signed) >= 4 and all(r.headers.get("X-Sdk-Date") for r in signed)
    assert not any(r.headers.get("X-Auth-Token") == data.MAIN_TOKEN for r in suite)


def test_our_signer_is_verified_by_the_reference_and_can_sign_stale(server):
    url = f"{server.url}/v1/{data.MAIN_PROJECT_ID}/images/group"
    fresh = AkSkAuth(data.MAIN_AK, data.MAIN_SK, data.MAIN_PROJECT_ID)
    stale = AkSkAuth(
        data.MAIN_AK, data.MAIN_SK, data.MAIN_PROJECT_ID, signed_at=datetime.now(UTC) - timedelta(minutes=30)
    )
    wrong = AkSkAuth(data.MAIN_AK, "not-the-secret-key", data.MAIN_PROJECT_ID)
    params = {
        "limit": "3",
        "name": "py torch+_",
        "sort_key": "name,create_at",
    }  # encoding matters to the signature
    assert requests.get(url, params=params, auth=fresh, timeout=10).status_code == 200
    assert requests.get(url, params=params, auth=stale, timeout=10).json()["error_code"] == "ModelArts.0203"
    assert requests.get(url, params=params, auth=wrong, timeout=10).status_code == 401


TEMPORARY_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.exceptions.exceptions import SdkException
    from huaweicloudsdkcore.sdk_request import SdkRequest
    from huaweicloudsdkmodelarts.v1 import ListImageGroupRequest, ModelArtsClient

    url, ak, sk, security_token, project, host, date = sys.argv[1:8]

    def call(token):
        credentials = BasicCredentials(ak, sk, project).with_security_token(token)
        client = ModelArtsClient.new_builder().with_credentials(credentials).with_endpoints([url]).build()
        try:
            return client.list_image_group(ListImageGroupRequest(limit=3)).status_code
        except SdkException as e:
            return getattr(e, "status_code", None)

    # The SDK's own signing path for temporary keys (BasicCredentials.sign_request), at a fixed moment.
    request = SdkRequest(method="GET", schema="http", host=host, resource_path=f"/v1/{project}/images/group",
                         query_params=[("limit", "3")], header_params={"X-Project-Id": project, "X-Sdk-Date": date})
    signed = BasicCredentials(ak, sk, project).with_security_token(security_token).sign_request(request)
    print(json.dumps({"sdk": call(security_token), "wrong": call("sts-not-issued-0000"),
                      "headers": {k: v for k, v in signed.header_params.items()}}))
    """
)


def run_script(script: str, args: list[str], home: Path) -> dict:
    """`script` in a subprocess with HOME in `home` (importing the SDK writes there); its last line."""
    command = [sys.executable, "-c", script, *args]
    env = {**os.environ, "HOME": str(home)}
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_the_official_sdk_with_temporary_keys_and_our_signer_agree(tmp_path):
    """Temporary AK/SK: the SDK's client gets 200 with its security token and 401 with another, and
    our AkSkAuth sends the very headers the SDK's own signing path makes (X-Security-Token signed)."""
    issuer = Issuer(default_dataset().projects)
    keys = issuer.issue_keys(data.MAIN_PROJECT_ID, 900)
    moment = datetime.now(UTC).replace(microsecond=0)
    with serve(build_app(default_dataset(), iam=issuer)) as running:
        host = running.url.split("//", 1)[1]
        args = [
            running.url,
            keys.credentials.ak,
            keys.credentials.sk,
            keys.security_token,
            data.MAIN_PROJECT_ID,
        ]
        args += [host, moment.strftime("%Y%m%dT%H%M%SZ")]
        result = run_script(TEMPORARY_SCRIPT, args, tmp_path)
        ours = AkSkAuth(
            keys.credentials.ak,
            keys.credentials.sk,
            data.MAIN_PROJECT_ID,
            signed_at=moment,
            security_token=keys.security_token,
        )
        url = f"{running.url}/v1/{data.MAIN_PROJECT_ID}/images/group?limit=3"
        sent = ours(requests.Request("GET", url).prepare()).headers
        answered = requests.get(url, auth=ours, timeout=10).status_code
    assert (result["sdk"], result["wrong"]) == (200, 401)
    sdk_headers = result["headers"]
    assert "x-security-token" in sdk_headers["Authorization"]
    for name in ("Authorization", "X-Security-Token", "X-Sdk-Date"):
        assert sent[name] == sdk_headers[name], name
    assert answered == 200
