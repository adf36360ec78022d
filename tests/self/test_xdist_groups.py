"""xdist_groups: on an xdist worker under --dist loadgroup, a test marked xdist_group gets the
`@<group>` suffix of its node id that the scheduler groups by; any other test, or any other run,
is left as it was."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from tests.self import xdist_groups


class StructuredId(str):
    """Stands for pytest 9.2's structured node id: parsed from its text, printed as it."""

    @classmethod
    def parse(cls, text: str) -> StructuredId:
        return cls(text)


class Item:
    def __init__(self, nodeid: str, *groups: str) -> None:
        self._id = StructuredId(nodeid)
        self.marks = [pytest.mark.xdist_group(group).mark for group in groups]

    @property
    def nodeid(self) -> str:
        return str(self._id)

    def iter_markers(self, name: str):
        return iter(self.marks if name == "xdist_group" else [])


def config(*, worker: bool, loadgroup: bool) -> SimpleNamespace:
    settings = SimpleNamespace(getvalue=lambda name: loadgroup if name == "loadgroup" else None)
    if worker:
        settings.workerinput = {}
    return settings


def test_a_worker_under_loadgroup_suffixes_the_grouped_tests_only():
    items = [
        Item("t.py::test_a", "kill-matrix"),
        Item("t.py::test_b[x@y]", "readme-commands"),  # an @ in the parameters is not a group
        Item("t.py::test_c", "one", "two"),
        Item("t.py::test_d"),
        Item("t.py::test_e@kill-matrix", "kill-matrix"),  # suffixed already (pytest before 9.2)
    ]
    xdist_groups.pytest_collection_modifyitems(config(worker=True, loadgroup=True), items)  # type: ignore[arg-type]
    assert [item.nodeid for item in items] == [
        "t.py::test_a@kill-matrix",
        "t.py::test_b[x@y]@readme-commands",
        "t.py::test_c@one_two",
        "t.py::test_d",
        "t.py::test_e@kill-matrix",
    ]


@pytest.mark.parametrize(("worker", "loadgroup"), [(False, True), (True, False)])
def test_no_suffix_outside_a_worker_under_loadgroup(worker, loadgroup):
    items = [Item("t.py::test_a", "kill-matrix")]
    xdist_groups.pytest_collection_modifyitems(config(worker=worker, loadgroup=loadgroup), items)  # type: ignore[arg-type]
    assert items[0].nodeid == "t.py::test_a"
