"""Relations across requests: paging, defaults, filters and sorting, for any dataset (R2, R4, R6, R7, R9-R12).

A relation whose data changed under it twice is reported as "data changed", never as a pass.
"""

from __future__ import annotations

import pytest

from modelarts_contract.checks import relations
from modelarts_contract.checks.core import DataChanged
from modelarts_contract.checks.listing import Lister


@pytest.fixture(scope="module")
def lister(target):
    return Lister(target)


def _stable(lister, clause_ids, check):
    try:
        lister.stable(clause_ids, check)
    except DataChanged as exc:
        pytest.skip(f"DATA CHANGED (no verdict): {exc}")


@pytest.mark.parametrize(
    "params",
    [{}, {"sort_key": "version_count", "sort_dir": "ASC"}, {"sort_key": "namespace,create_at"}],
    ids=["default-order", "version_count-asc", "namespace,create_at"],
)
def test_pages_join_to_the_listing(target, lister, params):
    clauses = ["R9.stable-paging", "R9.total-invariant", "R12.unique"]
    _stable(lister, clauses, lambda: relations.pages_join_to_listing(target.verifier, lister, params))


def test_offset_counts_records(target, lister):
    _stable(lister, ["R9.window"], lambda: relations.record_offsets(target.verifier, lister))


def test_default_page_is_the_first_records(target, lister):
    _stable(lister, ["R2.defaults"], lambda: relations.default_page(target.verifier, lister))


def test_page_past_the_end_is_empty(target, lister):
    _stable(
        lister, ["R9.window", "R9.total-invariant"], lambda: relations.past_the_end(target.verifier, lister)
    )


def test_neutral_parameters_change_nothing(target, lister):
    clauses = ["R4.free-strings", "R6.unknown-ignored", "R7.workspace-default"]
    _stable(lister, clauses, lambda: relations.neutral_parameters(target.verifier, lister))


def test_name_filter_picks_exactly(target, lister):
    seed = target.config.seed
    _stable(lister, ["R10.name-filter"], lambda: relations.name_filter(target.verifier, lister, seed))


def test_namespace_filter_picks_exactly(target, lister):
    _stable(lister, ["R10.namespace-filter"], lambda: relations.namespace_filter(target.verifier, lister))


def test_type_filters_narrow(target, lister):
    _stable(lister, ["R10.subset-filters"], lambda: relations.subset_filters(target.verifier, lister))


def test_sort_orders(target, lister):
    _stable(lister, ["R11.order"], lambda: relations.sort_orders(target.verifier, lister))
