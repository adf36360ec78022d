"""The parsers of the option table: the text given for an option to its value. A ValueError says
what was expected; the option's row adds its name and variable (`options.Option.read`)."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable
from urllib.parse import urlsplit

NO_PACING = "none"
MIN_SECRET_LENGTH = 8
_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(s|m|h)\s*$", re.ASCII)
_PER = {"s": 1.0, "m": 60.0, "h": 3600.0}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h)?\s*$", re.ASCII)
_SIZE = re.compile(r"^\s*(\d+)\s*(B|KiB|MiB|GiB)?\s*$", re.ASCII)
_SIZE_UNITS = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}
_BAD_SECRET = re.compile(r"[\s\x00-\x1f\x7f]")
# A project id is one path segment, sent as it is: nothing that could end the segment, the path or
# the query, escape percent-encoding, or climb out of the operation's path.
_UNSAFE_IN_SEGMENT = re.compile(r"[/\\?#%\s\x00-\x1f\x7f-\x9f]")


def parse_rate(text: str) -> float | None:
    """'10/s', '600/m' or '1/h' -> requests per second; 'none' (any case) -> None, no pacing."""
    if text.strip().lower() == NO_PACING:
        return None
    match = _RATE.match(text)
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"expected N/s, N/m, N/h (N > 0), or {NO_PACING} for no pacing, got {text!r}")
    return float(match.group(1)) / _PER[match.group(2)]


def parse_size(text: str) -> int:
    """Bytes: '8388608', '8MiB', '512 KiB'."""
    match = _SIZE.match(text)
    value = int(match.group(1)) * _SIZE_UNITS[match.group(2) or "B"] if match else 0
    if value < 1024:
        raise ValueError(f"expected a size of at least 1 KiB, as bytes or N KiB / MiB / GiB, got {text!r}")
    return value


def parse_duration(text: str) -> float:
    """Seconds: '1800', '90s', '30m', '2h'."""
    match = _DURATION.match(text)
    value = float(match.group(1)) * _PER[match.group(2) or "s"] if match else 0.0
    if value <= 0:
        raise ValueError(f"expected a duration such as 1800, 90s, 30m or 2h, got {text!r}")
    return value


def at_least(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise ValueError(f"expected an integer, got {text!r}") from None
        if value < minimum:
            raise ValueError(f"must be >= {minimum}, got {value}")
        return value

    return parse


def parse_positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"expected a number, got {text!r}") from None
    if value <= 0:
        raise ValueError(f"must be > 0, got {value}")
    return value


def parse_flag(text: str) -> bool:
    return text.lower() in {"1", "true", "yes"}


def parse_secret(text: str) -> str | None:
    """Trimmed (a secret store often adds a newline, which requests would print in its error); the
    value is never echoed."""
    value = text.strip()
    if _BAD_SECRET.search(value):
        raise ValueError("contains whitespace or control characters")
    if value and len(value) < MIN_SECRET_LENGTH:
        # Every output is scrubbed of the secret: a secret of a few characters would blank out
        # those characters everywhere, and no real token, AK or SK is that short.
        raise ValueError(
            f"{len(value)} characters long; a real one has at least {MIN_SECRET_LENGTH}: is it set to the right value?"
        )
    return value or None


def parse_path_segment(value: str) -> str:
    """`value` when it is one safe path segment: the suite and schemathesis both put it in the path."""
    if value in {".", ".."}:
        raise ValueError(f"{value!r} is not a project id (it would climb the URL path)")
    bad = _UNSAFE_IN_SEGMENT.search(value)
    if bad is not None:
        raise ValueError(
            "a project id is one URL path segment, without '/', '\\', '?', '#', '%', whitespace or "
            f"control characters; got {bad.group()!r} at position {bad.start()} of {value!r}"
        )
    return value


def parse_base_url(url: str) -> str:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError as exc:
        raise ValueError(str(exc)) from None
    if parts.username or parts.password:  # not echoed: user info is a credential
        raise ValueError("no user info (user:password@) allowed; credentials go in their own options")
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"expected http(s)://host[:port][/prefix], got {url!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"no query or fragment allowed in {parts.scheme}://{parts.netloc}{parts.path}")
    return url.rstrip("/")


def parse_file(path: str) -> str:
    if not os.path.isfile(path):
        raise ValueError(f"no such file {path!r}")
    return path


def is_loopback_host(host: str) -> bool:
    """`localhost` or a loopback address: where plain http may carry a secret (a local stand-in)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
