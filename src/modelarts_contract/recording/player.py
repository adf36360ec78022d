"""`--replay`: the recording answers in the network's place, behind the transport's seam.

`Player` is the guard's `wire` (transport.py), as httpx's MockTransport stands in for a transport:
the guard's rules, budget, byte cap and redaction, and every check after them, run as on the network;
only the answer comes from the recording, with its body unread, for the guard to read. Nothing is
sent and no socket is opened. A request is answered by the next unused entry with the same method,
path, sorted query and kind of credentials; one the recording lacks stops the test that sent it
(`NotInRecording`): not exercised, never a pass or a failure.
"""

from __future__ import annotations

import io
from collections import defaultdict, deque
from datetime import timedelta

import requests
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers
from urllib3 import HTTPHeaderDict, HTTPResponse

from modelarts_contract.neutral import neutral
from modelarts_contract.recording.credentials import CredentialLabels, path_and_query
from modelarts_contract.recording.reader import Answer, Har
from modelarts_contract.stops import SuiteStop, TargetUnreachable

NOT_RECORDED = "not exercised: not in the recording"
# Framing a recording has already undone: the body it keeps is the decoded one, read whole.
_FRAMING = frozenset({"content-encoding", "transfer-encoding", "content-length"})

Key = tuple[str, str, str, str | None]


class NotInRecording(SuiteStop):
    """A request the recording has no (more) answer to: the test that needs it is not exercised."""


def key_of(method: str, url: str, credential: str | None) -> Key:
    path, query = path_and_query(url)
    return method.upper(), path, query, credential


class Player:
    def __init__(self, recording: Har, labels: CredentialLabels, max_body_bytes: int) -> None:
        self._recording = recording
        self._labels = labels
        self._max_body_bytes = max_body_bytes
        self._unused: defaultdict[Key, deque[int]] = defaultdict(deque)
        for position, spot in enumerate(recording.index):
            self._unused[key_of(spot.method, spot.url, spot.credential)].append(position)

    def __call__(self, request: requests.PreparedRequest) -> requests.Response:
        credential = self._labels.label(request)
        queue = self._unused.get(key_of(request.method or "GET", request.url or "", credential))
        if not queue:
            raise NotInRecording(f"{NOT_RECORDED}: {self._describe(request, credential)}")
        answer = self._recording.answer(queue.popleft())
        if answer.error is not None:  # no answer came then: the run stops as it stopped
            raise TargetUnreachable(answer.error)
        if answer.truncated_at is not None and answer.truncated_at < self._max_body_bytes:
            raise NotInRecording(
                f"{NOT_RECORDED}: the recorded answer was cut at {answer.truncated_at} bytes, and this "
                f"run reads up to {self._max_body_bytes}: {self._describe(request, credential)}"
            )
        return _response(request, answer)

    @staticmethod
    def _describe(request: requests.PreparedRequest, credential: str) -> str:
        path, query = path_and_query(request.url or "")
        return neutral(f"{request.method} {path}{'?' + query if query else ''} (credentials: {credential})")[
            :600
        ]


def _response(request: requests.PreparedRequest, answer: Answer) -> requests.Response:
    """The recorded answer as `requests` builds one off the wire, its body unread."""
    headers = HTTPHeaderDict()
    for name, value in answer.headers:
        headers.add(name, value)
    body = answer.body
    if answer.truncated_at is not None:  # one byte past the cap: the guard cuts it where it was cut
        body += b"\0"
    raw_headers = HTTPHeaderDict({n: v for n, v in headers.items() if n.lower() not in _FRAMING})
    if answer.short_of is not None:  # it ended before its Content-Length: so again, for the guard
        received, announced = answer.short_of  # the bytes read past what the body kept were lost then
        body += b"\0" * max(0, received - len(body))
        raw_headers["Content-Length"] = str(announced)
    raw = HTTPResponse(
        body=io.BytesIO(body),
        headers=raw_headers,
        status=answer.status,
        reason=answer.reason,
        version=11,
        preload_content=False,
        decode_content=False,
        request_url=request.url,
    )
    response = requests.Response()
    response.status_code, response.reason = answer.status, answer.reason
    response.headers = CaseInsensitiveDict(headers)
    response.raw, response.url, response.request = raw, request.url or "", request
    response.encoding = get_encoding_from_headers(response.headers)
    response.elapsed = timedelta(0)
    return response
