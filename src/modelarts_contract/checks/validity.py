"""Is a request valid by the spec? Read from the parameters' schemas, on the wire values as sent.

R3 makes an invalid value a 400; R4 lets a free string outside its documented format get 200 or 400;
a value this module cannot judge (a repeated parameter, "+5") gets no status demand at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum

from modelarts_contract.spec import Contract

_CANONICAL_INT = re.compile(r"^-?(0|[1-9][0-9]*)$")
_LOOSE_INT = re.compile(r"^\s*[+-]?[0-9]+\s*$")


class Validity(Enum):
    VALID = "valid"
    INVALID = "invalid"
    UNJUDGED = "unjudged"


@dataclass
class RequestVerdict:
    validity: Validity
    invalid: list[str] = field(default_factory=list)  # "limit='abc'"
    outside_format: list[str] = field(default_factory=list)  # free strings outside x-documented-format
    unknown: list[str] = field(default_factory=list)  # parameters the spec does not know (R6)


def _value_validity(schema: dict, value: str) -> Validity:
    kind = schema.get("type")
    if kind == "integer":
        if not _CANONICAL_INT.match(value):
            return Validity.UNJUDGED if _LOOSE_INT.match(value) else Validity.INVALID
        number = int(value)
        low, high = schema.get("minimum"), schema.get("maximum")
        in_range = (low is None or number >= low) and (high is None or number <= high)
        return Validity.VALID if in_range else Validity.INVALID
    if kind == "boolean":
        return Validity.VALID if value in {"true", "false"} else Validity.INVALID
    if "enum" in schema:
        return Validity.VALID if value in schema["enum"] else Validity.INVALID
    return Validity.VALID  # a free string


def classify(contract: Contract, query: dict[str, list[str]]) -> RequestVerdict:
    verdict = RequestVerdict(Validity.VALID)
    for name, values in query.items():
        parameter = contract.query_parameters.get(name)
        if parameter is None:
            verdict.unknown.append(name)  # R6: ignored by the target, so no effect on validity
            continue
        if len(values) != 1:
            verdict.validity = Validity.UNJUDGED  # no ruling on repeated parameters
            continue
        value, schema = values[0], parameter["schema"]
        if schema.get("type") == "array":
            # style form, explode false: comma-separated items
            items = value.split(",")
            results = {_value_validity(schema["items"], item) for item in items}
            results.add(Validity.VALID if len(items) >= schema.get("minItems", 0) else Validity.INVALID)
        else:
            results = {_value_validity(schema, value)}
        if Validity.INVALID in results:
            verdict.invalid.append(f"{name}={value!r}")
        elif Validity.UNJUDGED in results:
            verdict.validity = Validity.UNJUDGED
        pattern = parameter.get("x-documented-format")
        if pattern and not re.fullmatch(pattern, value):
            verdict.outside_format.append(f"{name}={value!r}")
    if verdict.invalid:
        verdict.validity = Validity.INVALID
    return verdict


def invalid_examples(contract: Contract) -> list[tuple[str, str]]:
    """(parameter, wire value) pairs that R3 makes a 400, derived from each parameter's schema type."""
    examples: list[tuple[str, str]] = []
    for name, parameter in contract.query_parameters.items():
        schema = parameter["schema"]
        items = schema.get("items", {})
        if schema.get("type") == "integer":
            low, high = schema.get("minimum"), schema.get("maximum")
            examples += [(name, "1.5"), (name, "abc"), (name, "")]
            examples += [(name, str(low - 1))] if low is not None else []
            examples += [(name, str(high + 1))] if high is not None else []
        elif schema.get("type") == "boolean":
            examples += [(name, v) for v in ("TRUE", "True", "1", "yes", "")]
        elif "enum" in schema or "enum" in items:
            values = schema.get("enum") or items["enum"]
            examples += [(name, values[0].lower() if values[0] != values[0].lower() else values[0].upper())]
            examples += [(name, ""), (name, values[0] + "x")]
            if schema.get("type") == "array":
                examples += [(name, values[0] + ","), (name, "," + values[0])]
    return [(n, v) for n, v in examples if classify(contract, {n: [v]}).validity is Validity.INVALID]
