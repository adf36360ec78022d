"""Read a YAML mapping key by key, so that every error names the YAML path it is about."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from modelarts_contract.contract.document import SpecError

T = TypeVar("T")
_IGNORED_PREFIX = "x-"  # x-source, x-deliberate: for people, not for the checks


class Node:
    """A mapping at a YAML path; reading a key checks its type, and `done` rejects unread keys."""

    def __init__(self, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            raise SpecError(f"{path}: expected a mapping, got {type(value).__name__}")
        self.value: dict[str, Any] = value
        self.path = path
        self._read: set[str] = set()

    def _get(self, key: str) -> Any:
        self._read.add(key)
        if key not in self.value:
            raise SpecError(f"{self.path}.{key}: required")
        return self.value[key]

    def typed(self, key: str, kind: type[T]) -> T:
        value = self._get(key)
        # bool is an int in Python; a YAML `true` is never a valid count or offset
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise SpecError(f"{self.path}.{key}: expected {kind.__name__}, got {value!r}")
        return value

    def optional(self, key: str, kind: type[T]) -> T | None:
        """The value of `key`, or None when the mapping leaves it out."""
        self._read.add(key)
        return self.typed(key, kind) if key in self.value else None

    def text(self, key: str) -> str:
        return self.typed(key, str)

    def integer(self, key: str) -> int:
        return self.typed(key, int)

    def flag(self, key: str) -> bool:
        return self.typed(key, bool)

    def choice(self, key: str, allowed: Iterable[str]) -> str:
        options = tuple(allowed)
        value = self._get(key)
        if value not in options:
            raise SpecError(f"{self.path}.{key}: expected one of {', '.join(options)}, got {value!r}")
        return str(value)

    def texts(self, key: str) -> tuple[str, ...]:
        value = self._get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise SpecError(f"{self.path}.{key}: expected a list of strings, got {value!r}")
        return tuple(value)

    def integers(self, key: str) -> tuple[int, ...]:
        value = self._get(key)
        if not isinstance(value, list) or not all(type(v) is int for v in value):
            raise SpecError(f"{self.path}.{key}: expected a list of integers, got {value!r}")
        return tuple(value)

    def child(self, key: str) -> Node:
        return Node(self._get(key), f"{self.path}.{key}")

    def items(self, key: str) -> list[Node]:
        value = self._get(key)
        if not isinstance(value, list):
            raise SpecError(f"{self.path}.{key}: expected a list, got {type(value).__name__}")
        return [Node(item, f"{self.path}.{key}[{i}]") for i, item in enumerate(value)]

    def done(self) -> None:
        """Every key was read: a misspelt key fails at load, not when a check first runs."""
        unread = sorted(k for k in self.value if k not in self._read and not k.startswith(_IGNORED_PREFIX))
        if unread:
            raise SpecError(f"{self.path}: unknown key(s) {', '.join(unread)}")
