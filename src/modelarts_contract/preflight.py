"""The first request of a run: is the environment usable at all?

Unreachable, DNS, TLS, timeout, or the configured credentials refused (401; 403/404 for the
configured project) is one clear message and exit status 6, instead of every test failing the
same way. Anything else, a 3xx or a 5xx included, is the contract's business: the checks judge it.
"""

from __future__ import annotations

from modelarts_contract.checks.core import Exchange
from modelarts_contract.target import Target
from modelarts_contract.transport import TargetUnreachable

PREFLIGHT_QUERY = {"limit": "1"}


def _said(exchange: Exchange) -> str:
    body = exchange.body if isinstance(exchange.body, dict) else {}
    code, msg = body.get("error_code"), body.get("error_msg")
    return f": {code}: {str(msg)[:160]}" if code or msg else ""


def preflight(target: Target) -> str | None:
    """None when the target answers the configured credentials; else one line saying what is wrong."""
    try:
        exchange = target.get(PREFLIGHT_QUERY)
    except TargetUnreachable as exc:
        return target.redactor.text(str(exc))
    mode = (
        "AK/SK (HUAWEICLOUD_SDK_AK/SK)"
        if target.config.auth_mode == "aksk"
        else "token (MODELARTS_AUTH_TOKEN)"
    )
    where = f"{exchange.status} from {target.url()}{_said(exchange)}"
    if exchange.status == 401:
        problem = f"the target refused the configured {mode} credentials ({where}): expired or wrong?"
    elif exchange.status in (403, 404):
        problem = (
            f"the configured credentials may not read project {target.project_id} ({where}): "
            "check --project-id (MODELARTS_PROJECT_ID), --base-url (region) and the credentials"
        )
    else:
        return None
    return target.redactor.text(problem)
