"""HAR 1.2 entries of the suite's exchanges, redacted, and the recording file they are written into.

The file is plain HAR 1.2 that browsers' HAR viewers and HAR libraries open, laid out so that a reader
can index it without loading it: the log's header on the first line, one entry per line, the closing
brackets on the last. `_modelarts_contract` (a custom field, which HAR allows with a leading `_`)
carries our schema and version, the target and the options of the run; each entry's `_credential`
the kind of credentials it carried (credentials.py), never the credentials.
"""

from __future__ import annotations

import base64
import heapq
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qsl, urlsplit

from modelarts_contract import __version__
from modelarts_contract.redact import REDACTED, Redactor

SCHEMA = "modelarts-contract.recording"
VERSION = 1
META_KEY = "_modelarts_contract"
CREDENTIAL_KEY = "_credential"
TRUNCATED_KEY = "_truncated_at"
SHORT_KEY = "_short_of"  # [bytes received, Content-Length] of an answer that ended early
ERROR_KEY = "_error"  # why no answer came (the run stopped there: a replay stops there too)
# Header values that are credentials whatever they hold (a signature's date: with it, a signature
# could be checked, or replayed within its window).
SECRET_HEADERS = frozenset({"x-auth-token", "authorization", "x-security-token", "x-sdk-date", "cookie"})
COMMENT = (
    "Recorded by modelarts-contract. Credentials are redacted: X-Auth-Token, Authorization (AK/SK "
    f"signatures), X-Sdk-Date, X-Security-Token and cookies read {REDACTED}, and any echo of a secret "
    "or signature in other headers or bodies, in any encoding, is replaced by the same mark. "
    "_credential says which kind of credentials a request carried."
)
_CLOSE = "]}}\n"


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _headers(pairs: Iterable[tuple[str, str]], redactor: Redactor) -> list[dict[str, str]]:
    return [
        {"name": name, "value": REDACTED if name.lower() in SECRET_HEADERS else redactor.text(value)}
        for name, value in pairs
    ]


def _content(body: bytes, mime: str, cut: int | None, redactor: Redactor) -> dict[str, Any]:
    """The body, scrubbed: as text when it is UTF-8, else base64 of the scrubbed bytes."""
    content: dict[str, Any] = {"size": len(body), "mimeType": mime}
    try:
        content["text"] = redactor.scrub(body.decode("utf-8"))
    except UnicodeDecodeError:  # latin-1 maps bytes to characters one to one, so scrub, then back
        scrubbed = redactor.scrub(body.decode("latin-1")).encode("latin-1")
        content["text"], content["encoding"] = base64.b64encode(scrubbed).decode("ascii"), "base64"
    if cut is not None:
        content["comment"] = f"cut at {cut} bytes: the most the suite reads (--max-response-bytes)"
    return content


@dataclass(frozen=True)
class Exchanged:
    """One exchange as the transport made it: the answer, or `error` when none came."""

    method: str
    url: str
    request_headers: Mapping[str, str]
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes
    truncated_at: int | None
    started: float
    seconds: float
    credential: str
    error: str | None = None
    short_of: tuple[int, int] | None = None  # (received, Content-Length): the answer ended early


def _request(made: Exchanged, url: str, redactor: Redactor) -> dict[str, Any]:
    return {
        "method": made.method,
        "url": url,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": _headers(made.request_headers.items(), redactor),
        "queryString": [
            {"name": n, "value": v} for n, v in parse_qsl(urlsplit(url).query, keep_blank_values=True)
        ],
        "headersSize": -1,
        "bodySize": 0,
    }


def _response(made: Exchanged, redactor: Redactor) -> dict[str, Any]:
    mime = next((v for n, v in made.headers if n.lower() == "content-type"), "")
    return {
        "status": made.status,  # 0 when no answer came, as browsers record a failed request
        "statusText": made.reason or _phrase(made.status),
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": _headers(made.headers, redactor),
        "content": _content(made.body, mime, made.truncated_at, redactor),
        "redirectURL": "",
        "headersSize": -1,
        "bodySize": len(made.body),
    }


def entry(made: Exchanged, redactor: Redactor) -> dict[str, Any]:
    """One exchange as a HAR 1.2 entry, every credential redacted."""
    milliseconds = round(made.seconds * 1000, 3)
    item = {
        "startedDateTime": _iso(made.started),
        "time": milliseconds,
        "request": _request(made, redactor.text(made.url), redactor),
        "response": _response(made, redactor),
        "cache": {},
        "timings": {"send": 0, "wait": milliseconds, "receive": 0},
        CREDENTIAL_KEY: made.credential,
        TRUNCATED_KEY: made.truncated_at,
    }
    if made.error is not None:
        item[ERROR_KEY] = redactor.text(made.error)
    if made.short_of is not None:
        item[SHORT_KEY] = list(made.short_of)
    return item


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def header_line(meta: Mapping[str, Any]) -> str:
    """The log up to its entries' opening bracket: what the first line of a recording holds."""
    log = {
        "version": "1.2",
        "creator": {"name": "modelarts-contract", "version": __version__},
        "comment": COMMENT,
        META_KEY: {"schema": SCHEMA, "version": VERSION, **meta},
        "pages": [],
    }
    text = json.dumps({"log": log}, ensure_ascii=True)
    return text[:-2] + ', "entries": [\n'  # reopen the log object where entries go


def entry_line(item: Mapping[str, Any]) -> str:
    """One entry on one line: json.dumps escapes every line break inside strings."""
    return json.dumps(item, ensure_ascii=True, separators=(",", ":"))


def _started(line: str) -> str:
    started = json.loads(line).get("startedDateTime", "")
    return started if isinstance(started, str) else ""


def _lines(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8") as lines:
        yield from (line.rstrip("\n") for line in lines if line.strip())


def write_recording(target: Path, meta: Mapping[str, Any], parts: Iterable[Path]) -> int:
    """Merge the parts (entry lines, each part in start order) by start time into one recording at
    `target`, atomically: through a temporary file in its directory, renamed into place (an existing
    symlink there is replaced, never written through). Returns how many entries it holds."""
    merged = heapq.merge(*(_lines(part) for part in parts), key=_started)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    count = 0
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(header_line(meta))
            for line in merged:
                out.write((",\n" if count else "") + line)
                count += 1
            out.write("\n" + _CLOSE)
        os.chmod(temporary, 0o644)  # mkstemp makes it 0600; a recording is for others to read too
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return count


def append(out: IO[str], item: Mapping[str, Any]) -> None:
    out.write(entry_line(item) + "\n")
    out.flush()
