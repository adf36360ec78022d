"""Datasets of the reference server: deterministic, with the shapes the contract suite relies on."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import pytest

from modelarts_contract.reference import (
    MAIN_PROJECT_ID,
    OTHER_PROJECT_ID,
    Dataset,
    ListQuery,
    Store,
    default_dataset,
    empty_dataset,
    large_dataset,
    load_dataset,
    single_group_dataset,
)
from modelarts_contract.reference import data as ref_data
from modelarts_contract.reference.data import DatasetError

START, END = 1577836800000, 1717200000000


def groups(dataset: Dataset, project: str = MAIN_PROJECT_ID, workspace: str = "0") -> dict:
    out = defaultdict(list)
    for i in dataset.images:
        if i.project_id == project and i.workspace_id == workspace:
            out[(i.namespace, i.name)].append(i)
    return out


def test_default_dataset_is_deterministic_and_round_trips(tmp_path):
    dataset = default_dataset()
    assert dataset == default_dataset() != default_dataset(seed=1)
    path = tmp_path / "d.json"
    path.write_text(json.dumps(dataset.to_json()))
    assert load_dataset(path) == dataset


def test_default_dataset_shape():
    dataset = default_dataset()
    main = groups(dataset)
    assert 300 <= len(main) <= 400
    assert len({ns for ns, _ in main}) >= 6
    assert all(1 <= len(v) <= 12 for v in main.values())
    counts = {len(v) for v in main.values()}
    assert {9, 10} <= counts, "one- and two-digit version counts (text order is not numeric order)"
    names = {name for _, name in main}
    assert {"pytorch", "pytorch_1_8", "my-pytorch-infer"} <= names
    assert all(re.fullmatch(r"[a-z0-9._-]+", n) for n in names)
    assert len(names) < len(main)  # same name in several namespaces
    assert {i.type for i in dataset.images} == set(ref_data.TYPES)
    assert {i.service_type for i in dataset.images} == set(ref_data.SERVICE_TYPES)
    assert all(START <= i.create_at <= i.update_at <= END for i in dataset.images)
    figures = [(min(i.create_at for i in v), max(i.update_at for i in v), len(v)) for v in main.values()]
    assert len(set(figures)) <= len(figures) - 5  # full ties
    second = groups(dataset, workspace=ref_data.SECOND_WORKSPACE_ID)
    assert re.fullmatch(r"[0-9a-z]{32}", ref_data.SECOND_WORKSPACE_ID) and second
    other = groups(dataset, project=OTHER_PROJECT_ID)
    assert 15 <= len(other) <= 25 and set(other) & set(main)


def test_credentials():
    main, other = default_dataset().projects
    assert re.fullmatch(r"[0-9a-f]{32}", main.project_id) and re.fullmatch(r"[0-9a-f]{32}", other.project_id)
    assert main.token.startswith("reftoken-") and main.sk.startswith("refsk-")
    assert other.token.startswith("reftoken-") and other.sk.startswith("refsk-")


def test_variants():
    assert empty_dataset().images == [] and len(empty_dataset().projects) == 2
    assert len(groups(single_group_dataset())) == 1
    assert len(groups(large_dataset())) == 1200
    assert len(groups(large_dataset(groups=50))) == 50


@pytest.mark.parametrize("size", [0, 1, 2, ref_data.TIE_GROUPS - 1, ref_data.TIE_GROUPS])
def test_a_tenant_of_any_size(size):
    dataset = large_dataset(size)
    assert len(groups(dataset)) == size and dataset == large_dataset(size)
    assert [p.project_id for p in dataset.projects] == [MAIN_PROJECT_ID, OTHER_PROJECT_ID]


def test_the_store_computes_each_filters_groups_once_and_keeps_the_latest(monkeypatch):
    monkeypatch.setattr("modelarts_contract.reference.store.GROUPED_TABLES", 3)
    dataset = large_dataset(120)
    store = Store(dataset)
    names = [name for _, name in groups(dataset)]
    for value in ["a", "o", "a", "e", "a", "x", "o"]:  # "a" stays in use; "o" is dropped, then read anew
        q = ListQuery(project_id=MAIN_PROJECT_ID, name=value, sort_key=("name",), sort_dir="ASC", limit=7)
        page, total = store.list(q)
        expected = sorted(name for name in names if value in name)  # names are unique in this tenant
        assert total == len(expected) and [g.name for g in page] == expected[:7]
    temporary = "SELECT COUNT(*) FROM sqlite_temp_master WHERE type = 'table'"
    assert store._db.execute(temporary).fetchone()[0] == 3
    assert next(store._table_numbers) == 5  # a, o, e, x, o again: "a" was computed once


def test_store_pages_in_sql():
    store = Store(default_dataset())
    q = ListQuery(project_id=MAIN_PROJECT_ID, sort_key=("name",), sort_dir="ASC", limit=10, offset=3)
    page, total = store.list(q)
    everything = store.fetch(
        ListQuery(project_id=MAIN_PROJECT_ID, sort_key=("name",), sort_dir="ASC", limit=10**6)
    )
    assert total == len(everything) and page == everything[3:13]
    assert [g.name for g in everything] == sorted(g.name for g in everything)


EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "datasets" / "small-tenant.json"


def test_the_example_dataset_exercises_the_rules():
    dataset = load_dataset(EXAMPLE)
    main_id, other_id = (p.project_id for p in dataset.projects)
    main = groups(dataset, project=main_id)
    names = {name for _, name in main}
    assert len(names) < len(main)  # one name in two namespaces
    assert any(a != b and a in b for a in names for b in names)  # a name inside another
    assert all(any(mark in name for name in names) for mark in "_-.")
    assert any(name.isdigit() for name in names) and any(re.search(r"[a-z]\d", name) for name in names)
    assert max(len(versions) for versions in main.values()) >= 10  # a two-digit version_count
    assert {i.type for i in dataset.images} == set(ref_data.TYPES)
    assert {i.service_type for i in dataset.images} == set(ref_data.SERVICE_TYPES)
    assert all(START <= i.create_at <= i.update_at <= END for i in dataset.images)
    workspaces = {i.workspace_id for i in dataset.images if i.project_id == main_id}
    assert len(workspaces) == 2 and groups(dataset, project=other_id)


def write(tmp_path: Path, content: object) -> Path:
    """Bytes and text as they are; anything else as JSON."""
    path = tmp_path / "data.json"
    if not isinstance(content, bytes | str):
        content = json.dumps(content)
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


PROJECT = {"project_id": "p1", "token": "t", "ak": "AK", "sk": "SK"}
IMAGE = {"project_id": "p1", "workspace_id": "0", "namespace": "ns", "name": "n", "tag": "v1",
         "type": "DEDICATED", "service_type": "TRAIN", "create_at": START, "update_at": START}  # fmt: skip


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"projects": [{"project_id": "p1"},\n  ]}', "invalid JSON at line 2, column 3: Expecting value"),
        ([], 'expected an object with "projects" and "images", got an array'),
        ({"images": []}, '"projects" is empty: the first project is the one the suite reads'),
        ({"projects": {}}, '"projects" must be an array, got an object'),
        ({"projects": ["p1"]}, "projects[0] must be an object, got a string"),
        ({"projects": [{"project_id": "p1"}]}, "projects[0] lacks token, ak, sk"),
        ({"projects": [PROJECT], "images": [{**IMAGE, "create_at": "1600000000000"}]},
         "images[0].create_at must be an integer, got a string"),
        ({"projects": [PROJECT], "images": [IMAGE, {**IMAGE, "update_at": True}]},
         "images[1].update_at must be an integer, got a boolean"),
        ({"projects": [{**PROJECT, "token": None}]}, "projects[0].token must be a string, got null"),
        ({"projects": [PROJECT], "images": [{**IMAGE, "type": "dedicated"}]},
         "images[0].type must be one of BUILD_IN, DEDICATED, got 'dedicated'"),
        (b"\xff\xfe{}", "not UTF-8 text (byte 0)"),
    ],
)  # fmt: skip
def test_an_unusable_file_is_one_line_naming_where(tmp_path, content, message):
    path = write(tmp_path, content)
    with pytest.raises(DatasetError) as caught:
        load_dataset(path)
    assert str(caught.value) == f"{path}: {message}"


def test_a_missing_or_unreadable_file(tmp_path, monkeypatch):
    with pytest.raises(DatasetError, match=r"nosuch\.json: no such file$"):
        load_dataset(tmp_path / "nosuch.json")
    with pytest.raises(DatasetError, match="is a directory, not a JSON file$"):
        load_dataset(tmp_path)
    path = write(tmp_path, "{}")

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_text", refuse)  # chmod cannot stop root, which CI may be
    with pytest.raises(DatasetError, match=r"data\.json: cannot read it: Permission denied$"):
        load_dataset(path)
