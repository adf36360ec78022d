"""Compare a parsed reference page with the OpenAPI spec and list the differences."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelarts_contract.contract import load_document

from .differences import Difference, deliberate
from .example import example_differences
from .model import DocField, DocPage

_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def load_spec(path: Path | None = None) -> dict[str, Any]:
    """The raw spec: the packaged one, or the file at `path` (the one loader, modelarts_contract.contract)."""
    return load_document(path)


class _Spec:
    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc

    def resolve(self, node: Any) -> Any:
        # Local refs only ("#/components/..."); follow chains, stop on a cycle.
        seen: set[str] = set()
        while isinstance(node, dict) and isinstance(ref := node.get("$ref"), str) and ref not in seen:
            seen.add(ref)
            target: Any = self.doc
            try:
                for part in ref.removeprefix("#/").split("/"):
                    target = target[part.replace("~1", "/").replace("~0", "~")]
            except (KeyError, TypeError):
                raise ValueError(f"unresolvable $ref {ref!r} (only local refs are followed)") from None
            node = target
        return node


@dataclass
class _Type:
    type: str | None
    format: str | None = None
    items: _Type | None = None
    name: str | None = None  # object type name; documentation only, not compared

    def __str__(self) -> str:
        text = f"{self.type}({self.format})" if self.format else str(self.type)
        if self.items:
            text += f" of {self.items}"
        return f"{text} {self.name}" if self.type == "object" and self.name else text

    def same(self, other: _Type) -> bool:
        # A format counts only when both sides state one (the spec leaves some integers unsized).
        if self.type != other.type or (self.format and other.format and self.format != other.format):
            return False
        return not (self.items and other.items) or self.items.same(other.items)


_DOC_SCALARS = {
    "string": ("string", None),
    "integer": ("integer", "int32"),
    "int": ("integer", "int32"),
    "long": ("integer", "int64"),
    "boolean": ("boolean", None),
    "number": ("number", None),
    "float": ("number", "float"),
    "double": ("number", "double"),
    "object": ("object", None),
}


def doc_type(text: str) -> _Type:
    text = " ".join(text.split())
    if m := re.fullmatch(r"(?i)array of (.+)", text):
        return _Type("array", items=doc_type(m.group(1)))
    word = text.lower()
    if word not in _DOC_SCALARS and word.rstrip("s") in _DOC_SCALARS:  # "strings", "integers"
        word = word.rstrip("s")
    if word in _DOC_SCALARS:
        return _Type(*_DOC_SCALARS[word])
    if m := re.fullmatch(r"(\w+) objects?", text):
        return _Type("object", name=m.group(1))
    return _Type(text or None)


def _spec_type(spec: _Spec, schema: Any) -> _Type:
    name = schema["$ref"].rpartition("/")[2] if isinstance(schema, dict) and "$ref" in schema else None
    schema = spec.resolve(schema) or {}
    kind = schema.get("type") or ("object" if "properties" in schema else None)
    items = _spec_type(spec, schema["items"]) if kind == "array" and "items" in schema else None
    return _Type(kind, schema.get("format"), items, name)


def _same_default(doc: str, value: Any) -> bool:
    if isinstance(value, bool):
        return doc.lower() == str(value).lower()
    if isinstance(value, int | float):
        try:
            return float(doc) == value
        except ValueError:
            return False
    return doc == str(value)


def _same_words(doc: str, spec: str) -> bool:
    """Descriptions compared as words: case, spacing and a closing full stop do not count."""
    return " ".join(doc.casefold().split()).rstrip(".") == " ".join(spec.casefold().split()).rstrip(".")


def _yes(flag: bool) -> str:
    return "Yes" if flag else "No"


def _need(flag: bool | None) -> str:
    return "required" if flag else "optional"


class _Comparison:
    def __init__(self, page: DocPage, spec: dict[str, Any]) -> None:
        self.page, self.spec = page, _Spec(spec)
        self.out: list[Difference] = []
        self._visited: set[str] = set()

    def add(self, kind: str, location: str, doc: Any, spec: Any, *declared: Any, note: str = "") -> None:
        why = deliberate(*declared)
        note = "; ".join(n for n in (why, note) if n)
        self.out.append(Difference(kind, location, doc, spec, why is not None, note))

    def field(self, loc: str, doc: DocField, schema: Any, required: bool, param: dict[str, Any]) -> None:
        """Compare one documented parameter or field with its spec schema (type, enum, default, mandatory)."""
        raw, schema = schema, self.spec.resolve(schema) or {}
        dtype, stype = doc_type(doc.type), _spec_type(self.spec, raw)
        declared = (param, schema)
        if dtype.type == "string" and stype.type == "array" and "in" in param:
            # A documented string that the spec models as an array sent comma-joined is one
            # encoding of the same string, as long as the doc says it is comma-separated.
            joined = param.get("style", "form") == "form" and param.get("explode") is False
            if not joined:
                note = "the spec array is not sent comma-joined (style form, explode false)"
                self.add("type", loc, str(dtype), str(stype), *declared, note=note)
            elif "comma" not in doc.description.lower():
                note = "the doc does not say the string is comma-separated"
                self.add("type", loc, str(dtype), str(stype), *declared, note=note)
        elif not dtype.same(stype):
            self.add("type", loc, str(dtype), str(stype), *declared)
        if doc.enum is not None:
            self.enum(loc, doc.enum, schema, declared)
        if "default" in schema or doc.default is not None:
            value = schema.get("default")
            if doc.default is None or "default" not in schema or not _same_default(doc.default, value):
                spec_value = json.dumps(value) if "default" in schema else None
                self.add("default", loc, doc.default, spec_value, *declared)
        if doc.mandatory is not None and doc.mandatory != required:
            self.add("mandatory", loc, _yes(doc.mandatory), _yes(required), *declared)

    def enum(
        self, loc: str, doc_enum: dict[str, str], schema: dict[str, Any], declared: tuple[Any, ...]
    ) -> None:
        """The values, then the description of each value both sides list (x-enumDescriptions)."""
        values = schema if "enum" in schema else self.spec.resolve(schema.get("items")) or {}
        spec_enum = [str(v) for v in values.get("enum") or []]
        if set(doc_enum) != set(spec_enum):
            self.add("enum", loc, ", ".join(doc_enum), ", ".join(spec_enum) or None, *declared)
        described = values.get("x-enumDescriptions") or {}
        for value, text in doc_enum.items():
            if value in described and value in spec_enum and not _same_words(text, str(described[value])):
                self.add("enum-description", f"{loc}.{value}", text or None, str(described[value]), *declared)

    def params(self, where: str, docs: list[DocField], specs: dict[str, dict[str, Any]]) -> None:
        for doc in docs:
            loc = f"{where} parameter {doc.name}"
            if (param := specs.get(doc.name)) is None:
                self.add("missing-in-spec", loc, f"{doc.type}, {_need(doc.mandatory)}", None)
            else:
                self.field(loc, doc, param.get("schema", {}), bool(param.get("required")), param)
        for name, param in specs.items():
            if name not in {d.name for d in docs}:
                desc = f"{_spec_type(self.spec, param.get('schema', {}))}, {_need(param.get('required'))}"
                self.add(
                    "missing-in-doc", f"{where} parameter {name}", None, desc, param, param.get("schema")
                )

    def obj(self, prefix: str, docs: list[DocField], schema: Any) -> None:
        """Compare an object table with a spec object schema, then the object tables it refers to."""
        schema = self.spec.resolve(schema) or {}
        props = dict(schema.get("properties") or {})
        required = set(schema.get("required") or [])
        for doc in docs:
            loc = f"field {prefix}.{doc.name}"
            if doc.name not in props:
                self.add("missing-in-spec", loc, doc.type, None)
                continue
            self.field(loc, doc, props[doc.name], doc.name in required, {})
            dtype, sub = doc_type(doc.type), self.spec.resolve(props[doc.name]) or {}
            if dtype.type == "array" and dtype.items:
                dtype, sub = dtype.items, sub.get("items", {})
            if dtype.name in self.page.objects and dtype.name not in self._visited:
                self._visited.add(dtype.name)
                self.obj(dtype.name, self.page.objects[dtype.name], sub)
        for name, prop in props.items():
            if name not in {d.name for d in docs}:
                self.add(
                    "missing-in-doc",
                    f"field {prefix}.{name}",
                    None,
                    str(_spec_type(self.spec, prop)),
                    prop,
                    self.spec.resolve(prop),
                )

    def run(self) -> list[Difference]:
        op, path_item = self.operation()
        params = [self.spec.resolve(p) for p in [*path_item.get("parameters", []), *op.get("parameters", [])]]
        by_in = {w: {p["name"]: p for p in params if p.get("in") == w} for w in ("path", "query", "header")}
        self.params("path", self.page.path_params, by_in["path"])
        self.params("query", self.page.query_params, by_in["query"])
        # Auth headers are security schemes, not parameters: documented or not, they are no drift.
        schemes = self.spec.doc.get("components", {}).get("securitySchemes", {}).values()
        auth = {s.get("name") for s in map(self.spec.resolve, schemes) if s.get("in") == "header"}
        self.params("header", [d for d in self.page.header_params if d.name not in auth], by_in["header"])
        responses = {str(k): v for k, v in (op.get("responses") or {}).items()}
        for status, fields in sorted(self.page.bodies.items()):
            content: dict[str, Any] = (self.spec.resolve(responses.get(str(status))) or {}).get(
                "content"
            ) or {}
            media: dict[str, Any] = content.get("application/json") or next(iter(content.values()), {})
            prefix = "body" if status == 200 else f"body[{status}]"
            if "schema" in media:
                self.obj(prefix, fields, media["schema"])
            else:
                self.add("missing-in-spec", f"response {prefix}", f"{len(fields)} fields", None)
        for status, example in sorted(self.page.examples.items()):
            response = self.spec.resolve(responses.get(str(status)))
            self.out += example_differences(status, example, response, self.spec.doc)
        for code, text in sorted(self.page.status_codes.items()):
            if str(code) not in responses:
                self.add("status", f"status {code}", f"{code} {text}".strip(), None)
        for listed, resp in responses.items():
            if listed.isdecimal() and int(listed) not in self.page.status_codes:
                resolved = self.spec.resolve(resp) or {}
                self.add(
                    "status", f"status {listed}", None, resolved.get("description", "listed"), resp, resolved
                )
        return self.out

    def operation(self) -> tuple[dict[str, Any], dict[str, Any]]:
        paths = self.spec.doc.get("paths") or {}
        method, path = (self.page.method or "get").lower(), self.page.path
        if path in paths and method in paths[path]:
            return paths[path][method], paths[path]
        # A page whose URI the spec lacks is still compared with the spec's only operation.
        ops = [(p, m) for p, item in paths.items() for m in item if m in _METHODS]
        if len(ops) != 1:
            raise ValueError(f"the spec has no operation {method.upper()} {path}")
        (p, m), upper = ops[0], (self.page.method or "GET").upper()
        if path is not None:
            self.add("missing-in-spec", f"operation {upper} {path}", f"{upper} {path}", f"{m.upper()} {p}")
        return paths[p][m], paths[p]


def compare(page: DocPage, spec: dict[str, Any]) -> list[Difference]:
    """All differences between the page and the spec, undeclared drift and deliberate ones alike."""
    return _Comparison(page, spec).run()
