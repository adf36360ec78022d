"""The single-response checks on hand-made exchanges: each passes a right answer and names a wrong one."""

from __future__ import annotations

import dataclasses
import json

import pytest

from modelarts_contract.checks import bodies, filters, paging, plausibility, sorting, status
from modelarts_contract.checks.core import ClauseViolation, Exchange, Ledger, Verifier
from modelarts_contract.checks.validity import Validity, classify
from modelarts_contract.contract import load_contract
from modelarts_contract.redact import Redactor

TOKEN = "tok-1234567890-secret"
URL = "http://127.0.0.1:1/v1/p/images/group"


def exchange(
    query: str = "", status_code: int = 200, body: object = None, content_type: str = "application/json"
):
    content = json.dumps(body).encode() if body is not None else b""
    headers = {"Content-Type": content_type} if content else {}
    import requests

    prepared = requests.Request(
        "GET", URL + ("?" + query if query else ""), headers={"X-Auth-Token": TOKEN}
    ).prepare()
    return Exchange.from_prepared(prepared, status_code, headers, content, Redactor([TOKEN]))


def group(name="a", namespace="ns", create_at=1_600_000_000_000, update_at=1_600_000_000_001, versions=1):
    return {
        "name": name,
        "namespace": namespace,
        "create_at": create_at,
        "update_at": update_at,
        "version_count": versions,
    }


def envelope(items, total, size=None, pages=None, current=1):
    return {
        "current": current,
        "data": items,
        "pages": pages,
        "size": size if size is not None else len(items),
        "total": total,
    }


@pytest.fixture
def verifier():
    return Verifier(load_contract(), Redactor([TOKEN]), Ledger())


@pytest.mark.parametrize(
    ("query", "validity"),
    [
        ("", Validity.VALID),
        ("limit=1&offset=0", Validity.VALID),
        ("limit=0", Validity.INVALID),
        ("limit=2147483648", Validity.INVALID),
        ("limit=1.5", Validity.INVALID),
        ("limit=%2B5", Validity.UNJUDGED),
        ("type=build_in", Validity.INVALID),
        ("sort_dir=", Validity.INVALID),
        ("name_fuzzy_match=True", Validity.INVALID),
        ("sort_key=name,", Validity.INVALID),
        ("sort_key=name,create_at", Validity.VALID),
        ("name=UPPER%20case", Validity.VALID),
        ("unknown=1", Validity.VALID),
        ("limit=1&limit=2", Validity.UNJUDGED),
    ],
)
def test_request_validity_comes_from_the_spec(query, validity):
    assert classify(load_contract(), exchange(query).query).validity is validity


def test_free_string_outside_its_format_may_get_400(verifier):
    verifier.run(
        status.validity_decides_status, exchange("name=UPPER", 400, {"error_code": "x", "error_msg": "y"})
    )
    with pytest.raises(ClauseViolation, match="R2.valid-accepted"):
        verifier.run(
            status.validity_decides_status, exchange("name=lower", 400, {"error_code": "x", "error_msg": "y"})
        )


def test_paging_arithmetic(verifier):
    items = [group(name=str(i)) for i in range(3)]
    good = exchange("limit=3&offset=3", body=envelope(items, total=10, pages=4, current=2))
    for check in (paging.window, paging.size, paging.pages, paging.current):
        verifier.run(check, good)
    bad = exchange("limit=3&offset=3", body=envelope(items, total=10, size=10, pages=3, current=1))
    for check, clause in (
        (paging.size, "R9.size"),
        (paging.pages, "R9.pages"),
        (paging.current, "R9.current"),
    ):
        with pytest.raises(ClauseViolation, match=clause):
            verifier.run(check, bad)
    with pytest.raises(ClauseViolation, match="R9.window"):
        verifier.run(paging.window, exchange("limit=2", body=envelope(items, total=10, pages=5)))


def test_empty_result_may_have_zero_or_one_page(verifier):
    for pages in (0, 1):
        verifier.run(paging.pages, exchange("", body=envelope([], total=0, pages=pages)))
    with pytest.raises(ClauseViolation, match="R9.pages"):
        verifier.run(paging.pages, exchange("", body=envelope([], total=0, pages=2)))


def test_name_filter_substring_or_exact(verifier):
    body = envelope([group(name="pytorch"), group(name="my-pytorch-infer")], total=2, pages=1)
    verifier.run(filters.groups_satisfy_filters, exchange("name=pytorch", body=body))
    with pytest.raises(ClauseViolation, match="R10.name-filter"):
        verifier.run(
            filters.groups_satisfy_filters, exchange("name=pytorch&name_fuzzy_match=false", body=body)
        )


