"""`fence`: the guard of the target's origin for every `requests` session in the process.

schemathesis sends some probes (ignored_auth, auth inference) on fresh sessions of its own; while a
fence is open, every adapter's request to the guard's origin obeys the guard, and any other goes out
as requests sends it. The patch of `HTTPAdapter.send` this takes is in place only while a fence is
open (`patching`): importing this module changes nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from modelarts_contract.deadline import WireWatch
from modelarts_contract.patching import PATCH_LOCK, Patch, holding
from modelarts_contract.transport import Cert, Guard, Timeout, streamed


class _Fence(Patch):
    """`HTTPAdapter.send` for every adapter in the process: a request to the origin of an open
    fence's guard obeys that guard; any other goes out as requests sends it."""

    owner, name = HTTPAdapter, "send"

    def __init__(self, original: Callable[..., Any]) -> None:
        super().__init__(original)
        self.guards: list[Guard] = []  # of the open fences, changed under PATCH_LOCK

    def replacement(self) -> Callable[..., Any]:
        def send(
            adapter: HTTPAdapter,  # named so because it replaces HTTPAdapter.send
            request: requests.PreparedRequest,
            stream: bool = False,
            timeout: Timeout = None,
            verify: bool | str = True,
            cert: Cert = None,
            proxies: Mapping[str, str] | None = None,
        ) -> requests.Response:
            guard = next((g for g in list(self.guards) if g.covers(request.url or "")), None)
            if guard is None:
                response: requests.Response = self.original(
                    adapter, request, stream, timeout, verify, cert, proxies
                )
                return response
            return guard.send(request, streamed(adapter, request, guard, timeout, verify, cert, proxies))

        return send


@contextlib.contextmanager
def fence(guard: Guard) -> Iterator[Guard]:
    """While open, every `requests` adapter in the process obeys `guard` for the guard's origin.

    Other origins are untouched. `GuardedAdapter` keeps its own path, so nothing is counted twice.
    """
    with holding(_Fence) as fenced, holding(WireWatch):
        with PATCH_LOCK:
            fenced.guards.append(guard)
        try:
            yield guard
        finally:
            with PATCH_LOCK:
                fenced.guards.remove(guard)
