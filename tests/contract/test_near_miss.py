"""R1 near misses: credentials that differ from the configured ones by a character, case, length,
an empty value or another scheme (token), or a signature that does not cover the request as sent
(AK/SK), get 401 on a URL that has just answered 200; on the other project, anything but 200."""

from __future__ import annotations

from modelarts_contract.checks.near_miss import credential_near_misses


def test_near_miss_credentials_are_refused(target):
    credential_near_misses(target)
