"""Live data (issue 3): a relation whose data changes under it is retried once, then reported as
"data changed", never as a contract failure and never as a pass."""

from __future__ import annotations

import dataclasses
import itertools
import threading
from urllib.parse import parse_qsl

import pytest

from modelarts_contract.checks import relations
from modelarts_contract.checks.core import DataChanged, Ledger
from modelarts_contract.checks.listing import LISTING_PAGE, Lister, identity_order
from modelarts_contract.config import SuiteConfig
from modelarts_contract.contract import SubsetFilter, load_contract
from modelarts_contract.reference import ReferenceApp, Store, build_app, data, default_dataset, serve
from modelarts_contract.target import Target


class ShrinkingStore(Store):
    """Groups disappear with every answer: totals and listings keep moving, as on a busy staging."""

    calls = itertools.count()

    def list(self, q):
        groups, total = super().list(q)
        gone = next(self.calls)
        return groups[gone:], max(0, total - gone)


def _target(url: str) -> Target:
    config = SuiteConfig(
        base_url=url,
        project_id=data.MAIN_PROJECT_ID,
        auth_token=data.MAIN_TOKEN,
        other_project_id=data.OTHER_PROJECT_ID,
    )
    return Target(config, load_contract(), Ledger())


def test_data_changing_twice_is_reported_as_data_changed_not_failure():
    with serve(build_app(default_dataset(), store_cls=ShrinkingStore)) as server:
        target = _target(server.url)
        lister = Lister(target)
        with pytest.raises(DataChanged, match="R9.stable-paging"):
            lister.stable(
                relations.pages_join_to_listing,
                lambda: relations.pages_join_to_listing(target.verifier, lister, {}),
            )
    record = target.verifier.ledger.as_dict()["R9.stable-paging"]
    assert record["data_changed"] == 1
    assert record["broken"] == 0  # the failures seen while the data moved are not verdicts


def test_data_changing_once_is_retried_and_judged():
    calls = itertools.count()

    class SettlesDown(Store):
        """Differs only for the first few answers, then holds still."""

        def list(self, q):
            groups, total = super().list(q)
            return (groups[1:], total - 1) if next(calls) < 3 else (groups, total)

    with serve(build_app(default_dataset(), store_cls=SettlesDown)) as server:
        target = _target(server.url)
        lister = Lister(target)
        lister.stable(
            relations.pages_join_to_listing,
            lambda: relations.pages_join_to_listing(target.verifier, lister, {}),
        )
    record = target.verifier.ledger.as_dict()["R9.stable-paging"]
    assert record["exercised"] > 0 and record["broken"] == 0 and record["data_changed"] == 0


def test_a_real_failure_on_still_data_is_a_failure():
    class Snapped(Store):
        """Offsets rounded down to a page boundary: the data holds still, the answer is wrong."""

        def page(self, q):
            limit, offset = super().page(q)
            return limit, offset - offset % limit

    with serve(build_app(default_dataset(), store_cls=Snapped)) as server:
        target = _target(server.url)
        lister = Lister(target)
        with pytest.raises(AssertionError, match="R9.window"):
            lister.stable(relations.record_offsets, lambda: relations.record_offsets(target.verifier, lister))
    assert target.verifier.ledger.as_dict()["R9.window"]["broken"] >= 1


def _listing_reads(server, **params: str) -> int:
    """How many whole-listing reads of `params` (their first pages) the server answered."""
    wanted = {"limit": str(LISTING_PAGE), "offset": "0", **params}
    return sum(dict(parse_qsl(r.query_string, keep_blank_values=True)) == wanted for r in server.requests)


def _run(target, lister, relation):
    lister.stable(relation, lambda: relation(target.verifier, lister))


def test_a_relation_starts_from_the_snapshot_the_previous_one_ended_with():
    snapshot = identity_order(load_contract())
    assert snapshot == {"sort_key": "namespace,name"}  # no ties: the same set on every read
    with serve(build_app(default_dataset())) as server:
        target = _target(server.url)
        _run(target, Lister(target), relations.subset_filters)
        assert _listing_reads(server, **snapshot) == 2  # its first and its last snapshot
        _run(target, Lister(target), relations.record_offsets)  # another module's lister, same run
        assert _listing_reads(server, **snapshot) == 3  # only its last: the first is the previous one's
        assert _listing_reads(server) == 1  # the unfiltered listing, in the default order: read once
        assert _listing_reads(server, type="BUILD_IN") == 1
        _run(target, Lister(target), relations.subset_filters)
        assert _listing_reads(server, type="BUILD_IN") == 1  # read under the same snapshot: reused
    assert target.verifier.ledger.as_dict()["R10.subset-filters"]["broken"] == 0


def test_a_change_between_relations_is_caught_though_the_first_snapshot_is_reused():
    moved = threading.Event()

    dataset = default_dataset()
    gone = next(i for i in dataset.images if i.project_id == data.MAIN_PROJECT_ID and i.type == "BUILD_IN")

    class MovesWhenTold(Store):
        """A group deleted once `moved` is set: the data changes between two relations."""

        def where(self, q):
            sql, args = super().where(q)
            if not moved.is_set():
                return sql, args
            return f"{sql} AND NOT (namespace = ? AND name = ?)", [*args, gone.namespace, gone.name]

    with serve(build_app(dataset, store_cls=MovesWhenTold)) as server:
        target = _target(server.url)
        _run(target, Lister(target), relations.subset_filters)
        moved.set()
        before = len(server.requests)
        _run(target, Lister(target), relations.subset_filters)  # judged anew on the moved data
        reads = _listing_reads(server, type="BUILD_IN")
    contract = load_contract()
    subset_listings = sum(
        len(contract.parameter(f.parameter).enum) for f in contract.filters if isinstance(f, SubsetFilter)
    )
    # The attempt from the remembered snapshot reuses every listing, then its last snapshot shows
    # the change; the next attempt reads them all anew (the unfiltered one too) and ends with a
    # snapshot of its own.
    assert len(server.requests) - before == 1 + (subset_listings + 1) + 1
    assert reads == 2  # the verdict is not on the listing read before the change
    record = target.verifier.ledger.as_dict()["R10.subset-filters"]
    assert record["data_changed"] == 0 and record["broken"] == 0


def test_a_listing_whose_pages_broke_a_clause_is_read_again_and_reported_again():
    class PagesWrongWhenTyped(ReferenceApp):
        """pages is off by one on the type filter's listings only."""

        def envelope(self, groups, total, q):
            body = super().envelope(groups, total, q)
            return {**body, "pages": body["pages"] + 1} if q.type else body

    with serve(build_app(default_dataset(), app_cls=PagesWrongWhenTyped)) as server:
        target = _target(server.url)
        for _ in range(2):
            with pytest.raises(AssertionError, match="R9.pages"):
                _run(target, Lister(target), relations.subset_filters)
        assert _listing_reads(server, type="BUILD_IN") == 2


def test_config_copy_keeps_secrets_out_of_repr():
    config = SuiteConfig(base_url="http://127.0.0.1:1", project_id="p", auth_token="tok-secret-xyz")
    assert "tok-secret-xyz" not in repr(dataclasses.replace(config))
