"""Bodies and media type: R8 (200 body, content type) and R13 (error body), validated against the spec."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
from openapi_schema_validator import OAS30Validator

from modelarts_contract.checks.core import NOT_JSON, Exchange, Verifier
from modelarts_contract.checks.registry import Scope, check

JSON_MEDIA_TYPE = "application/json"


MAX_ERROR_TEXT = 300  # jsonschema quotes the whole offending value: a hostile one can be megabytes


def _schema_errors(schema: dict[str, Any] | None, body: object) -> list[str]:
    if _quick_valid(schema, body):
        return []
    errors = sorted(OAS30Validator(schema).iter_errors(body), key=lambda e: list(e.absolute_path))
    return [_cut(f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}") for e in errors[:5]]


_QUICK: dict[int, tuple[object, Any]] = {}  # id(schema) -> (schema, compiled validator)


def _quick_valid(schema: dict[str, Any] | None, body: object) -> bool:
    """True when the Rust validator (a schemathesis dependency) finds the body valid: about a hundred
    times faster than the OpenAPI 3.0 validator on a page of 1,000 groups. Only a body it rejects
    (or cannot judge) goes to the OpenAPI validator, whose messages the report shows."""
    if schema is None:
        return False
    entry = _QUICK.get(id(schema))
    if entry is None or entry[0] is not schema:
        entry = _QUICK[id(schema)] = (schema, jsonschema_rs.Draft4Validator(schema))
    try:
        return bool(entry[1].is_valid(body))
    except Exception:  # whatever the fast path trips on, the full validator decides
        return False


def _cut(text: str) -> str:
    return text if len(text) <= MAX_ERROR_TEXT else f"{text[:MAX_ERROR_TEXT]}... ({len(text)} characters)"


@check("R8.content-type", scope=Scope.ANY)
def content_type(v: Verifier, ex: Exchange) -> None:
    if not ex.content:
        return
    media = ex.headers.get("Content-Type", "").split(";")[0].strip().lower()
    v.holds(media == JSON_MEDIA_TYPE, JSON_MEDIA_TYPE, f"Content-Type {media or '(none)'}", ex)


def _not_json(ex: Exchange) -> str:
    return f"{ex.content[:200]!r}"


@check("R8.body-schema", scope=Scope.ANY)
def success_body(v: Verifier, ex: Exchange) -> None:
    if ex.status != 200 or ex.truncated_at is not None:  # a body cut at the cap is not judged
        return
    schema = v.contract.strict_schema(200) if v.strict else v.contract.response_schema(200)
    if ex.body is NOT_JSON:
        v.holds(False, "a JSON body", _not_json(ex), ex)
    errors = _schema_errors(schema, ex.body)
    v.holds(not errors, "a body matching ImageGroupList", "; ".join(errors), ex)


@check("R13.error-body", scope=Scope.ANY)
def error_body(v: Verifier, ex: Exchange) -> None:
    if ex.status < 400 or ex.truncated_at is not None:  # a body cut at the cap is not judged
        return
    schema = v.contract.error_schema
    if ex.body is NOT_JSON:
        v.holds(False, "a JSON error body", _not_json(ex), ex)
    errors = _schema_errors(schema, ex.body)
    v.holds(not errors, "string error_code and error_msg", "; ".join(errors), ex)
