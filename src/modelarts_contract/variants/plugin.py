"""The catalogue as a pytest plugin: it answers `pytest_modelarts_variant_catalogue` (see
`modelarts_contract.hooks`).

`modelarts_contract.pytest_plugin` registers it, so that the run reaches the catalogue through the
hook and never imports it; `-p no:modelarts-contract-catalogue` leaves it out.
"""

from __future__ import annotations

import pytest

from . import CATALOGUE
from .base import Variant

NAME = "modelarts-contract-catalogue"


@pytest.hookimpl(trylast=True)  # a plugin of the user's own answers first
def pytest_modelarts_variant_catalogue() -> dict[str, Variant]:
    return CATALOGUE
