"""The one loader of the spec: the packaged YAML (or a file given), parsed once, $refs inlined.

The spec ships as package data (`openapi/` is the package `modelarts_contract.openapi`), so a wheel
install reads the same file as a checkout. The suite, generation and the drift check all load here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

SPEC_PACKAGE = "modelarts_contract.openapi"
SPEC_NAME = "images-group.yaml"
OPERATION_PATH = "/v1/{project_id}/images/group"
# libyaml's parser where PyYAML was built with it: the pure-Python one takes about a tenth of a second
# per load of the spec, and a run loads it three times. Same constructor, so the same documents.
SAFE_LOADER: type[yaml.SafeLoader | yaml.CSafeLoader]
try:
    SAFE_LOADER = yaml.CSafeLoader
except AttributeError:  # PyYAML without libyaml
    SAFE_LOADER = yaml.SafeLoader


class SpecError(ValueError):
    """The spec is not what the checks can read; the message names the YAML path."""


def spec_text() -> str:
    return resources.files(SPEC_PACKAGE).joinpath(SPEC_NAME).read_text(encoding="utf-8")


@contextmanager
def spec_file() -> Iterator[Path]:
    """A real file path of the packaged spec, for tools that want one (schemathesis, linters)."""
    with resources.as_file(resources.files(SPEC_PACKAGE).joinpath(SPEC_NAME)) as path:
        yield path


def load_document(path: str | Path | None = None) -> dict[str, Any]:
    """The raw spec: the packaged one, or the file at `path`."""
    text = spec_text() if path is None else Path(path).read_text(encoding="utf-8")
    document = yaml.load(text, Loader=SAFE_LOADER)
    if not isinstance(document, dict) or "paths" not in document:
        raise SpecError(f"{path or SPEC_NAME}: not an OpenAPI document (no paths)")
    return document


def resolve_refs(node: Any, root: dict[str, Any], trail: str = "") -> Any:
    """Inline every local $ref (the spec has no recursive schemas)."""
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = root
            for part in str(node["$ref"]).removeprefix("#/").split("/"):
                if not isinstance(target, dict) or part not in target:
                    raise SpecError(f"{trail or '(root)'}: $ref {node['$ref']!r} does not resolve")
                target = target[part]
            return resolve_refs(target, root, trail)
        return {
            key: resolve_refs(value, root, f"{trail}.{key}" if trail else key) for key, value in node.items()
        }
    if isinstance(node, list):
        return [resolve_refs(item, root, f"{trail}[{i}]") for i, item in enumerate(node)]
    return node
