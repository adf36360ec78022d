"""Property-based requests generated from the spec (schemathesis: examples, coverage, fuzzing phases).

Every response is checked against every clause that a single response can show (checks.response),
then against schemathesis's own built-in checks.
"""

from __future__ import annotations

from modelarts_contract.checks.core import Exchange
from modelarts_contract.checks.response import CONFIGURED_REQUEST
from modelarts_contract.generation import load_schema
from modelarts_contract.pytest_plugin import active_config

schema = load_schema(active_config())


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
    )
    target.verifier.run_all(CONFIGURED_REQUEST, exchange)
    case.validate_response(response, transport_kwargs={"session": target.session})
