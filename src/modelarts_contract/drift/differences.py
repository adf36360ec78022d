"""A difference between a page and the spec, as the comparison finds it and the report lists it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

KINDS = (
    "missing-in-spec",
    "missing-in-doc",
    "type",
    "enum",
    "enum-description",
    "default",
    "mandatory",
    "status",
    "example",
)


@dataclass
class Difference:
    kind: str  # one of KINDS
    location: str  # "query parameter limit", "field ImageGroup.create_at", "status 400", "example 200 /data"
    doc: str | None
    spec: str | None
    deliberate: bool = False  # the spec element carries x-deliberate: declared, not drift
    note: str = ""

    @property
    def group(self) -> str:
        """The heading the report lists this difference under: the location without the last name."""
        head, _, tail = self.location.rpartition(" ")
        return f"{head} {tail.rpartition('.')[0]}" if "." in tail else head


def deliberate(*nodes: Any) -> str | None:
    """The reason the first spec node that declares one gives (x-deliberate), else None."""
    for node in nodes:
        if isinstance(node, dict) and node.get("x-deliberate"):
            return str(node["x-deliberate"])
    return None
