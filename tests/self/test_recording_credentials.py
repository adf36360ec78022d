"""The kind of credentials a request carried, as a recording keeps it (never the credentials): what
a replay tells the R1 probes apart by, since they send one URL with different credentials."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests

from modelarts_contract.auth import AkSkAuth, NoAuth, TokenAuth
from modelarts_contract.recording.credentials import CredentialLabels, path_and_query

URL = "http://127.0.0.1:9/v1/p0123456789/images/group?offset=0&limit=1"
TOKEN, AK, SK = "configured-token-0000", "CONFIGUREDACCESSKEY0", "configured-secret-key-0000"


def _sent(auth: requests.auth.AuthBase, **headers: str) -> requests.PreparedRequest:
    return requests.Request("GET", URL, auth=auth, headers=headers).prepare()


@pytest.mark.parametrize(
    "auth, label",
    [
        (TokenAuth(TOKEN), "configured"),
        (TokenAuth(TOKEN + "x"), "other-token"),
        (NoAuth(), "none"),
    ],
)
def test_token_requests_are_labelled_by_their_token(auth, label):
    assert CredentialLabels(TOKEN, None, None).label(_sent(auth)) == label


@pytest.mark.parametrize(
    "auth, label",
    [
        (AkSkAuth(AK, SK, "p0123456789"), "configured"),
        (AkSkAuth(AK, SK + "x", "p0123456789"), "bad-signature"),
        (
            AkSkAuth(AK, SK, "p0123456789", signed_at=datetime.now(UTC) - timedelta(minutes=30)),
            "stale-signature",
        ),
        (NoAuth(), "none"),
    ],
)
def test_signed_requests_are_labelled_by_signing_them_again(auth, label):
    assert CredentialLabels(None, AK, SK).label(_sent(auth)) == label


def test_a_signature_in_a_token_run_and_another_scheme_are_not_the_configured_credentials():
    labels = CredentialLabels(TOKEN, None, None)
    assert labels.label(_sent(AkSkAuth(AK, SK, "p0123456789"))) == "bad-signature"
    assert labels.label(_sent(None, Authorization="Basic dXNlcjpwYXNz")) == "other-authorization"


def test_the_query_is_matched_in_any_order():
    assert path_and_query(URL) == path_and_query(URL.replace("offset=0&limit=1", "limit=1&offset=0"))
    assert path_and_query(URL)[0] == "/v1/p0123456789/images/group"
