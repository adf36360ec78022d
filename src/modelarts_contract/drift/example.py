"""The page's example responses against the spec's schemas: a wrong example is drift too."""

from __future__ import annotations

import json
from typing import Any

from openapi_schema_validator import OAS30Validator, oas30_format_checker

from modelarts_contract.contract.document import resolve_refs

from .differences import Difference, deliberate
from .model import Example

MAX_ERRORS = 5  # per example: the first few say what is wrong; a broken example can have thousands
MAX_TEXT = 120  # an offending value is quoted, cut: a hostile page can make it megabytes


def _cut(text: str) -> str:
    return text if len(text) <= MAX_TEXT else f"{text[:MAX_TEXT]}... ({len(text)} characters)"


def _media(response: Any) -> dict[str, Any]:
    content = (response or {}).get("content") or {}
    media: dict[str, Any] = content.get("application/json") or next(iter(content.values()), {})
    return media


def example_differences(
    status: int, example: Example, response: Any, spec: dict[str, Any]
) -> list[Difference]:
    """What is wrong with the example of `status` against the response the spec gives for it.

    `response` is the spec's response object, $refs resolved (None: the spec has no such status, which
    the status comparison already reports). An x-deliberate on its media type declares the differences.
    """
    if response is None:
        return []
    media = _media(response)
    where = f"example {status}"
    why = deliberate(media)
    note = why or ""
    if "schema" not in media:
        return [Difference("example", f"{where} (body)", "an example body", None, why is not None, note)]
    if example.problem:
        return [Difference("example", f"{where} (body)", example.problem, "JSON", why is not None, note)]
    schema = resolve_refs(media["schema"], spec)
    errors = sorted(
        OAS30Validator(schema, format_checker=oas30_format_checker).iter_errors(example.body),
        key=lambda e: [str(p) for p in e.absolute_path],
    )
    found = []
    for error in errors[:MAX_ERRORS]:
        pointer = "".join(f"/{p}" for p in error.absolute_path) or "(body)"
        rule = f"{error.validator}: {json.dumps(error.validator_value, default=str)}"
        found.append(
            Difference(
                "example",
                f"{where} {pointer}",
                _cut(json.dumps(error.instance, default=str)),
                _cut(rule),
                why is not None,
                "; ".join(n for n in (why, _cut(error.message)) if n),
            )
        )
    return found
