"""Secrets never reach any output (R16): text is scrubbed, reproductions name variables instead."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from functools import partial
from urllib.parse import quote, quote_plus, unquote_to_bytes

from modelarts_contract.neutral import shell_quote

REDACTED = "[REDACTED]"
# Header values that are secret whoever made them (a generated or a mutated token, say).
_SECRET_HEADER = re.compile(r"(?i)\b(x-auth-token|authorization)(\s*[:=]\s*)([^\r\n'\"]+)")
_SIGNATURE = re.compile(r"(?i)\b(Access|Signature)=([^,\s'\"]+)")
TOKEN_VARIABLE = "MODELARTS_AUTH_TOKEN"
REPLAY = "python -m modelarts_contract.replay"
# A repr cut to length (pytest's saferepr, a body excerpt) can hold a piece of a secret: runs of
# this many characters or more taken from a secret are scrubbed too (in any of its encodings).
FRAGMENT = 10
# Headers a reproduction leaves to curl, or that only label schemathesis's own bookkeeping.
_NOT_REPRODUCED = {
    "host",
    "user-agent",
    "accept",
    "accept-encoding",
    "connection",
    "x-schemathesis-testcaseid",
}


_PERCENT_ESCAPE = re.compile(r"%[0-9A-F]{2}")


def neutral(text: str) -> str:
    """One line a terminal shows and does not obey: control, format (bidi) and unpaired surrogate
    characters, line breaks included, as escapes."""
    return "".join(
        c if c.isprintable() else f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}" for c in text
    )


def _base64_forms(raw: bytes) -> set[str]:
    """`raw` in base64, standard and URL-safe, as it appears inside a larger blob (base64 of
    "user:" + token, say) at each of the three byte alignments, and at a blob's end, padded or not."""
    forms = set()
    for skew in range(3):
        blob = base64.b64encode(b"\0" * skew + raw).decode("ascii")
        first = -(-8 * skew // 6)  # the first character holding none of the prefix's bits
        whole = 8 * (skew + len(raw)) // 6  # characters holding the secret's bits only
        for form in (blob[first:whole], blob[first:], blob[first:].rstrip("=")):
            forms |= {form, form.translate(str.maketrans("+/", "-_"))}
    return forms


def _json_escaped(secret: str) -> set[str]:
    """Every character as \\uXXXX (UTF-16 units, lower and upper hex), and what json.dumps writes."""
    data = secret.encode("utf-16-be")
    units = [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]
    escaped = "".join(f"\\u{unit:04x}" for unit in units)
    dumped = {json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    return {escaped, escaped.upper().replace("\\U", "\\u"), *dumped, *(d.replace("/", "\\/") for d in dumped)}


def encoded_forms(secret: str) -> set[str]:
    """The ways a target or a library may write `secret` back: the plain text, percent-encoded,
    base64 and base64url, hex, JSON-escaped; each form also with its backslashes doubled, as a repr
    shows it."""
    raw = secret.encode("utf-8")
    percent = {quote(secret, safe=""), quote(secret), quote_plus(secret)}
    percent |= {_PERCENT_ESCAPE.sub(lambda m: m.group(0).lower(), form) for form in percent}
    forms = {secret, *percent, *_base64_forms(raw), raw.hex(), raw.hex().upper(), *_json_escaped(secret)}
    return forms | {form.replace("\\", "\\\\") for form in forms if "\\" in form}


class _Runs:
    """Every run of `size` characters of some forms, and the probes that find them fast."""

    def __init__(self, size: int) -> None:
        self.size, self.probe = size, size // 2
        self.grams: set[str] = set()
        self.probes: set[str] = set()

    def add(self, form: str) -> None:
        self.grams.update(form[i : i + self.size] for i in range(len(form) - self.size + 1))
        self.probes.update(form[i : i + self.probe] for i in range(len(form) - self.probe + 1))

    def spans(self, text: str) -> list[tuple[int, int]]:
        if len(text) < self.size:
            return []
        # Any run of `size` characters holds a probe that starts at a multiple of `probe`: when none
        # of those is a piece of a form (most texts), no position needs looking at.
        probe, probes = self.probe, self.probes
        if not any(text[i : i + probe] in probes for i in range(0, len(text) - probe + 1, probe)):
            return []
        size, grams = self.size, self.grams
        return [(i, i + size) for i in range(len(text) - size + 1) if text[i : i + size] in grams]


# Runs in a text that may hold a signature in some encoding; each is decoded and looked into whole.
_HEX_RUN = re.compile(rf"[0-9A-Fa-f]{{{FRAGMENT},}}")
_BASE64_RUN = re.compile(rf"[A-Za-z0-9+/_-]{{{FRAGMENT + 4},}}")
_ESCAPED_RUN = re.compile(rf"(?:\\{{1,2}}u[0-9A-Fa-f]{{4}}){{{FRAGMENT},}}")
_PERCENT_RUN = re.compile(rf"(?:%[0-9A-Fa-f]{{2}}){{{FRAGMENT},}}")
# Escapes first: their digits would otherwise be read as a hex run of their own.
_RUNS = (("escaped", _ESCAPED_RUN), ("percent", _PERCENT_RUN), ("hex", _HEX_RUN), ("base64", _BASE64_RUN))


class Signatures:
    """The AK/SK signatures the suite sent (lowercase hex HMAC digests), found again in a text in
    the forms a target may echo them: hex in either case, base64 or base64url of the hex text or of
    the digest bytes, percent-escaped, \\u-escaped, and hex of the hex text.

    A run can sign thousands of requests, so, unlike the fixed secrets, the encodings are not
    computed ahead: the text's candidate runs are decoded instead, and a run is scrubbed whole when
    its decoding holds FRAGMENT characters of any signature.
    """

    def __init__(self) -> None:
        self._grams: set[str] = set()

    def add(self, signature: str) -> None:
        hexed = signature.lower()
        if len(hexed) >= FRAGMENT and _HEX_RUN.fullmatch(hexed):
            self._grams.update(hexed[i : i + FRAGMENT] for i in range(len(hexed) - FRAGMENT + 1))

    def _holds(self, text: str) -> bool:
        text = text.lower()
        grams = self._grams
        return any(text[i : i + FRAGMENT] in grams for i in range(len(text) - FRAGMENT + 1))

    def _decodings(self, run: str, kind: str) -> Iterator[str]:
        if kind == "hex":
            yield run
            for skew in (0, 1):  # hex of the hex text, at either alignment
                pairs = run[skew : skew + (len(run) - skew) // 2 * 2]
                yield bytes.fromhex(pairs).decode("latin-1")
        elif kind == "base64":
            standard = run.translate(str.maketrans("-_", "+/"))
            for skew in range(4):  # the run may start anywhere inside a larger blob
                body = standard[skew:]
                body = body[: len(body) // 4 * 4]
                try:
                    raw = base64.b64decode(body, validate=True)
                except (binascii.Error, ValueError):
                    continue
                yield raw.decode("latin-1")  # the hex text, base64-encoded
                yield raw.hex()  # the digest bytes, base64-encoded
        elif kind == "escaped":
            yield "".join(
                chr(int(run[i + 2 : i + 6], 16)) for i in range(len(run)) if run.startswith("\\u", i)
            )
        else:  # percent
            yield unquote_to_bytes(run).decode("latin-1")

    def scrub(self, text: str) -> str:
        if not self._grams:
            return text
        for kind, pattern in _RUNS:
            text = pattern.sub(partial(self._scrub_run, kind), text)
        return text

    def _scrub_run(self, kind: str, match: re.Match[str]) -> str:
        run = match.group(0)
        return REDACTED if any(self._holds(d) for d in self._decodings(run, kind)) else run


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._index(secrets)
        self.signatures = Signatures()  # filled by the transport as it sends signed requests

    def _index(self, secrets: Iterable[str]) -> None:
        # Longest first, so a secret that contains another is replaced whole.
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)
        # The runs of every form of every secret, computed once: the scan for them scrubs whole forms
        # and the pieces of one that a cut repr leaves alike. A run is as long as FRAGMENT characters
        # of the secret come out in that form (20 in hex, 60 in \u escapes), so that it says as much as
        # a plain fragment and ordinary text does not match it by chance. A secret shorter than
        # FRAGMENT is only replaced whole: its encodings would scrub ordinary text.
        runs: dict[int, _Runs] = {}
        for secret in (s for s in self._secrets if len(s) >= FRAGMENT):
            for form in encoded_forms(secret):
                size = FRAGMENT * max(1, round(len(form) / len(secret)))
                runs.setdefault(size, _Runs(size)).add(form)
        self._runs = list(runs.values())

    def remember_secret(self, secret: str) -> None:
        """A secret learnt during the run (an IAM token, a renewed one): scrubbed from now on."""
        if secret and secret not in self._secrets:
            self._index([*self._secrets, secret])

    def remember_signature(self, signature: str) -> None:
        self.signatures.add(signature)

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(self._secrets)

    def scrub(self, text: str) -> str:
        """The secrets, in any encoding of `encoded_forms`, any long piece of one, and AK/SK
        signatures: safe for any output.

        Keeps `$MODELARTS_AUTH_TOKEN` in reproduction commands intact, unlike `text`.
        """
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        text = self._scrub_fragments(text)
        text = self.signatures.scrub(text)
        return _SIGNATURE.sub(lambda m: f"{m.group(1)}={REDACTED}", text)

    def text(self, text: str) -> str:
        """`scrub`, and any X-Auth-Token or Authorization value, whoever made it."""
        return _SECRET_HEADER.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", self.scrub(text))

    def _scrub_fragments(self, text: str) -> str:
        spans = sorted(span for runs in self._runs for span in runs.spans(text))
        if not spans:
            return text
        merged = [list(spans[0])]
        for start, end in spans[1:]:  # overlapping or touching runs make one span
            if start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        out, last = [], 0
        for start, end in merged:
            out += [text[last:start], REDACTED]
            last = end
        return "".join([*out, text[last:]])

    def curl(self, url: str, headers: Mapping[str, str] | None = None) -> str:
        """A runnable GET. The token comes from $MODELARTS_AUTH_TOKEN; an AK/SK request is signed anew
        by the replay command from HUAWEICLOUD_SDK_AK/SK (a signature is bound to its moment)."""
        headers = headers or {}
        signed = any(name.lower() == "authorization" for name in headers)
        parts = [REPLAY] if signed else ["curl", "-sS", "-i"]
        parts.append(shell_quote(self.text(url)))
        for name, value in headers.items():
            lowered = name.lower()
            if lowered == "x-auth-token":
                parts += ["-H", f'"{name}: ${TOKEN_VARIABLE}"']
            elif lowered in {"authorization", "x-sdk-date", "x-project-id"} and signed:
                continue  # the replay signs again
            elif lowered in _NOT_REPRODUCED:
                continue
            else:
                parts += ["-H", shell_quote(f"{name}: {self.text(value)}")]
        return " ".join(parts)
