"""Reading HAR files: a recording of ours indexed by offset, or any HAR 1.2 file, with clear errors.

A recording written by `--record` (har.py's layout: one entry a line) is indexed without being held:
each entry's offset and length, and what a replay matches it by, and its body is read again when it
is asked for, so that replaying a recording of any size takes the memory of its largest entry. A HAR
from elsewhere (a browser, a proxy) is read whole, up to MAX_FOREIGN_BYTES.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelarts_contract.neutral import neutral
from modelarts_contract.recording import har

MAX_FOREIGN_BYTES = 256 * 1024 * 1024  # a HAR not laid out by us is parsed whole


class HarError(ValueError):
    """The file is not a HAR this suite can read: the message is one line that says why."""


@dataclass(frozen=True)
class Answer:
    """One recorded exchange, as a replay or a judge needs it."""

    method: str
    url: str
    request_headers: tuple[tuple[str, str], ...]
    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    truncated_at: int | None
    credential: str | None
    started: str
    error: str | None = None  # no answer came (our recording says why)
    short_of: tuple[int, int] | None = None  # it ended before its Content-Length (our recording says)


def _pairs(value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, list):
        return ()
    return tuple(
        (str(h.get("name", "")), str(h.get("value", "")))
        for h in value
        if isinstance(h, dict) and "name" in h
    )


def _body(content: Any) -> bytes:
    """The body's bytes; b"" when the HAR left the text out (browsers do, for large or binary bodies)."""
    if not isinstance(content, dict) or not isinstance(content.get("text"), str):
        return b""
    text: str = content["text"]
    if content.get("encoding") == "base64":
        try:
            return base64.b64decode(text, validate=False)
        except (binascii.Error, ValueError):
            raise HarError("a body marked base64 is not base64") from None
    return text.encode("utf-8", "surrogatepass")


def answer_of(item: Any) -> Answer:
    """An entry as an Answer; HarError when it lacks what HAR 1.2 requires of one."""
    request = item.get("request") if isinstance(item, dict) else None
    response = item.get("response") if isinstance(item, dict) else None
    if not isinstance(request, dict) or not isinstance(response, dict):
        raise HarError("an entry without a request and a response")
    status = response.get("status")
    if type(status) is not int or not isinstance(request.get("url"), str):
        raise HarError("an entry without a request URL or a numeric response status")
    content = response.get("content")
    cut = item.get(har.TRUNCATED_KEY)
    if not isinstance(content, dict) or not isinstance(content.get("text"), str):
        cut = 0  # the HAR left the body out (browsers do, for large or binary ones): judged as cut
    credential, error = item.get(har.CREDENTIAL_KEY), item.get(har.ERROR_KEY)
    return Answer(
        method=str(request.get("method", "GET")).upper(),
        url=request["url"],
        request_headers=_pairs(request.get("headers")),
        status=status,
        reason=str(response.get("statusText", "")),
        headers=_pairs(response.get("headers")),
        body=_body(content),
        truncated_at=cut if type(cut) is int else None,
        credential=credential if isinstance(credential, str) else None,
        started=str(item.get("startedDateTime", "")),
        error=error if isinstance(error, str) else None,
        short_of=_short(item.get(har.SHORT_KEY)),
    )


def _short(value: Any) -> tuple[int, int] | None:
    if isinstance(value, list) and len(value) == 2 and all(type(n) is int for n in value):
        return value[0], value[1]
    return None


@dataclass(frozen=True)
class Indexed:
    """Where one entry of a recording is, and what a replay matches it by."""

    offset: int
    length: int
    method: str
    url: str
    credential: str | None


