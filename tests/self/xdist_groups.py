"""`--dist loadgroup` on pytest 9.2: pytest-xdist (3.8) marks a grouped test by appending
`@<group>` to its node id, but writes the field pytest 9.2 no longer reads (`_nodeid`; the id is a
structured `_id` now: pytest-dev/pytest-xdist#1386). The groups then silently fall apart: both
workers take kill-matrix tests and each runs the whole matrix. This plugin, on an xdist worker,
gives a grouped test the suffix the scheduler looks for, where xdist's own has not.
"""

from __future__ import annotations

import pytest


@pytest.hookimpl(trylast=True)  # after xdist's own attempt, which works on pytest before 9.2
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not hasattr(config, "workerinput") or not config.getvalue("loadgroup"):
        return
    for item in items:
        groups = sorted({str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
                         for mark in item.iter_markers("xdist_group")})  # fmt: skip
        structured = getattr(item, "_id", None)
        if groups and structured is not None and "@" not in item.nodeid.rpartition("]")[2]:
            item._id = type(structured).parse(f"{item.nodeid}@{'_'.join(groups)}")
