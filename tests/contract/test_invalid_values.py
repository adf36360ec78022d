"""R3: each documented parameter with a value its schema rules out gets 400 with an error body.

The values are derived from the spec's types and enums (checks.validity.invalid_examples), so they
cover what generation may not hit every run: a lower-case enum value, "TRUE", an empty value.
"""

from __future__ import annotations

import pytest

from modelarts_contract.checks.registry import Scope, response_checks
from modelarts_contract.checks.validity import invalid_examples
from modelarts_contract.spec import load_contract

EXAMPLES = invalid_examples(load_contract())


@pytest.mark.parametrize(("parameter", "value"), EXAMPLES, ids=[f"{p}={v!r}" for p, v in EXAMPLES])
def test_invalid_value_gets_400(target, parameter, value):
    target.verifier.run_all(response_checks(Scope.CONFIGURED), target.get({parameter: value}))