class Har:
    """A HAR file opened for reading: its log's fields (`meta`) and its entries, in order."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = neutral(str(path))
        self.meta: dict[str, Any] = {}
        self.index: list[Indexed] = []
        self._foreign: list[Any] | None = None
        try:
            with path.open("rb") as stream:
                first = stream.readline(1 << 20)
                if not (self._ours(first) and self._index(stream, first)):
                    self._load_whole(path)
        except FileNotFoundError:
            raise HarError(f"{self.where}: no such file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise HarError(f"{self.where}: cannot be read ({neutral(str(exc))})") from None

    def _fail(self, why: str) -> HarError:
        return HarError(f"{self.where}: {why}")

    @staticmethod
    def _ours(first: bytes) -> bool:
        return first.startswith(b'{"log": ') and first.rstrip().endswith(b', "entries": [')

    def _index(self, stream: Any, first: bytes) -> bool:
        """Index a file laid out as har.py writes; False when its first line is not a log's header."""
        try:
            header = json.loads(first.rstrip()[: -len(b', "entries": [')] + b"}}")
        except (ValueError, RecursionError):
            return False
        if not isinstance(header, dict) or not isinstance(header.get("log"), dict):
            return False
        self.meta = header["log"]
        offset, closed = len(first), False
        for line in iter(stream.readline, b""):
            length, text = len(line), line.strip()
            if text == b"]}}":
                closed = True
            elif text and not closed:
                self.index.append(self._indexed(offset, text.rstrip(b",")))
            elif text:
                raise self._fail("something after the end of the HAR log")
            offset += length
        if not closed:
            raise self._fail("truncated: the HAR log does not end (was the run stopped while writing?)")
        return True

    def _indexed(self, offset: int, text: bytes) -> Indexed:
        try:
            answer = answer_of(json.loads(text))
        except (ValueError, RecursionError) as exc:
            raise self._fail(
                f"entry at byte {offset} is not JSON, or truncated ({neutral(str(exc))[:200]})"
            ) from None
        return Indexed(offset, len(text), answer.method, answer.url, answer.credential)

    def _load_whole(self, path: Path) -> None:
        if path.stat().st_size > MAX_FOREIGN_BYTES:
            raise self._fail(
                f"larger than {MAX_FOREIGN_BYTES >> 20} MiB, the most read of a HAR from elsewhere"
            )
        try:
            document = json.loads(path.read_bytes())
        except (ValueError, RecursionError) as exc:
            raise self._fail(f"not JSON, or truncated ({neutral(str(exc))[:200]})") from None
        log = document.get("log") if isinstance(document, dict) else None
        if not isinstance(log, dict) or not isinstance(log.get("entries"), list):
            raise self._fail('not a HAR file (expected {"log": {"entries": [...]}})')
        self.meta, self._foreign = log, log["entries"]

    def __len__(self) -> int:
        return len(self.index) if self._foreign is None else len(self._foreign)

    def answer(self, position: int) -> Answer:
        """The entry at `position`, read again from the file when the recording is ours."""
        if self._foreign is not None:
            return answer_of(self._foreign[position])
        spot = self.index[position]
        with self.path.open("rb") as stream:
            stream.seek(spot.offset)
            text = stream.read(spot.length)
        try:
            return answer_of(json.loads(text.rstrip(b",")))
        except (ValueError, RecursionError):
            raise self._fail(f"entry at byte {spot.offset} changed since the file was opened") from None

    def answers(self) -> Iterator[tuple[int, Answer | HarError]]:
        """Every entry in order, or why it cannot be read (one bad entry does not end the reading)."""
        for position in range(len(self)):
            try:
                yield position, self.answer(position)
            except HarError as problem:
                yield position, problem

    @property
    def ours(self) -> dict[str, Any] | None:
        """Our custom field, when a `--record` of a schema version this suite reads wrote the file."""
        mine = self.meta.get(har.META_KEY)
        if not isinstance(mine, dict) or mine.get("schema") != har.SCHEMA:
            return None
        if mine.get("version") != har.VERSION:
            raise self._fail(
                f"a recording of schema version {neutral(repr(mine.get('version')))[:20]}; this "
                f"modelarts-contract reads version {har.VERSION}"
            )
        return mine
