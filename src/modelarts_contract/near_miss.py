"""Near-miss credentials (R1): values a service must refuse that differ from the configured ones by
what a careless comparison overlooks (a prefix, case, a suffix, an empty value, another scheme).

Pure functions of the secrets, so that the run's Redactor can know every form before anything is
sent (`secret_forms`, read by `SuiteConfig.secrets`): a near-miss is derived from a secret and is
redacted like the secret itself. Each token near-miss also says how to make it from
$MODELARTS_AUTH_TOKEN in bash, so its reproduction runs without the value being printed.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

SHORT_PREFIX = 10  # "a few characters": as long as a fragment the Redactor hunts in every encoding
BASIC_USER = "user"  # the user name of the Basic near-miss: the token is its password
SUFFIX = "0"
TOKEN_VARIABLE = "$MODELARTS_AUTH_TOKEN"


@dataclass(frozen=True)
class TokenNearMiss:
    """Headers sent instead of the configured X-Auth-Token, and the same headers in bash."""

    label: str
    headers: tuple[tuple[str, str], ...]
    shell: tuple[str, ...]  # curl -H arguments that rebuild the headers from $MODELARTS_AUTH_TOKEN


def _changed(character: str) -> str:
    """Another character in place of `character` (the same for every run, never itself)."""
    return "A" if character != "A" else "B"


def _basic(token: str) -> str:
    return base64.b64encode(f"{BASIC_USER}:{token}".encode()).decode("ascii")


def token_near_misses(token: str) -> list[TokenNearMiss]:
    """The token with its last character changed, cut to a few characters and to half, with its
    case flipped (where that changes it), with a suffix; an empty X-Auth-Token; the token as a
    Bearer and as a Basic password instead of X-Auth-Token. Each value differs from the token."""
    var = TOKEN_VARIABLE
    short, half = min(SHORT_PREFIX, len(token) - 1), len(token) // 2
    last = _changed(token[-1:]) if token else "A"

    def x_auth(label: str, value: str, shell: str) -> TokenNearMiss:
        return TokenNearMiss(label, (("X-Auth-Token", value),), (f'"X-Auth-Token: {shell}"',))

    forms = [
        x_auth("the token with its last character changed", token[:-1] + last, f"${{{var[1:]}%?}}{last}"),
        x_auth(f"the token cut to its first {short} characters", token[:short], f"${{{var[1:]}:0:{short}}}"),
        x_auth(
            f"the token cut to its first half ({half} characters)", token[:half], f"${{{var[1:]}:0:{half}}}"
        ),
        x_auth("the token with its case flipped", token.swapcase(), f"${{{var[1:]}~~}}"),
        x_auth("the token with a character appended", token + SUFFIX, f"${{{var[1:]}}}{SUFFIX}"),
        TokenNearMiss("an empty X-Auth-Token", (("X-Auth-Token", ""),), ('"X-Auth-Token;"',)),
        TokenNearMiss(
            "no X-Auth-Token, the token as Authorization: Bearer",
            (("Authorization", f"Bearer {token}"),),
            (f'"Authorization: Bearer {var}"',),
        ),
        TokenNearMiss(
            "no X-Auth-Token, the token as the password of Authorization: Basic",
            (("Authorization", f"Basic {_basic(token)}"),),
            (f'"Authorization: Basic $(printf \'{BASIC_USER}:%s\' "{var}" | base64 -w0)"',),
        ),
    ]
    seen = {token}
    unique = []
    for form in forms:  # a short token's prefixes coincide; swapcase of "123" is itself
        value = form.headers[0][1]
        if form.headers[0][0] == "Authorization" or value not in seen:
            seen.add(value)
            unique.append(form)
    return unique


def unknown_access_key(ak: str) -> str:
    """An access key that differs from `ak` in its last character only."""
    return ak[:-1] + _changed(ak[-1:])


def secret_forms(token: str | None, ak: str | None) -> set[str]:
    """Every near-miss value derived from a secret, for the Redactor (the empty one aside)."""
    forms: set[str] = set()
    if token:
        for form in token_near_misses(token):  # an Authorization value's secret part: after the scheme
            forms |= {value.split(" ", 1)[-1] for _, value in form.headers}
    if ak:
        forms.add(unknown_access_key(ak))
    return {form for form in forms if form}
