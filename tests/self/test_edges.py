"""The edge catalogue (issue 10): derived from the spec, each edge alone, every edge sent in a default
run, and the whole default run within its request budget."""

from __future__ import annotations

import copy
import string
from collections import Counter
from urllib.parse import parse_qs

import pytest
from tests.self.shared_runs import DEFAULT_REMOTE_RUN, default_remote_run

from modelarts_contract import edges
from modelarts_contract.checks.listing import LISTING_PAGE
from modelarts_contract.checks.validity import Validity, classify
from modelarts_contract.contract import Contract, load_contract
from modelarts_contract.reference import data, default_dataset

CONTRACT = load_contract()
BUDGET = 500  # requests of a whole default run against the reference (issue 10; 500 with issue 19)


def _listing_samples() -> tuple[dict[str, list[str]], int]:
    """The reference's default listing as the edge relations see it: field values and total."""
    groups = sorted(
        {(i.namespace, i.name) for i in default_dataset().images if (i.project_id, i.workspace_id) == (
            data.MAIN_PROJECT_ID, data.DEFAULT_WORKSPACE_ID)}
    )  # fmt: skip
    return {"namespace": [ns for ns, _ in groups], "name": [n for _, n in groups]}, len(groups)


SAMPLES, TOTAL = _listing_samples()
CATALOGUE = edges.catalogue(CONTRACT, SAMPLES, TOTAL)


def _values(edge_list: list[edges.Edge], parameter: str) -> set[str]:
    return {e.query[parameter] for e in edge_list if parameter in e.query}


def test_every_family_is_there_and_each_edge_is_one_query_once():
    families = Counter(e.family for e in CATALOGUE)
    assert set(families) == {
        "free-string", "integer", "end-of-listing", "enum", "boolean", "sort-key", "filter-sort"
    }  # fmt: skip
    queries = [e.params for e in CATALOGUE]
    assert len(queries) == len(set(queries)), "an edge query twice"
    assert all(str(e) and "\n" not in str(e) for e in CATALOGUE)


@pytest.mark.parametrize("parameter", ["name", "namespace", "workspace_id"])
def test_free_strings_reach_every_length_and_character_alone(parameter):
    family = edges.free_string_edges(CONTRACT, parameter, SAMPLES.get(parameter, ()))
    values = _values(family, parameter)
    assert set(string.punctuation) <= values, "every ASCII punctuation character, alone"
    lengths = {len(v) for v in values if set(v) == {edges.FILL}} | ({0} if "" in values else set())
    assert {0, 1, 255, 256, 257, 511, 512, 513, 1024} <= lengths and max(lengths) > 1024
    assert {" ", "\t", "\x00", "😀", "é", "e\u0301", "%5F"} <= values
    assert all(len(e.query) == 1 for e in family if e.kind != "from-data"), "one parameter per edge"


def test_lengths_follow_the_documented_formats():
    # From x-documented-format: namespace is 1 to 64 characters, workspace_id "0" or 32.
    assert edges.documented_lengths(CONTRACT.parameter("namespace")) == [0, 1, 2, 63, 64, 65]
    assert edges.documented_lengths(CONTRACT.parameter("workspace_id")) == [31, 32, 33]
    assert edges.documented_lengths(CONTRACT.parameter("name")) == [511, 512, 513]


def _edited(edit) -> Contract:
    raw = copy.deepcopy(CONTRACT.raw)
    parameters = {p["name"]: p for p in raw["paths"]["/v1/{project_id}/images/group"]["get"]["parameters"]}
    edit(parameters)
    return Contract(raw)


def test_the_catalogue_follows_the_spec_not_a_copy_of_it():
    def edit(parameters):
        parameters["name"]["x-documented-format"] = "^[a-z]{0,100}$"
        parameters["limit"]["schema"] |= {"maximum": 5000, "default": 50}
        parameters["type"]["schema"]["enum"] = ["PUBLIC", "PRIVATE", "SHARED"]

    contract = _edited(edit)
    assert edges.documented_lengths(contract.parameter("name")) == [99, 100, 101]
    limits = _values(edges.integer_edges(contract, "limit"), "limit")
    assert {"50", "4999", "5000", "5001"} <= limits and "2147483646" not in limits
    types = _values(edges.enum_edges(contract, "type"), "type")
    assert {"public", "Private"} <= types and not types & {"build_in", "Dedicated"}


def test_values_from_the_data_change_case_and_plant_metacharacters():
    family = [e for e in edges.free_string_edges(CONTRACT, "name", SAMPLES["name"]) if e.kind == "from-data"]
    probe = edges.probe_value(SAMPLES["name"], "substring")
    assert probe in SAMPLES["name"] and sum(probe in n for n in SAMPLES["name"]) > 2 * edges.FILTER_PAGE
    names = _values(family, "name")
    assert probe.upper() in names
    for metacharacter in edges.METACHARACTERS:
        planted = [v for v in names if metacharacter in v and len(v) == len(probe) and v != probe]
        assert planted and not set(planted) & set(SAMPLES["name"])
    assert {e.query.get("name_fuzzy_match") for e in family} >= {"true", "false"}
    assert edges.free_string_edges(CONTRACT, "name", ()) == [e for e in edges.free_string_edges(
        CONTRACT, "name", SAMPLES["name"]) if e.kind != "from-data"]  # fmt: skip


