"""Datasets of the reference server: deterministic, with the shapes the contract suite relies on."""

from __future__ import annotations

import json
import re
from collections import defaultdict

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
    assert all(1 <= len(v) <= 5 for v in main.values())
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


def test_store_pages_in_sql():
    store = Store(default_dataset())
    q = ListQuery(project_id=MAIN_PROJECT_ID, sort_key=("name",), sort_dir="ASC", limit=10, offset=3)
    page, total = store.list(q)
    everything = store.fetch(
        ListQuery(project_id=MAIN_PROJECT_ID, sort_key=("name",), sort_dir="ASC", limit=10**6)
    )
    assert total == len(everything) and page == everything[3:13]
    assert [g.name for g in everything] == sorted(g.name for g in everything)
