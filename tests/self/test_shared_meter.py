"""One time limit for every process that shares a meter (what xdist workers do): no process is
admitted once the limit has passed, none is refused before it, whatever the machine's load (both
sides are read on the monotonic clock, the machine's, around each request the meter decides on).

The limit is set once both processes are up and waiting: how long a process takes to start is no
part of what is checked.
"""

from __future__ import annotations

import multiprocessing
import time
from typing import Any

import pytest

from modelarts_contract.meter import SharedMeter, TimeSpent

LIMIT = 2.0  # seconds from the moment both processes are up


def admit_until_stopped(inbox: Any, outbox: Any) -> None:
    """A worker: says it is up, takes the meter's description, then asks for a request every 10 ms
    until the meter refuses; sends back when it asked for each one admitted, and when it was refused."""
    outbox.put("up")
    meter = SharedMeter.open(inbox.get(timeout=60))
    asked: list[float] = []
    for _ in range(10_000):  # bounded: the limit ends it after about 200
        before = time.monotonic()
        try:
            meter.admit()
        except TimeSpent as stop:
            outbox.put((asked, time.monotonic(), str(stop)))
            return
        asked.append(before)
        time.sleep(0.01)
    outbox.put((asked, time.monotonic(), "never refused"))


@pytest.mark.slow  # waits out the limit
def test_processes_sharing_a_meter_stop_at_one_time_limit(tmp_path):
    context = multiprocessing.get_context("spawn")  # no fork of a process with threads
    outbox = context.Queue()
    inboxes = [context.Queue(), context.Queue()]
    workers = [context.Process(target=admit_until_stopped, args=(inbox, outbox)) for inbox in inboxes]
    for worker in workers:
        worker.start()
    try:
        assert [outbox.get(timeout=120) for _ in workers] == ["up", "up"]
        ends_at = time.monotonic() + LIMIT
        meter = SharedMeter.create(tmp_path, 100_000, None, max_duration=LIMIT, ends_at=ends_at)
        for inbox in inboxes:
            inbox.put(meter.describe())
        results = [outbox.get(timeout=120) for _ in workers]
    finally:
        for worker in workers:
            worker.join(timeout=10)
            worker.kill()
    for asked, refused_at, reason in results:
        assert "time limit of 2 s (--max-duration) is reached" in reason
        assert asked, "each process was admitted before the limit"
        assert max(asked) < ends_at <= refused_at  # admitted before the one limit, refused from it on
    assert meter.stats.sent == sum(len(asked) for asked, _, _ in results)  # one count for both