def test_probe_value_takes_strings_only_and_stays_deterministic():
    assert edges.probe_value([], "substring") is None and edges.probe_value(["", ""], "equals") is None
    assert edges.probe_value(["ab", "b", "abc", "b"], "substring") == "b"
    assert edges.probe_value(["x", "y", "y"], "equals") == "y"
    many = [f"image-{i}" for i in range(5000)]
    assert edges.probe_value(many, "substring") == edges.probe_value(list(reversed(many)), "substring")


def test_integers_reach_every_bound_and_window():
    limits = _values(edges.integer_edges(CONTRACT, "limit"), "limit")
    offsets = _values(edges.integer_edges(CONTRACT, "offset"), "offset")
    for values in (limits, offsets):
        assert {"0", "1", "10000", "10001", "100000", "2147483647", "2147483648", "-2147483648"} <= values
        assert {"-2147483649", "1.5", "abc", ""} <= values
    assert {"200", "2147483646"} <= limits and "-1" in offsets
    ends = [e.query for e in edges.end_of_listing_edges(CONTRACT, TOTAL)]
    assert {q["offset"] for q in ends} == {str(TOTAL - 1), str(TOTAL), str(TOTAL + 1), "2147483647"}
    assert {q["limit"] for q in ends} == {"2147483647"}


def test_enum_and_boolean_edges_are_all_invalid_and_cover_every_value_and_variant():
    for parameter in edges.enum_parameters(CONTRACT):
        family = edges.enum_edges(CONTRACT, parameter.name)
        assert all(classify(CONTRACT, {k: [v] for k, v in e.query.items()}).validity is Validity.INVALID
                   for e in family), parameter.name  # fmt: skip
        cased = [e for e in family if e.kind == "case"]
        assert {v for v in parameter.enum if any(f"{v!r}" in e.label for e in cased)} == set(parameter.enum)
        assert {kind for e in cased for kind in edges.CASE_VARIANTS if e.label.startswith(kind)} >= {
            "lower case" if parameter.enum[0].isupper() else "upper case", "capitalised", "alternating case"
        }  # fmt: skip
        assert {e.kind for e in family} >= {"case", "whitespace", "empty"}
    booleans = edges.boolean_edges(CONTRACT, "name_fuzzy_match")
    assert all(classify(CONTRACT, {k: [v] for k, v in e.query.items()}).validity is Validity.INVALID
               for e in booleans)  # fmt: skip
    assert {"TRUE", "1", "yes", "on", " true", ""} <= _values(booleans, "name_fuzzy_match")


def test_sort_edges_take_every_key_every_pair_all_keys_and_repeats():
    family = edges.sort_key_edges(CONTRACT)
    orders = [tuple(e.query["sort_key"].split(",")) for e in family]
    keys = CONTRACT.parameter("sort_key").enum
    assert {(k,) for k in keys} <= set(orders)
    assert {(a, b) for a in keys for b in keys if a != b} <= set(orders)
    assert any(len(o) == len(keys) and set(o) == set(keys) for o in orders)
    assert any(len(set(o)) < len(o) for o in orders)
    directions = {e.query.get("sort_dir") for e in family}
    assert directions == {None, "ASC", "DESC"}
    assert all(
        classify(CONTRACT, {k: [v] for k, v in e.query.items()}).validity is Validity.VALID for e in family
    )


def test_every_filter_meets_every_sort_key_on_a_later_page():
    family = edges.filter_sort_edges(CONTRACT, SAMPLES)
    pairs = {(e.kind, e.query["sort_key"]) for e in family}
    filters = {f.parameter for f in CONTRACT.filters}
    assert pairs == {(f, k) for f in filters for k in CONTRACT.parameter("sort_key").enum}
    assert all(int(e.query["offset"]) >= int(e.query["limit"]) for e in family), "past the first page"
    served = {e.query["type"] for e in family if "type" in e.query}
    assert served == set(CONTRACT.parameter("type").enum)


@pytest.fixture
def default_run(pytestconfig):
    """The default run of the contract suite against the reference (shared): its outcome and every
    query sent."""
    shared = default_remote_run(pytestconfig)
    queries = [parse_qs(r.query_string, keep_blank_values=True) for r in shared.received]
    return shared.run, [{k: v[0] for k, v in q.items() if len(v) == 1} for q in queries]


@pytest.mark.e2e
@DEFAULT_REMOTE_RUN
def test_a_default_run_passes_within_its_budget(default_run):
    run, queries = default_run
    assert run.code == 0, run.output[-3000:]
    assert run.transport["sent"] == len(queries) <= BUDGET


@pytest.mark.e2e
@DEFAULT_REMOTE_RUN
def test_every_edge_is_sent_alone_in_a_default_run(default_run):
    _, queries = default_run
    listing_read = {"limit": str(LISTING_PAGE), "offset": "0"}  # how a relation reads a whole listing

    def alone(edge: edges.Edge) -> bool:
        wanted = edge.query
        return any(q == wanted or q == {**listing_read, **wanted} for q in queries)

    missing = [str(e) for e in CATALOGUE if not alone(e)]
    assert not missing, f"{len(missing)} edge(s) never sent alone: {missing[:10]}"
