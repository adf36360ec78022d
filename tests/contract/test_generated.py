"""Property-based requests generated from the spec (schemathesis: examples, coverage, fuzzing phases).

Every response is checked against every clause that a single response can show (the registry's
checks for a configured request), then against schemathesis's own built-in checks.
"""

from __future__ import annotations

from modelarts_contract.checks.core import Exchange
from modelarts_contract.checks.registry import Scope, response_checks
from modelarts_contract.generation import placeholder_schema

schema = placeholder_schema()  # the plugin configures it for the run at collection
CHECKS = response_checks(Scope.CONFIGURED)


@schema.parametrize()
def test_generated_request(case, target):
    case.path_parameters = {**(case.path_parameters or {}), "project_id": target.project_id}
    response = case.call(session=target.session, base_url=target.base_url)
    exchange = Exchange.from_prepared(
        response.request,
        response.status_code,
        {name: values[0] for name, values in response.headers.items()},
        response.content,
        target.redactor,
        elapsed=response.elapsed,
    )
    target.verifier.run_all(CHECKS, exchange)
    case.validate_response(response, transport_kwargs={"session": target.session})
