"""The kill matrix, recorded and replayed: a recording of each variant's run, replayed without a
socket, gives the verdict of the live run (exit status, broken clauses, what was exercised).

The fast tier replays a handful of variants on the R1 tests (token and AK/SK, a mutant killed by a
clause of any answer, a benign variant); the whole catalogue on the whole suite runs with -m replay_matrix (about 40 minutes).
"""

from __future__ import annotations

import pytest
from tests.self.helpers import CONTRACT
from tests.self.recordings import AUTH_TESTS, record, replay

from modelarts_contract.variants import CATALOGUE

FAST = {
    "any-token-accepted": ("R1.invalid-credentials",),  # a token mutant
    "stale-date-accepted": ("R1.invalid-credentials",),  # AK/SK: signatures labelled, not matched
    "content-type-text-plain": ("R8.content-type",),
    "other-project-404": (),  # benign: passes live and replayed
}


@pytest.mark.parametrize("name", sorted(FAST))
def test_a_replayed_variant_gets_its_live_verdict(name, tmp_path):
    recording, live = record(tmp_path, name, "--reference-variant", name, tests=AUTH_TESTS)
    assert set(FAST[name]) <= set(live.broken) and live.code == (1 if FAST[name] else 0)
    run, replayed = replay(tmp_path, recording, tests=AUTH_TESTS)
    assert replayed == live, run.output[-3000:]


@pytest.mark.replay_matrix
@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_the_whole_catalogue_replayed_gets_its_live_verdicts(name, tmp_path):
    recording, live = record(tmp_path, name, "--reference-variant", name, tests=CONTRACT)
    run, replayed = replay(tmp_path, recording, tests=CONTRACT)
    assert replayed == live, run.output[-3000:]
