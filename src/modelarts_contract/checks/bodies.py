"""Bodies and media type: R8 (200 body, content type) and R13 (error body), validated against the spec."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import jsonschema_rs

from modelarts_contract.checks.core import NOT_JSON, Exchange, Verifier
from modelarts_contract.checks.registry import Scope, check
from modelarts_contract.contract import Contract

JSON_MEDIA_TYPE = "application/json"


MAX_ERROR_TEXT = 300  # jsonschema quotes the whole offending value: a hostile one can be megabytes


def _schema_errors(contract: Contract, key: str, schema: dict[str, Any] | None, body: object) -> list[str]:
    """`body` against `schema`, which `contract` holds under `key`."""
    if _quick_valid(contract, key, schema, body):
        return []
    # Imported here: about 0.2 s (it loads pydantic), and most runs find no body the fast path rejects.
    from openapi_schema_validator import OAS30Validator

    errors = sorted(OAS30Validator(schema).iter_errors(body), key=lambda e: list(e.absolute_path))
    return [_cut(f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}") for e in errors[:5]]


def _quick_valid(contract: Contract, key: str, schema: dict[str, Any] | None, body: object) -> bool:
    """True when the Rust validator (a schemathesis dependency) finds the body valid: about a hundred
    times faster than the OpenAPI 3.0 validator on a page of 1,000 groups. Only a body it rejects
    (or cannot judge) goes to the OpenAPI validator, whose messages the report shows."""
    if schema is None:
        return False
    validator = contract.derived(("jsonschema_rs", key), lambda: jsonschema_rs.Draft4Validator(schema))
    try:
        return bool(validator.is_valid(body))
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


def is_unicode(text: str) -> bool:
    """No unpaired surrogate: a string that can be encoded, and so sent back or written anywhere."""
    return not _SURROGATE.search(text)


_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _strings(value: object) -> Iterator[str]:
    """Every string of a JSON value, member names included, without recursion."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            yield from item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def not_i_json(ex: Exchange) -> str | None:
    """Why a parsed body is not I-JSON (RFC 7493): a duplicate member name, or a string holding an
    unpaired surrogate; None when it is. (Bytes after the value and invalid UTF-8 are not JSON at all.)"""
    duplicates: list[str] = []

    def pairs(members: list[tuple[str, Any]]) -> dict[str, Any]:
        merged = dict(members)  # called for every object of the body: the common case costs no more
        if len(merged) < len(members):
            names = [name for name, _ in members]
            duplicates.append(next(n for n in names if names.count(n) > 1))
        return merged

    parsed = json.loads(ex.content, object_pairs_hook=pairs)  # parsed before, as ex.body: no error
    if duplicates:
        return f"member name {duplicates[0]!r} twice in one object"
    if _SURROGATE_ESCAPE.search(ex.content):
        bad = next((s for s in _strings(parsed) if not is_unicode(s)), None)
        if bad is not None:
            return f"a string with an unpaired surrogate: {bad[:80]!r}"
    return None


@check("R8.body-schema", scope=Scope.ANY)
def success_body(v: Verifier, ex: Exchange) -> None:
    if ex.short_of is not None:  # cut short of its Content-Length, on the retry as well
        received, announced = ex.short_of
        v.holds(
            False,
            f"the whole body its Content-Length announces ({announced} bytes)",
            f"status {ex.status}: the answer ended after {received} bytes, on a retry too",
            ex,
        )
    if ex.status != 200 or ex.truncated_at is not None:  # a body cut at the cap is not judged
        return
    schema = v.contract.strict_schema(200) if v.strict else v.contract.response_schema(200)
    if ex.body is NOT_JSON:
        v.holds(False, "a JSON body", _not_json(ex), ex)
    problem = not_i_json(ex)
    v.holds(problem is None, "I-JSON (RFC 7493)", problem or "", ex)
    errors = _schema_errors(v.contract, "strict 200" if v.strict else "200", schema, ex.body)
    v.holds(not errors, "a body matching ImageGroupList", "; ".join(errors), ex)


@check("R13.error-body", scope=Scope.ANY)
def error_body(v: Verifier, ex: Exchange) -> None:
    if ex.status < 400 or ex.truncated_at is not None or ex.short_of is not None:  # cut: see R8
        return
    schema = v.contract.error_schema
    if ex.body is NOT_JSON:
        v.holds(False, "a JSON error body", _not_json(ex), ex)
    errors = _schema_errors(v.contract, "error", schema, ex.body)
    v.holds(not errors, "string error_code and error_msg", "; ".join(errors), ex)
