"""The spec itself: valid OpenAPI, every clause sourced, the annotations the checks read are there."""

from __future__ import annotations

import re

import pytest
import yaml
from openapi_spec_validator import validate

from modelarts_contract.spec import OPERATION_PATH, SPEC_PATH, load_contract

DOC_QUERY_PARAMETERS = {  # doc table 2 of the 23.3.0 page
    "limit", "name", "name_fuzzy_match", "namespace", "offset",
    "service_type", "sort_dir", "sort_key", "type", "workspace_id",
}  # fmt: skip


@pytest.fixture(scope="module")
def raw():
    return yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))


def test_spec_is_valid_openapi(raw):
    validate(raw)


def test_all_ten_documented_query_parameters(raw):
    assert set(load_contract().query_parameters) == DOC_QUERY_PARAMETERS


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
        schema = load_contract().parameter_schema(name)
        assert not {"pattern", "maxLength", "minLength", "enum"} & set(schema), name


def test_every_clause_named_in_the_checks_exists():
    from pathlib import Path

    import modelarts_contract.checks as package

    checks = Path(package.__file__).parent
    named = set()
    for module in checks.glob("*.py"):
        named |= set(re.findall(r'"(R\d+\.[a-z0-9-]+)"', module.read_text(encoding="utf-8")))
    assert named, "no clause ids found in the checks"
    assert named <= set(load_contract().clauses), named - set(load_contract().clauses)
