"""Render a list of differences as a readable text report or as JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from .differences import Difference


@dataclass(frozen=True)
class Source:
    """Where the page came from, as the report's heading says it."""

    document: str
    layout: str
    fetched_at: str | None = None
    from_cache: bool = False

    def __str__(self) -> str:
        if self.fetched_at is None:
            return f"{self.document} ({self.layout})"
        how = "cached copy, fetched" if self.from_cache else "fetched"
        return f"{self.document} ({self.layout}, {how} {self.fetched_at})"


def summary(diffs: list[Difference]) -> dict[str, int]:
    deliberate = sum(d.deliberate for d in diffs)
    return {"undeclared": len(diffs) - deliberate, "deliberate": deliberate}


def render_json(diffs: list[Difference], source: Source, spec: str) -> str:
    body = {
        "document": source.document,
        "layout": source.layout,
        "fetched_at": source.fetched_at,
        "from_cache": source.from_cache,
        "spec": spec,
        "differences": [asdict(d) for d in diffs],
        "summary": summary(diffs),
    }
    return json.dumps(body, indent=2)


def render_text(diffs: list[Difference], source: Source, spec: str) -> str:
    lines = [f"drift check: {source} vs {spec}"]
    groups: dict[str, list[Difference]] = {}
    for diff in diffs:  # keep the comparison's order: parameters, fields, examples, status codes
        groups.setdefault(diff.group, []).append(diff)
    width = max((len(d.location) for d in diffs), default=0)
    for group, members in groups.items():
        lines.append(f"{group} ({len(members)}):")
        for d in members:
            mark = "DELIBERATE" if d.deliberate else "DRIFT     "
            line = (
                f"  {mark} {d.kind:<16} {d.location:<{width}}  doc: {d.doc or '-'}  |  spec: {d.spec or '-'}"
            )
            lines.append(f"{line}  ({d.note})" if d.note else line)
    if not diffs:
        lines.append("no differences")
    counts = summary(diffs)
    lines.append(f"undeclared drift {counts['undeclared']}, deliberate {counts['deliberate']}")
    return "\n".join(lines)
