"""The reference server over real HTTP on 127.0.0.1: defaults, validation, auth, filters, sorting, paging."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import pytest
import requests

from modelarts_contract.reference import (
    MAIN_PROJECT_ID,
    MAIN_TOKEN,
    OTHER_PROJECT_ID,
    OTHER_TOKEN,
    SECOND_WORKSPACE_ID,
    Dataset,
    Image,
    ReferenceApp,
    Store,
    build_app,
    default_dataset,
    empty_dataset,
    serve,
)

PATH = f"/v1/{MAIN_PROJECT_ID}/images/group"
KEYS = ("name", "namespace", "create_at", "update_at", "version_count")
BIG = 100_000


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return default_dataset()


@pytest.fixture(scope="module")
def srv(dataset):
    with serve(build_app(dataset)) as running:
        yield running


def get(srv, params=None, *, token: str | None = MAIN_TOKEN, path: str = PATH, method: str = "GET"):
    headers = {"X-Auth-Token": token} if token is not None else {}
    return requests.request(
        method, srv.url + path, params=params, headers=headers, timeout=10, allow_redirects=False
    )


def ok(srv, params=None, **kw) -> dict:
    response = get(srv, params, **kw)
    assert response.status_code == 200, response.text
    return response.json()


def oracle(
    dataset: Dataset,
    pred: Callable[[Image], bool] = lambda i: True,
    project: str = MAIN_PROJECT_ID,
    workspace: str = "0",
) -> dict[tuple[str, str], dict]:
    """Independent aggregation of versions into groups, keyed by (namespace, name)."""
    groups: dict[tuple[str, str], dict] = {}
    for i in dataset.images:
        if i.project_id != project or i.workspace_id != workspace or not pred(i):
            continue
        g = groups.setdefault((i.namespace, i.name), {"create_at": i.create_at, "update_at": 0, "n": 0})
        g["create_at"] = min(g["create_at"], i.create_at)
        g["update_at"] = max(g["update_at"], i.update_at)
        g["n"] += 1
    return groups


def keyset(body: dict) -> set[tuple[str, str]]:
    return {(g["namespace"], g["name"]) for g in body["data"]}


# --- defaults, envelope, routing -------------------------------------------------------------------


def test_defaults(srv, dataset):
    response = get(srv)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert len(response.headers["X-Request-Id"]) == 32
    body = response.json()
    expected = oracle(dataset)
    assert body["total"] == len(expected) > 200
    assert (body["current"], body["size"], body["pages"]) == (1, 200, math.ceil(len(expected) / 200))
    assert len(body["data"]) == 200
    for g in body["data"]:
        assert list(g) == ["name", "create_at", "namespace", "update_at", "version_count"]
        want = expected[(g["namespace"], g["name"])]
        assert (g["create_at"], g["update_at"], g["version_count"]) == (
            want["create_at"],
            want["update_at"],
            want["n"],
        )


def test_unknown_parameters_are_ignored(srv):
    assert ok(srv, {"foo": "bar", "limit": "3", "swr_instance_id": "x"}) == ok(srv, {"limit": "3"})


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/v1",
        f"/v1/{MAIN_PROJECT_ID}/images",
        f"{PATH}/",
        f"{PATH}s",
        f"/v2/{MAIN_PROJECT_ID}/images/group",
    ],
)
def test_other_paths_are_404(srv, path):
    response = get(srv, path=path)
    assert response.status_code == 404
    assert response.json()["error_code"] == "APIGW.0101"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"])
def test_other_methods_are_405_and_recorded(srv, method):
    before = len(srv.requests)
    response = get(srv, path=PATH, method=method)
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET"
    if method != "HEAD":
        assert set(response.json()) == {"error_code", "error_msg"}
    recorded = srv.requests.snapshot()[before:]
    assert [(r.method, r.path) for r in recorded] == [(method, PATH)]
    assert recorded[0].headers["X-Auth-Token"] == MAIN_TOKEN


def test_request_log_records_query_string(srv):
    get(srv, {"limit": "2", "name": "a b"})
    last = srv.requests[-1]
    assert (last.method, last.path, last.query_string) == ("GET", PATH, "limit=2&name=a+b")


# --- R1: authentication ---------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "", "nope", MAIN_TOKEN + "x", MAIN_TOKEN.upper()])
def test_missing_or_invalid_token_is_401(srv, token):
    response = get(srv, token=token)
    assert response.status_code == 401
    assert response.json()["error_code"] == "ModelArts.0203"
    assert MAIN_TOKEN not in response.text


def test_other_projects_token_is_403(srv):
    response = get(srv, token=OTHER_TOKEN)
    assert response.status_code == 403
    assert response.json()["error_code"] == "ModelArts.0210"


def test_unknown_project_id_is_403(srv):
    response = get(srv, path="/v1/00000000000000000000000000000000/images/group")
    assert response.status_code == 403


def test_auth_comes_before_validation(srv):
    assert get(srv, {"limit": "x"}, token=None).status_code == 401
    assert get(srv, {"limit": "x"}, token=OTHER_TOKEN).status_code == 403


def test_other_project_sees_only_its_own_groups(srv, dataset):
    body = ok(srv, {"limit": BIG}, token=OTHER_TOKEN, path=f"/v1/{OTHER_PROJECT_ID}/images/group")
    assert keyset(body) == set(oracle(dataset, project=OTHER_PROJECT_ID))
    shared = keyset(body) & set(oracle(dataset))
    assert shared  # the same namespace+name exists in both projects, with the other project's figures
    for g in body["data"]:
        assert (
            g["version_count"] == oracle(dataset, project=OTHER_PROJECT_ID)[(g["namespace"], g["name"])]["n"]
        )


# --- R2, R3, R5: validation -----------------------------------------------------------------------

BAD = [
    *[
        ("limit", v)
        for v in ["0", "-1", "1.5", "abc", "", "2147483648", " 1", "1 ", "+1", "1_0", "\u0663", "1e3"]
    ],
    *[("limit", "9" * 5000), ("offset", "9" * 5000), ("limit", "0" * 30 + "2147483648")],
    *[("offset", v) for v in ["-1", "x", "", "2147483648", "0.0"]],
    *[("type", v) for v in ["build_in", "", "OTHER", "BUILD_IN "]],
    *[("service_type", v) for v in ["train", "", "ALL"]],
    *[("sort_dir", v) for v in ["asc", "", "DOWN"]],
    *[("name_fuzzy_match", v) for v in ["True", "1", "", "yes", "FALSE"]],
    *[("sort_key", v) for v in ["", "name,", ",name", "id", "name,bogus", "NAME", "name ,namespace"]],
]


@pytest.mark.parametrize(("param", "value"), BAD)
def test_invalid_parameter_is_400(srv, param, value):
    response = get(srv, {param: value})
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error_code"] == "ModelArts.0101"
    assert param in body["error_msg"]


@pytest.mark.parametrize(
    "param", ["limit", "offset", "name", "namespace", "sort_key", "workspace_id", "type"]
)
def test_repeated_parameter_is_400(srv, param):
    value = {"limit": "1", "offset": "0", "sort_key": "name", "type": "DEDICATED"}.get(param, "a")
    response = get(srv, [(param, value), (param, value)])
    assert response.status_code == 400
    assert param in response.json()["error_msg"]


@pytest.mark.parametrize(
    ("params", "size"),
    [
        ({"limit": "2147483647"}, None),
        ({"limit": "007"}, 7),
        ({"limit": "1", "offset": "-0"}, 1),
        ({"offset": "2147483647"}, 0),
        ({"name_fuzzy_match": "false", "sort_dir": "ASC", "sort_key": "name,namespace"}, 200),
    ],
)
def test_boundary_values_are_accepted(srv, dataset, params, size):
    body = ok(srv, params)
    assert body["total"] == len(oracle(dataset))
    assert len(body["data"]) == (size if size is not None else body["total"])


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("name", "\u00c4\u00d6%00'; DROP TABLE versions; --"),
        ("name", "x" * 5000),
        ("name", "%"),
        ("namespace", "NOT a namespace \u2603"),
        ("workspace_id", "' OR 1=1 --"),
        ("name", "\x00"),
    ],
)
def test_free_strings_never_fail(srv, param, value):
    body = ok(srv, {param: value})
    assert body["total"] == 0 and body["pages"] == 0 and body["data"] == []


# --- R7, R10: workspace and filters ---------------------------------------------------------------


def test_workspace_defaults_to_zero(srv, dataset):
    default = ok(srv, {"limit": BIG})
    assert (
        default == ok(srv, {"limit": BIG, "workspace_id": "0"}) == ok(srv, {"limit": BIG, "workspace_id": ""})
    )
    second = ok(srv, {"limit": BIG, "workspace_id": SECOND_WORKSPACE_ID})
    assert keyset(second) == set(oracle(dataset, workspace=SECOND_WORKSPACE_ID))
    assert keyset(second) & keyset(default)  # shared names, counted per workspace
    assert keyset(second) - keyset(default)


@pytest.mark.parametrize("name", ["pytorch", "_", ".", "-", "1_8", "123", "torch", "tf2.6"])
def test_name_is_a_substring_filter(srv, dataset, name):
    body = ok(srv, {"name": name, "limit": BIG})
    assert keyset(body) == set(oracle(dataset, lambda i: name in i.name))
    assert body["total"] == len(body["data"]) > 0


def test_underscore_and_case_are_literal(srv, dataset):
    names = {g["name"] for g in ok(srv, {"name": "_", "limit": BIG})["data"]}
    assert names and all("_" in n for n in names)
    assert len(names) < len({k[1] for k in oracle(dataset)})
    assert ok(srv, {"name": "PyTorch"})["total"] == 0


def test_exact_name_match(srv, dataset):
    body = ok(srv, {"name": "pytorch", "name_fuzzy_match": "false", "limit": BIG})
    assert {g["name"] for g in body["data"]} == {"pytorch"}
    assert body["total"] == len(oracle(dataset, lambda i: i.name == "pytorch")) >= 3  # several namespaces
    assert ok(srv, {"name": "pytorc", "name_fuzzy_match": "false"})["total"] == 0
    assert ok(srv, {"name": "", "name_fuzzy_match": "false"})["total"] == len(oracle(dataset))


def test_namespace_filter(srv, dataset):
    body = ok(srv, {"namespace": "ai-lab", "name": "pytorch", "limit": BIG})
    assert keyset(body) == set(oracle(dataset, lambda i: i.namespace == "ai-lab" and "pytorch" in i.name))
    assert ok(srv, {"namespace": "ai-la"})["total"] == 0
    assert ok(srv, {"namespace": ""})["total"] == len(oracle(dataset))


@pytest.mark.parametrize(
    ("param", "value"),
    [("type", "BUILD_IN"), ("type", "DEDICATED")]
    + [("service_type", s) for s in ("COMMON", "INFERENCE", "TRAIN", "DEV", "UNKNOWN")],
)
def test_type_filters_select_matching_versions(srv, dataset, param, value):
    body = ok(srv, {param: value, "limit": BIG})
    expected = oracle(dataset, lambda i: getattr(i, param) == value)
    assert 0 < body["total"] < len(oracle(dataset))
    assert keyset(body) == set(expected)
    for g in body["data"]:
        assert g["version_count"] == expected[(g["namespace"], g["name"])]["n"]


# --- R9, R11: sorting and paging ------------------------------------------------------------------


def assert_sorted(data: list[dict], keys: tuple[str, ...], direction: str) -> None:
    for a, b in itertools.pairwise(data):
        ka, kb = tuple(a[k] for k in keys), tuple(b[k] for k in keys)
        assert (ka <= kb) if direction == "ASC" else (ka >= kb), (a, b)
        if ka == kb:  # deterministic tie-break
            assert (a["namespace"], a["name"]) < (b["namespace"], b["name"])


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
@pytest.mark.parametrize("key", [*KEYS, "version_count,name", "update_at,create_at,namespace"])
def test_sort_keys_and_directions(srv, key, direction):
    keys = tuple(key.split(","))
    body = ok(srv, {"sort_key": key, "sort_dir": direction, "limit": BIG})
    assert_sorted(body["data"], keys, direction)
    if "name" not in keys and "namespace" not in keys:  # the dataset has ties in these keys
        values = [tuple(g[k] for k in keys) for g in body["data"]]
        assert len(set(values)) < len(values)


def test_sort_dir_defaults_to_desc(srv):
    assert ok(srv, {"sort_key": "name", "limit": BIG}) == ok(
        srv, {"sort_key": "name", "sort_dir": "DESC", "limit": BIG}
    )
    assert ok(srv, {"sort_key": "name"})["data"] != ok(srv, {"sort_key": "name", "sort_dir": "ASC"})["data"]


@pytest.mark.parametrize(
    "params", [{}, {"sort_key": "version_count"}, {"sort_key": "create_at", "sort_dir": "ASC"}]
)
@pytest.mark.parametrize("limit", [pytest.param(1, marks=pytest.mark.slow), 7, 50])  # 1: 340 pages
def test_page_walk_is_the_full_listing(srv, params, limit):
    full = ok(srv, {**params, "limit": BIG})["data"]
    walked, offset = [], 0
    while offset < len(full):
        body = ok(srv, {**params, "limit": limit, "offset": offset})
        assert body["total"] == len(full)
        assert body["current"] == offset // limit + 1
        assert body["pages"] == math.ceil(len(full) / limit)
        assert body["size"] == len(body["data"]) == min(limit, len(full) - offset)
        walked += body["data"]
        offset += limit
    assert walked == full


@pytest.mark.parametrize(("offset", "limit"), [(5, 7), (1, 1), (333, 10), (339, 5), (340, 5), (10_000, 3)])
def test_window_is_records_offset_to_offset_plus_limit(srv, offset, limit):
    full = ok(srv, {"sort_key": "name", "limit": BIG})["data"]
    body = ok(srv, {"sort_key": "name", "limit": limit, "offset": offset})
    assert body["data"] == full[offset : offset + limit]
    assert body["total"] == len(full) and body["current"] == offset // limit + 1


def test_empty_dataset():
    with serve(build_app(empty_dataset())) as running:
        body = ok(running)
    assert body == {"current": 1, "data": [], "pages": 0, "size": 0, "total": 0}


@pytest.mark.parametrize(
    "query", ["name=%FF%FE", "name=%ZZ", "namespace=%", "name=a%00b&workspace_id=%C3%28"]
)
def test_raw_odd_queries_are_answered(srv, query):
    response = requests.get(f"{srv.url}{PATH}?{query}", headers={"X-Auth-Token": MAIN_TOKEN}, timeout=10)
    assert response.status_code == 200
    assert response.json()["total"] == 0


# --- seams: what the mutant catalogue builds on ---------------------------------------------------


class PagingStore(Store):
    def page(self, q):  # a classic bug: offset counted in pages
        return q.limit, q.offset * q.limit


class SizeApp(ReferenceApp):
    def envelope(self, groups, total, q):
        return {**super().envelope(groups, total, q), "size": q.limit}


class BrokenStore(Store):
    def fetch(self, q):
        raise RuntimeError("boom")


def test_seams_can_be_overridden(dataset):
    with serve(build_app(dataset, app_cls=SizeApp, store_cls=PagingStore)) as running:
        full = ok(running, {"sort_key": "name", "limit": BIG})["data"]
        body = ok(running, {"sort_key": "name", "limit": 5, "offset": 2})
    assert body["data"] == full[10:15] and body["size"] == 5


def test_unexpected_exception_is_500_with_error_body(dataset):
    with serve(build_app(dataset, store_cls=BrokenStore)) as running:
        response = get(running)
    assert response.status_code == 500
    assert response.json()["error_code"] == "ModelArts.0010"
    assert "boom" not in response.text
