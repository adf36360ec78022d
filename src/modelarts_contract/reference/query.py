"""The parsed, validated query of one listing request (kept apart so store and app share no cycle)."""

from __future__ import annotations

from dataclasses import dataclass

SORT_KEYS = ("name", "namespace", "create_at", "update_at", "version_count")


@dataclass(frozen=True)
class ListQuery:
    project_id: str
    workspace_id: str = "0"  # R7
    name: str | None = None
    name_fuzzy_match: bool = True
    namespace: str | None = None
    type: str | None = None
    service_type: str | None = None
    sort_key: tuple[str, ...] = ()  # empty = not given
    sort_dir: str = "DESC"
    limit: int = 200
    offset: int = 0
