"""Render a list of differences as a readable text report or as JSON."""

from __future__ import annotations

import json
from dataclasses import asdict

from .compare import Difference


def summary(diffs: list[Difference]) -> dict[str, int]:
    deliberate = sum(d.deliberate for d in diffs)
    return {"undeclared": len(diffs) - deliberate, "deliberate": deliberate}


def render_json(diffs: list[Difference], document: str, spec: str) -> str:
    body = {
        "document": document,
        "spec": spec,
        "differences": [asdict(d) for d in diffs],
        "summary": summary(diffs),
    }
    return json.dumps(body, indent=2)


def render_text(diffs: list[Difference], document: str, spec: str) -> str:
    lines = [f"drift check: {document} vs {spec}"]
    groups: dict[str, list[Difference]] = {}
    for diff in diffs:  # keep the comparison's order: parameters, fields, status codes
        groups.setdefault(diff.group, []).append(diff)
    width = max((len(d.location) for d in diffs), default=0)
    for group, members in groups.items():
        lines.append(f"{group} ({len(members)}):")
        for d in members:
            mark = "DELIBERATE" if d.deliberate else "DRIFT     "
            line = (
                f"  {mark} {d.kind:<15} {d.location:<{width}}  doc: {d.doc or '-'}  |  spec: {d.spec or '-'}"
            )
            lines.append(f"{line}  ({d.note})" if d.note else line)
    if not diffs:
        lines.append("no differences")
    counts = summary(diffs)
    lines.append(f"undeclared drift {counts['undeclared']}, deliberate {counts['deliberate']}")
    return "\n".join(lines)
