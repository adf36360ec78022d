"""R1: credentials decide who reads what. Each response is also held to every single-response clause."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from modelarts_contract.auth import AkSkAuth, NoAuth, TokenAuth
from modelarts_contract.checks import auth
from modelarts_contract.checks.registry import Check, Scope, response_checks


def _checked(target, exchange, check: Check):
    target.verifier.run_all([*response_checks(Scope.CREDENTIALS), check], exchange)


def test_configured_credentials_are_accepted(target):
    _checked(target, target.get({"limit": "1"}), auth.accepted)


def test_missing_credentials_get_401(target):
    _checked(target, target.get({"limit": "1"}, auth=NoAuth()), auth.no_credentials)


def test_invalid_token_gets_401(target):
    forged = TokenAuth("invalid-" + "0" * 24)
    _checked(target, target.get({"limit": "1"}, auth=forged), auth.invalid_credentials)


def test_bad_signature_gets_401(target):
    # A well-formed AK/SK signature made with a secret key that is not the project's.
    ak = target.config.ak or "UNKNOWNACCESSKEY0000"
    forged = AkSkAuth(ak, "not-the-secret-key-" + "0" * 20, target.project_id)
    _checked(target, target.get({"limit": "1"}, auth=forged), auth.invalid_credentials)


def test_other_project_is_refused(target):
    exchange = target.get({"limit": "1"}, project_id=target.config.other_project_id)
    _checked(target, exchange, auth.other_project)


def test_stale_signature_gets_401(target):
    # R1 with the Huawei signing rules: a signature dated 30 minutes ago is not valid any more.
    if target.config.auth_mode != "aksk":
        pytest.skip("needs AK/SK credentials (HUAWEICLOUD_SDK_AK/SK): a token run has no signature to age")
    stale = AkSkAuth(
        target.config.ak,
        target.config.sk,
        target.project_id,
        signed_at=datetime.now(UTC) - timedelta(minutes=30),
        security_token=target.config.security_token,  # temporary keys: only the date is wrong
    )
    _checked(target, target.get({"limit": "1"}, auth=stale), auth.invalid_credentials)