def test_sort_order_in_each_direction(verifier):
    body = envelope(
        [group(name="b", versions=3), group(name="a", versions=3), group(name="c", versions=1)], 3, pages=1
    )
    verifier.run(sorting.data_in_requested_order, exchange("sort_key=version_count", body=body))
    with pytest.raises(ClauseViolation, match="R11.order"):
        verifier.run(
            sorting.data_in_requested_order, exchange("sort_key=version_count&sort_dir=ASC", body=body)
        )


def test_plausibility_and_uniqueness(verifier):
    ok = envelope([group(), group(name="b")], 2, pages=1)
    verifier.run(plausibility.plausible_groups, exchange(body=ok))
    verifier.run(plausibility.unique_groups, exchange(body=ok))
    with pytest.raises(ClauseViolation, match="R12.plausible"):
        verifier.run(
            plausibility.plausible_groups,
            exchange(body=envelope([group(create_at=1_600_000_000)], 1, pages=1)),
        )
    with pytest.raises(ClauseViolation, match="R12.unique"):
        verifier.run(plausibility.unique_groups, exchange(body=envelope([group(), group()], 2, pages=1)))


@pytest.mark.parametrize(
    ("changes", "actual"),
    [
        ({"create_at": 1_600_000_000}, "data[1] ns/b: create_at=1600000000 is not UTC ms in [946684800000, "),
        ({"update_at": 1_500_000_000_000}, "data[1] ns/b: create_at=1600000000000 > update_at=1500000000000"),
        ({"version_count": 0}, "data[1] ns/b: version_count=0 < 1"),
    ],
)
def test_an_implausible_group_is_named_among_plausible_ones(verifier, changes, actual):
    # The other groups hold values R12 leaves to the schema check (a string, a boolean, none at all).
    odd = [group(name="a", create_at="soon"), {**group(name="b"), **changes}, group(name="c", versions=True)]
    del odd[2]["update_at"]
    with pytest.raises(ClauseViolation) as raised:
        verifier.run(plausibility.plausible_groups, exchange(body=envelope(odd, 3, pages=1)))
    assert raised.value.actual.startswith(actual) and "data[0]" not in raised.value.actual
    verifier.run(plausibility.plausible_groups, exchange(body=envelope([odd[0], odd[2]], 2, pages=1)))


def test_groups_repeated_with_lists_for_names_are_found(verifier):
    hostile = envelope([group(name=["x"]), group(name=["x"]), group(name="['x']")], 3, pages=1)
    with pytest.raises(ClauseViolation, match="R12.unique") as raised:
        verifier.run(plausibility.unique_groups, exchange(body=hostile))
    assert raised.value.actual == "repeated: [('ns', \"['x']\")]"  # a list is read as its repr


def test_bodies_and_content_type(verifier):
    verifier.run(bodies.success_body, exchange(body={**envelope([group()], 1, pages=1), "extra": True}))
    with pytest.raises(ClauseViolation, match="R8.body-schema"):
        verifier.run(bodies.success_body, exchange(body={**envelope([group()], 1, pages=1), "total": "1"}))
    verifier.run(bodies.content_type, exchange(body={}, content_type="application/json; charset=utf-8"))
    with pytest.raises(ClauseViolation, match="R8.content-type"):
        verifier.run(bodies.content_type, exchange(body={}, content_type="text/plain"))
    with pytest.raises(ClauseViolation, match="R13.error-body"):
        verifier.run(bodies.error_body, exchange(status_code=400, body={"error_code": 101}))


def test_a_member_name_twice_in_one_object_is_named():
    ok = exchange(body=envelope([group(), group(name="b")], 2, pages=1))
    twice = dataclasses.replace(ok, content=ok.content.replace(b'"name": "b"', b'"name": "b", "name": "c"'))
    assert bodies.not_i_json(ok) is None
    assert bodies.not_i_json(twice) == "member name 'name' twice in one object"


def test_strict_mode_reports_undocumented_fields():
    strict = Verifier(load_contract(), Redactor(), Ledger(), strict=True)
    with pytest.raises(ClauseViolation, match="R8.body-schema"):
        strict.run(bodies.success_body, exchange(body={**envelope([group()], 1, pages=1), "extra": True}))


def test_violation_reads_like_a_bug_report_without_the_secret(verifier):
    bad = exchange("limit=3", body=envelope([group()], total=10, pages=3))
    with pytest.raises(ClauseViolation) as caught:
        verifier.run(paging.pages, bad)
    text = str(caught.value)
    assert "[R9.pages]" in text and "source:" in text and "expected:" in text and "actual:" in text
    assert "$MODELARTS_AUTH_TOKEN" in text and TOKEN not in text
    assert verifier.ledger.as_dict()["R9.pages"]["broken"] == 1
