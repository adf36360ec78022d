"""Secrets never reach any output (R16): text is scrubbed, reproductions name variables instead."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

REDACTED = "[REDACTED]"
# Header values that are secret whoever made them (a generated or a mutated token, say).
_SECRET_HEADER = re.compile(r"(?i)\b(x-auth-token|authorization)(\s*[:=]\s*)([^\r\n'\"]+)")
_SIGNATURE = re.compile(r"(?i)\b(Access|Signature)=([^,\s'\"]+)")
TOKEN_VARIABLE = "MODELARTS_AUTH_TOKEN"


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret that contains another is replaced whole.
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def text(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        text = _SECRET_HEADER.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
        return _SIGNATURE.sub(lambda m: f"{m.group(1)}={REDACTED}", text)

    def curl(self, url: str, headers: Mapping[str, str] | None = None) -> str:
        """A runnable GET: the token comes from $MODELARTS_AUTH_TOKEN; AK/SK requests must be re-signed."""
        parts = ["curl", "-sS", "-i", shlex.quote(self.text(url))]
        for name, value in (headers or {}).items():
            lowered = name.lower()
            if lowered == "x-auth-token":
                parts += ["-H", f'"{name}: ${TOKEN_VARIABLE}"']
            elif lowered in {"authorization", "x-sdk-date"}:
                continue  # a signature is bound to its moment; see the note appended below
            elif lowered in {"host", "user-agent", "accept", "accept-encoding", "connection"}:
                continue
            else:
                parts += ["-H", shlex.quote(f"{name}: {self.text(value)}")]
        command = " ".join(parts)
        if any(name.lower() == "authorization" for name in headers or {}):
            command += "  # signed with AK/SK: sign it again, e.g. with huaweicloudsdkcore's Signer"
        return command


def host_of(url: str) -> str:
    return urlsplit(url).netloc
