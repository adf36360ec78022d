"""The first request of a run: is the environment usable at all?

Unreachable, DNS, TLS, timeout, or the configured credentials refused (401; 403, or a ModelArts
404, for the configured project) is one clear message and exit status 6, instead of every test
failing the same way. A 404 that is not a ModelArts error (an API gateway's "API does not exist",
or no JSON at all) means the path is wrong, usually the base URL: the message shows the URL asked.
Anything else, a 3xx or a 5xx included, is the contract's business: the checks judge it, as they
judge every exchange, under the test name PREFLIGHT_TEST (a target that redirects only the first
request breaks R16 all the same).
"""

from __future__ import annotations

import re
from typing import Any

from modelarts_contract.checks.core import Exchange, Violations
from modelarts_contract.checks.registry import Scope, response_checks
from modelarts_contract.contract import OPERATION_PATH
from modelarts_contract.neutral import neutral
from modelarts_contract.stops import AnswerTooLarge, TargetUnreachable
from modelarts_contract.target import Target

PREFLIGHT_QUERY = {"limit": "1"}
_NO_SUCH_PATH = re.compile(
    r"path\s*not\s*found|no such (path|route|api)|api (does not|doesn't) exist|route not found|unknown (path|url)",
    re.IGNORECASE,
)
SERVICE_ERROR_PREFIX = "ModelArts."  # error codes of the service itself, not of a gateway in front
PREFLIGHT_TEST = "modelarts-contract::preflight"  # the ledger's name for the first request's verdicts


def _printable(value: object, limit: int) -> str:
    """The target's words, cut short and neutralised."""
    return neutral(str(value)[:limit])


def _error(exchange: Exchange) -> tuple[object, object]:
    body = exchange.body if isinstance(exchange.body, dict) else {}
    return body.get("error_code"), body.get("error_msg")


def _said(exchange: Exchange) -> str:
    code, msg = _error(exchange)
    return f": {_printable(code, 60)}: {_printable(msg, 160)}" if code or msg else ""


def _from_the_service(exchange: Exchange) -> bool:
    code, _ = _error(exchange)
    return isinstance(code, str) and code.startswith(SERVICE_ERROR_PREFIX)


def _says_no_such_path(exchange: Exchange) -> bool:
    """The answer says the path does not exist (ModelArts.XXXX "PathNotFound", an API gateway's "API
    does not exist"...), whatever the body's shape: a wrong base URL prefix, not the credentials."""
    return bool(_NO_SUCH_PATH.search(exchange.content[:4096].decode("utf-8", "replace")))


def preflight(target: Target) -> str | None:
    """None when the target answers the configured credentials; else one line saying what is wrong."""
    try:
        exchange = target.get(PREFLIGHT_QUERY)
    except TargetUnreachable as exc:
        return target.redactor.text(str(exc))
    c = target.config
    mode = (
        f"{c.auth_kind} from {c.credential_source}"
        if c.credential_source
        else "AK/SK (HUAWEICLOUD_SDK_AK/SK)"
        if c.auth_mode == "aksk"
        else "token (MODELARTS_AUTH_TOKEN)"
    )
    where = f"{exchange.status} from {target.url()}{_said(exchange)}"
    if exchange.status == 401:
        problem = f"the target refused the configured {mode} credentials ({where}): expired or wrong?"
    elif exchange.status == 404 and (not _from_the_service(exchange) or _says_no_such_path(exchange)):
        problem = (
            f"the path may be wrong: GET {exchange.url} got 404{_said(exchange)}, which is not a "
            f"ModelArts error: check --base-url (MODELARTS_BASE_URL): the service's endpoint (and any "
            f"gateway prefix), without {OPERATION_PATH}, which the suite appends"
        )
    elif exchange.status in (403, 404):
        problem = (
            f"the configured credentials may not read project {target.project_id} ({where}): "
            "check --project-id (MODELARTS_PROJECT_ID), --base-url (region) and the credentials"
        )
    else:
        _judge(target, exchange)
        return None
    return target.redactor.text(problem)


def _judge(target: Target, exchange: Exchange) -> None:
    """The first exchange judged like any other; what it breaks goes to the ledger, under PREFLIGHT_TEST
    (in `broken_by`, not among the tests that exercised a clause: it is no test anyone can select)."""
    verifier = target.verifier
    before, verifier.current_test = verifier.current_test, PREFLIGHT_TEST
    try:
        with verifier.buffered() as seen:
            verifier.run_all(response_checks(Scope.CONFIGURED), exchange)
    except (Violations, AnswerTooLarge):  # recorded; a cut answer: the tests meet it again
        pass
    finally:
        verifier.current_test = before
    verifier.ledger.merge({cid: {**record, "tests": []} for cid, record in seen.as_dict().items()})


def preflight_findings(ledger: dict[str, dict[str, Any]]) -> str | None:
    """The clauses the first exchange broke, with the first failure of each (a ledger's `as_dict`)."""
    texts = []
    for clause_id, record in ledger.items():
        if record["broken_by"].get(PREFLIGHT_TEST) and record["first_failure"]:
            first = record["first_failure"]
            texts.append(
                f"[{clause_id}] broken by the first request of the run (before any test)\n"
                + "\n".join(f"  {key + ':':9} {first[key]}" for key in ("request", "expected", "actual"))
            )
    return "\n\n".join(texts) or None
