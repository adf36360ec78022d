"""R16, redirects: a 3xx is never followed, is reported as a contract failure, and the credentials
never reach the host it points to (a second server that records every header it receives)."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from tests.self.helpers import remote_env, run_suite
from werkzeug.wrappers import Request, Response

from modelarts_contract.reference import ReferenceApp, build_app, data, default_dataset, serve

pytestmark = pytest.mark.e2e  # each test runs the contract suite against a server (a subprocess)


def redirecting_to(elsewhere: str, status: int) -> type[ReferenceApp]:
    class Redirecting(ReferenceApp):
        """Sends every request of the operation to another host, as a moved service would."""

        def handle(self, request: Request) -> Response:
            query = f"?{request.query_string.decode()}" if request.query_string else ""
            return Response(status=status, headers={"Location": elsewhere + request.path + query})

    return Redirecting


def test_redirect_to_another_host_is_a_contract_failure_and_carries_nothing(tmp_path):
    with serve(build_app(default_dataset())) as second:
        app = build_app(default_dataset(), app_cls=redirecting_to(second.url, 307))
        with serve(app) as first:
            env = remote_env(first.url, MODELARTS_MAX_EXAMPLES="5")
            run = run_suite(env, "--report-dir", str(tmp_path))
            sent_to_first = len(first.requests)
        received = second.requests.snapshot()
    assert run.code == 1, run.output[-3000:]
    assert received == []  # nothing followed: no token, no signature, no request at all
    assert sent_to_first == run.transport["sent"]
    ledger = json.loads((tmp_path / "ledger.json").read_text(encoding="utf-8"))
    assert ledger["clauses"]["R16.documented-status"]["broken"] > 0
    assert f"redirecting to {second.url}" in run.output and "(not followed)" in run.output
    assert urlsplit(second.url).netloc != urlsplit(first.url).netloc


def test_signed_requests_are_not_followed_either():
    with serve(build_app(default_dataset())) as second:
        app = build_app(default_dataset(), app_cls=redirecting_to(second.url, 302))
        with serve(app) as first:
            aksk = {
                "HUAWEICLOUD_SDK_AK": data.MAIN_AK,
                "HUAWEICLOUD_SDK_SK": data.MAIN_SK,
                "MODELARTS_AUTH_TOKEN": "",
            }
            run = run_suite(remote_env(first.url, **aksk), "-k", "configured_credentials_are_accepted")
            signed = [r for r in first.requests if r.headers.get("Authorization", "").startswith("SDK-HMAC")]
        assert second.requests.snapshot() == []
    assert run.code == 1 and signed, run.output[-3000:]
