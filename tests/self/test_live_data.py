"""Live data (issue 3): a relation whose data changes under it is retried once, then reported as
"data changed", never as a contract failure and never as a pass."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from modelarts_contract.checks import relations
from modelarts_contract.checks.core import DataChanged, Ledger
from modelarts_contract.checks.listing import Lister
from modelarts_contract.config import SuiteConfig
from modelarts_contract.reference import Store, build_app, data, default_dataset, serve
from modelarts_contract.spec import load_contract
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


def test_config_copy_keeps_secrets_out_of_repr():
    config = SuiteConfig(base_url="http://127.0.0.1:1", project_id="p", auth_token="tok-secret-xyz")
    assert "tok-secret-xyz" not in repr(dataclasses.replace(config))
