"""The spec itself: valid OpenAPI, every clause sourced, the annotations parsed and validated at load."""

from __future__ import annotations

import copy
import re

import pytest
from openapi_spec_validator import validate

from modelarts_contract.contract import OPERATION_PATH, Contract, SpecError, load_contract, load_document

DOC_QUERY_PARAMETERS = {  # doc table 2 of the 23.3.0 page
    "limit", "name", "name_fuzzy_match", "namespace", "offset",
    "service_type", "sort_dir", "sort_key", "type", "workspace_id",
}  # fmt: skip


@pytest.fixture(scope="module")
def raw():
    return load_document()


def test_spec_is_valid_openapi(raw):
    validate(raw)


def test_all_ten_documented_query_parameters():
    assert set(load_contract().parameters) == DOC_QUERY_PARAMETERS


def test_every_parameter_field_and_response_names_its_source(raw):
    operation = raw["paths"][OPERATION_PATH]["get"]
    unsourced = [p["name"] for p in operation["parameters"] if not p.get("x-source")]
    for name, response in raw["components"]["responses"].items():
        if not response.get("x-source"):
            unsourced.append(f"response {name}")
    for name, schema in raw["components"]["schemas"].items():
        if not schema.get("x-source"):
            unsourced.append(f"schema {name}")
        unsourced += [f"{name}.{f}" for f, s in schema.get("properties", {}).items() if not s.get("x-source")]
    for key in ("x-paging", "x-identity", "x-sorting"):
        if not operation[key].get("x-source"):
            unsourced.append(key)
    unsourced += [f"x-filters {f['parameter']}" for f in operation["x-filters"] if not f.get("x-source")]
    assert unsourced == []


def test_clause_ids_are_unique_and_sourced(raw):
    ids = [c["id"] for c in raw["x-clauses"]]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"R\d+\.[a-z0-9-]+", i) for i in ids), ids
    assert all(c["text"] and c["source"] for c in raw["x-clauses"])


def test_free_strings_carry_no_validation_rule():
    # R4: a documented FORMAT must not make the suite demand a 400.
    for name in ("name", "namespace", "workspace_id"):
        schema = load_contract().parameter(name).schema
        assert not {"pattern", "maxLength", "minLength", "enum"} & set(schema), name


def test_annotations_take_defaults_and_enums_from_the_parameters():
    contract = load_contract()
    assert contract.parameter(contract.paging.limit).default == 200
    assert contract.parameter(contract.paging.offset).default == 0
    assert set(contract.sorting.directions) == set(contract.parameter("sort_dir").enum)


def _edited(raw, edit) -> dict:
    document = copy.deepcopy(raw)
    edit(document["paths"][OPERATION_PATH]["get"], document)
    return document


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda op, d: op["x-paging"]["limit"].update(parameter="limt"),
            r"x-paging\.limit\.parameter: 'limt'",
        ),
        (
            lambda op, d: op["x-paging"]["offset"].update(unit="pages"),
            r"x-paging\.offset\.unit: expected one of",
        ),
        (lambda op, d: op["x-paging"].update(totl="total"), r"x-paging: unknown key\(s\) totl"),
        (lambda op, d: op["x-paging"]["pages"].pop("when-empty"), r"x-paging\.pages\.when-empty: required"),
        (lambda op, d: op["x-filters"][0].update(match="fuzzy"), r"x-filters\[0\]\.match: expected one of"),
        (lambda op, d: op["x-filters"][0].update(clause="R10.nope"), r"x-filters\[0\]\.clause: R10\.nope"),
        (lambda op, d: op["x-sorting"].update(**{"string-order": "locale"}), r"x-sorting\.string-order"),
        (lambda op, d: op["x-sorting"].update(**{"default-key": "id"}), r"x-sorting\.default-key: 'id'"),
        (lambda op, d: op["x-sorting"]["directions"].pop("ASC"), r"x-sorting\.directions: must map every"),
        (lambda op, d: d["x-clauses"].append(dict(d["x-clauses"][0])), r"x-clauses.*defined twice"),
        (
            lambda op, d: d["components"]["schemas"]["ImageGroup"]["x-plausibility"].update(
                **{"max-future-ms": "a day"}
            ),
            r"ImageGroup\.x-plausibility\.max-future-ms: expected int",
        ),
    ],
)
def test_a_mistake_in_an_annotation_fails_the_load_and_names_its_path(raw, edit, message):
    with pytest.raises(SpecError, match=message):
        Contract(_edited(raw, edit))


def test_offset_unit_and_current_rule_are_read():
    paging = load_contract().paging
    assert (paging.first_record(10, 3), paging.current_defined(10, 3)) == (3, False)
    assert paging.expected_current(10, 20) == 3
