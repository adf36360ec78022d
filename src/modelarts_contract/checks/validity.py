"""Is a request valid by the spec? Read from the parameters' schemas, on the wire values as sent.

R3 makes an invalid value a 400; R4 lets a free string outside its documented format get 200 or 400;
a value this module cannot judge (a repeated parameter, "+5") gets no status demand at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from modelarts_contract.contract import Contract, Parameter

# ASCII digits only ([0-9], never \d: other scripts' digits are not integers on the wire).
_CANONICAL_INT = re.compile(r"0|-?[1-9][0-9]{0,30}")
# R6: leading zeros and a leading "+" have no ruling, so they get no status demand.
_UNRULED_INT = re.compile(r"[+-]?0[0-9]+|\+[0-9]+|-0")


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


def _value_validity(schema: dict[str, Any], value: str) -> Validity:
    kind = schema.get("type")
    if kind == "integer":
        if not _CANONICAL_INT.fullmatch(value):
            return Validity.UNJUDGED if _UNRULED_INT.fullmatch(value) else Validity.INVALID
        number = int(value)
        low, high = schema.get("minimum"), schema.get("maximum")
        in_range = (low is None or number >= low) and (high is None or number <= high)
        return Validity.VALID if in_range else Validity.INVALID
    if kind == "boolean":
        return Validity.VALID if value in {"true", "false"} else Validity.INVALID
    if "enum" in schema:
        return Validity.VALID if value in schema["enum"] else Validity.INVALID
    return Validity.VALID  # a free string


def _parameter_validity(parameter: Parameter, value: str) -> Validity:
    if parameter.kind != "array":
        return _value_validity(parameter.schema, value)
    items = value.split(",")  # style form, explode false: comma-separated items
    results = {_value_validity(parameter.item_schema, item) for item in items}
    results.add(Validity.VALID if len(items) >= parameter.schema.get("minItems", 0) else Validity.INVALID)
    for verdict in (Validity.INVALID, Validity.UNJUDGED):
        if verdict in results:
            return verdict
    return Validity.VALID


def classify(contract: Contract, query: dict[str, list[str]]) -> RequestVerdict:
    verdict = RequestVerdict(Validity.VALID)
    for name, values in query.items():
        parameter = contract.parameters.get(name)
        if parameter is None:
            verdict.unknown.append(name)  # R6: ignored by the target, so no effect on validity
            continue
        if len(values) != 1:
            verdict.validity = Validity.UNJUDGED  # no ruling on repeated parameters
            continue
        value = values[0]
        result = _parameter_validity(parameter, value)
        if result is Validity.INVALID:
            verdict.invalid.append(f"{name}={value!r}")
        elif result is Validity.UNJUDGED:
            verdict.validity = Validity.UNJUDGED
        pattern = parameter.documented_format
        if pattern and not re.fullmatch(pattern, value):
            verdict.outside_format.append(f"{name}={value!r}")
    if verdict.invalid:
        verdict.validity = Validity.INVALID
    return verdict


def invalid_examples(contract: Contract) -> list[tuple[str, str]]:
    """(parameter, wire value) pairs that R3 makes a 400, derived from each parameter's schema type."""
    examples: list[tuple[str, str]] = []
    for name, parameter in contract.parameters.items():
        schema = parameter.schema
        if parameter.kind == "integer":
            low, high = schema.get("minimum"), schema.get("maximum")
            examples += [(name, "1.5"), (name, "abc"), (name, "")]
            examples += [(name, str(low - 1))] if low is not None else []
            examples += [(name, str(high + 1))] if high is not None else []
        elif parameter.kind == "boolean":
            examples += [(name, v) for v in ("TRUE", "True", "1", "yes", "")]
        elif parameter.enum:
            values = parameter.enum
            examples += [(name, values[0].lower() if values[0] != values[0].lower() else values[0].upper())]
            examples += [(name, ""), (name, values[0] + "x")]
            if parameter.kind == "array":
                examples += [(name, values[0] + ","), (name, "," + values[0])]
    return [(n, v) for n, v in examples if classify(contract, {n: [v]}).validity is Validity.INVALID]
