"""The contract as the checks read it: the hand-written OpenAPI document in openapi/.

Everything a check expects (types, enums, defaults, paging, filters, sorting, clause texts) comes
from here, so a user who reads a point differently edits the YAML, not the code.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import yaml

SPEC_PATH = Path(__file__).resolve().parents[2] / "openapi" / "images-group.yaml"
OPERATION_PATH = "/v1/{project_id}/images/group"


@dataclass(frozen=True)
class Clause:
    id: str
    text: str
    source: str


def _resolve(node: Any, root: dict) -> Any:
    """Inline every local $ref (the spec has no recursive schemas)."""
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = root
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return _resolve(target, root)
        return {key: _resolve(value, root) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve(item, root) for item in node]
    return node


class Contract:
    def __init__(self, document: dict) -> None:
        self.document = _resolve(document, document)
        self.operation: dict = self.document["paths"][OPERATION_PATH]["get"]

    @cached_property
    def clauses(self) -> dict[str, Clause]:
        return {c["id"]: Clause(c["id"], c["text"], c["source"]) for c in self.document["x-clauses"]}

    def clause(self, clause_id: str) -> Clause:
        return self.clauses[clause_id]  # KeyError: a check names a clause the spec lacks

    @cached_property
    def query_parameters(self) -> dict[str, dict]:
        return {p["name"]: p for p in self.operation["parameters"] if p["in"] == "query"}

    def parameter_schema(self, name: str) -> dict:
        return self.query_parameters[name]["schema"]

    def default(self, name: str) -> Any:
        return self.parameter_schema(name).get("default")

    def enum(self, name: str) -> list[str]:
        schema = self.parameter_schema(name)
        return list(schema.get("items", schema).get("enum", []))

    @cached_property
    def statuses(self) -> set[int]:
        return {int(code) for code in self.operation["responses"]}

    def response_schema(self, status: int) -> dict | None:
        response = self.operation["responses"].get(str(status))
        if response is None:
            return None
        return response.get("content", {}).get("application/json", {}).get("schema")

    def strict_schema(self, status: int) -> dict | None:
        """The response schema with no undocumented properties allowed (strict mode)."""
        schema = copy.deepcopy(self.response_schema(status))

        def close(node: Any) -> None:
            if isinstance(node, dict):
                if node.get("type") == "object" and "properties" in node:
                    node.setdefault("additionalProperties", False)
                for value in node.values():
                    close(value)
            elif isinstance(node, list):
                for item in node:
                    close(item)

        close(schema)
        return schema

    @property
    def paging(self) -> dict:
        return self.operation["x-paging"]

    @property
    def filters(self) -> list[dict]:
        return self.operation["x-filters"]

    @property
    def sorting(self) -> dict:
        return self.operation["x-sorting"]

    @property
    def identity(self) -> tuple[str, ...]:
        return tuple(self.operation["x-identity"]["fields"])


@lru_cache(maxsize=4)
def load_contract(path: str | Path = SPEC_PATH) -> Contract:
    with open(path, encoding="utf-8") as handle:
        return Contract(yaml.safe_load(handle))
