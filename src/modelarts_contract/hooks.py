"""The hook by which the pytest wiring reaches the variant catalogue without importing it.

The catalogue (`modelarts_contract.variants`) sits above the reference server and beside the run,
which must not import it (docs/architecture.md, Layers). The pytest plugin registers the
catalogue's small plugin (`variants.plugin`), which answers `pytest_modelarts_variant_catalogue`:
the run serves `--reference-variant` from the answer, and the report fills its "proven by" column
from it. A plugin of the user's own may answer instead: the catalogue's plugin answers last.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol, TypeAlias

import pytest

from modelarts_contract.reference import Dataset, ReferenceApp


class CatalogueVariant(Protocol):
    """What the run and the report read of a variant (`modelarts_contract.variants.Variant` is one)."""

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> str: ...  # "mutant" (the suite must fail it) or "benign" (it must pass)

    @property
    def clauses(self) -> tuple[str, ...]: ...

    @property
    def auth(self) -> str: ...  # the credentials the suite is given: "token" or "aksk"

    @property
    def dataset(self) -> Callable[[], Dataset]: ...

    def build(self, dataset: Dataset | None = None) -> ReferenceApp: ...


Catalogue: TypeAlias = Mapping[str, CatalogueVariant]


@pytest.hookspec(firstresult=True)
def pytest_modelarts_variant_catalogue() -> Catalogue | None:
    """The variants the embedded server can serve, by name; None from a plugin that has none."""
