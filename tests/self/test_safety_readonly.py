"""R16, read-only: whatever schemathesis phase or check runs, the target receives nothing but GET.

The evidence is server-side: the reference server records every request before routing.
"""

from __future__ import annotations

import textwrap

import pytest
from tests.self.helpers import CREDENTIAL_TESTS, remote_env, run_suite
from tests.self.shared_runs import DEFAULT_REMOTE_RUN, default_remote_run

from modelarts_contract.reference import build_app, data, default_dataset, serve
from modelarts_contract.reference.iam import IamApp, Issuer, write_credentials

pytestmark = pytest.mark.e2e  # each test runs the contract suite against a server (a subprocess)


@DEFAULT_REMOTE_RUN
def test_the_contract_suite_sends_only_get_and_counts_every_request(pytestconfig):
    shared = default_remote_run(pytestconfig)
    run, recorded = shared.run, shared.received
    assert run.code == 0, run.output[-4000:]
    assert {r.method for r in recorded} == {"GET"}
    assert run.transport["sent"] == len(recorded)  # the budget saw every request the server saw


# schemathesis with its defaults: every built-in check (unsupported_method and ignored_auth among
# them) and the coverage phase's undocumented methods. Only the transport stands in the way.
# (No generated credentials, and the token given explicitly, so that ignored_auth sends its probes.)
HOSTILE = textwrap.dedent(
    """
    import schemathesis
    from schemathesis.config import SchemathesisConfig

    from modelarts_contract.contract import load_document
    from modelarts_contract.transport import TransportRefused

    generation = {"max-examples": 5, "database": "none", "with-security-parameters": False}
    schema = schemathesis.openapi.from_dict(load_document(), config=SchemathesisConfig.from_dict({"seed": 7, "generation": generation}))
    REFUSED = set()


    @schema.parametrize()
    def test_everything(case, target):
        case.path_parameters = {"project_id": target.project_id}
        try:
            headers = {"X-Auth-Token": target.config.auth_token}
            case.call_and_validate(session=target.session, base_url=target.base_url, headers=headers)
        except TransportRefused:
            REFUSED.add(case.method)


    def test_other_methods_were_tried():
        assert REFUSED >= {"POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"}, REFUSED
    """
)


def test_no_phase_or_check_gets_another_method_through(tmp_path):
    (tmp_path / "test_hostile.py").write_text(HOSTILE, encoding="utf-8")
    with serve(build_app(default_dataset())) as server:
        env = remote_env(server.url)
        run = run_suite(env, "-p", "modelarts_contract.pytest_plugin", tests=tmp_path, cwd=tmp_path)
        recorded = server.requests.snapshot()
    assert run.code == 0, run.output[-4000:]  # includes: every other method was tried, and refused
    assert run.transport["refused"] >= 6
    assert {r.method for r in recorded} == {"GET"}
    # ignored_auth sends its probes on fresh sessions of schemathesis's own: the fence counted them too.
    probes = [r for r in recorded if r.headers.get("X-Auth-Token") != data.MAIN_TOKEN]
    assert len(probes) > 10
    assert run.transport["sent"] == len(recorded)


def test_a_password_run_sends_one_post_to_iam_and_only_get_to_the_target(tmp_path):
    """The one exception to GET only: the IAM token request (password credentials), to the IAM
    origin only, once per run however many xdist workers share it (the controller fetches it)."""
    issuer = Issuer(default_dataset().projects)
    with serve(build_app(default_dataset(), iam=issuer)) as server, serve(IamApp(issuer)) as iam:
        write_credentials(tmp_path / "creds", iam.url, issuer)
        env = remote_env(
            server.url,
            MODELARTS_AUTH_TOKEN="",
            MODELARTS_PROJECT_ID="",
            OS_CLOUD="reference-password",
            OS_CLIENT_CONFIG_FILE=str(tmp_path / "creds" / "clouds.yaml"),
            OS_CLIENT_SECURE_FILE=str(tmp_path / "creds" / "secure.yaml"),
            HOME=str(tmp_path),
        )
        run = run_suite(env, "-n", "2", tests=CREDENTIAL_TESTS, cwd=tmp_path)  # the tests that use the token
        recorded, to_iam = server.requests.snapshot(), iam.requests.snapshot()
    assert run.code == 0, run.output[-4000:]
    assert {r.method for r in recorded} == {"GET"} and run.transport["sent"] == len(recorded)
    assert [(r.method, r.path) for r in to_iam] == [("POST", "/v3/auth/tokens")]
    assert (
        len({r.headers.get("X-Auth-Token") for r in recorded if "X-Auth-Token" in r.headers}) > 1
    )  # R1 probes
