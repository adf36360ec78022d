"""Secrets never reach any output (R16): text is scrubbed, reproductions name variables instead."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping

REDACTED = "[REDACTED]"
# Header values that are secret whoever made them (a generated or a mutated token, say).
_SECRET_HEADER = re.compile(r"(?i)\b(x-auth-token|authorization)(\s*[:=]\s*)([^\r\n'\"]+)")
_SIGNATURE = re.compile(r"(?i)\b(Access|Signature)=([^,\s'\"]+)")
TOKEN_VARIABLE = "MODELARTS_AUTH_TOKEN"
REPLAY = "python -m modelarts_contract.replay"
# A repr cut to length (pytest's saferepr, a body excerpt) can hold a piece of a secret: runs of
# this many characters or more taken from a secret are scrubbed too.
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


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret that contains another is replaced whole.
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)
        self._grams = {s[i : i + FRAGMENT] for s in self._secrets for i in range(len(s) - FRAGMENT + 1)}

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(self._secrets)

    def scrub(self, text: str) -> str:
        """The secrets, any long piece of one, and AK/SK signatures: safe for any output.

        Keeps `$MODELARTS_AUTH_TOKEN` in reproduction commands intact, unlike `text`.
        """
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        text = self._scrub_fragments(text)
        return _SIGNATURE.sub(lambda m: f"{m.group(1)}={REDACTED}", text)

    def text(self, text: str) -> str:
        """`scrub`, and any X-Auth-Token or Authorization value, whoever made it."""
        return _SECRET_HEADER.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", self.scrub(text))

    def _scrub_fragments(self, text: str) -> str:
        if not self._grams or len(text) < FRAGMENT:
            return text
        hits = [i for i in range(len(text) - FRAGMENT + 1) if text[i : i + FRAGMENT] in self._grams]
        if not hits:
            return text
        spans: list[list[int]] = []
        for i in hits:  # merge overlapping windows into spans
            if spans and i <= spans[-1][1]:
                spans[-1][1] = i + FRAGMENT
            else:
                spans.append([i, i + FRAGMENT])
        out, last = [], 0
        for start, end in spans:
            out += [text[last:start], REDACTED]
            last = end
        return "".join([*out, text[last:]])

    def curl(self, url: str, headers: Mapping[str, str] | None = None) -> str:
        """A runnable GET. The token comes from $MODELARTS_AUTH_TOKEN; an AK/SK request is signed anew
        by the replay command from HUAWEICLOUD_SDK_AK/SK (a signature is bound to its moment)."""
        headers = headers or {}
        signed = any(name.lower() == "authorization" for name in headers)
        parts = [REPLAY] if signed else ["curl", "-sS", "-i"]
        parts.append(shlex.quote(self.text(url)))
        for name, value in headers.items():
            lowered = name.lower()
            if lowered == "x-auth-token":
                parts += ["-H", f'"{name}: ${TOKEN_VARIABLE}"']
            elif lowered in {"authorization", "x-sdk-date", "x-project-id"} and signed:
                continue  # the replay signs again
            elif lowered in _NOT_REPRODUCED:
                continue
            else:
                parts += ["-H", shlex.quote(f"{name}: {self.text(value)}")]
        return " ".join(parts)
