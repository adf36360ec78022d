"""The variant catalogue: mutants of the reference server the contract suite must fail, and benign
variants (freedoms the contract allows) it must pass.

Data: it imports the reference server and nothing else of the suite. ``python -m
modelarts_contract.matrix`` (the kill-matrix runner, above it) runs the suite against each variant.
"""

from __future__ import annotations

import difflib

from . import (
    auth_mutants,
    edge_mutants,
    filter_mutants,
    near_miss_mutants,
    near_value_mutants,
    paging_mutants,
    paging_word_mutants,
    schema_mutants,
    sort_mutants,
    stability_mutants,
    status_mutants,
)
from . import benign as _benign_module
from .base import AuthMode, Variant

__all__ = ["CATALOGUE", "Variant", "benign", "get", "mutants", "reference_variant"]

_FAMILIES = (
    schema_mutants,
    status_mutants,
    auth_mutants,
    paging_mutants,
    filter_mutants,
    sort_mutants,
    edge_mutants,
    near_miss_mutants,
    paging_word_mutants,
    stability_mutants,
    near_value_mutants,
)


def _catalogue() -> dict[str, Variant]:
    catalogue: dict[str, Variant] = {}
    for variant in (v for family in (*_FAMILIES, _benign_module) for v in family.VARIANTS):
        if variant.name in catalogue:
            raise ValueError(f"variant {variant.name!r} is defined twice")
        catalogue[variant.name] = variant
    return catalogue


CATALOGUE: dict[str, Variant] = _catalogue()


class UnknownVariant(KeyError):
    """A variant name the catalogue lacks; its message is one line (KeyError's own str is a repr)."""

    def __str__(self) -> str:
        return str(self.args[0])


def unknown_variant_message(name: str) -> str:
    close = difflib.get_close_matches(name, list(CATALOGUE), n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown variant {name!r}; {hint}python -m modelarts_contract.matrix --list shows all {len(CATALOGUE)}"


def get(name: str) -> Variant:
    try:
        return CATALOGUE[name]
    except KeyError:
        raise UnknownVariant(unknown_variant_message(name)) from None


def mutants() -> list[Variant]:
    return [v for v in CATALOGUE.values() if v.kind == "mutant"]


def benign() -> list[Variant]:
    return [v for v in CATALOGUE.values() if v.kind == "benign"]


def reference_variant(name: str) -> Variant:
    """The reference itself as a run of the harness: "reference-token" or "reference-aksk"."""
    modes: dict[str, AuthMode] = {"token": "token", "aksk": "aksk"}
    mode = modes.get(name.rsplit("-", 1)[-1])
    if mode is None:
        raise KeyError(f"unknown reference run {name!r}")
    return Variant(
        name=name, kind="benign", clauses=("R2.valid-accepted",), summary="the reference", auth=mode
    )
