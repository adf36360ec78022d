"""The one boundary for the target's bytes: what it sent, made safe for any output.

Every value that came from the target (a body excerpt, a header, an error message, a field name)
passes `neutral` before it reaches the terminal, a report, JUnit XML, the ledger or a reproduction
line. Control characters (C0, DEL, C1: terminal escapes, backspaces, NUL), format characters (bidi
overrides and isolates, zero-width joiners), lone surrogates (which no UTF-8 output can encode) and
line or paragraph separators are shown as escapes, never obeyed. Stdlib only: every layer may use it.
"""

from __future__ import annotations

import shlex

# The line feed stays in texts the suite composes of several lines; everything else is escaped.
_KEPT_IN_LINES = frozenset("\n")


def _escape(char: str) -> str:
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def neutral(text: str | bytes, *, lines: bool = False) -> str:
    """`text` with every character a terminal, a parser or an encoder could act on as an escape.

    Bytes are read as UTF-8 where they are UTF-8, and as \\xNN escapes where not. With `lines`, line
    feeds stay (a text of several lines the suite composed); a carriage return never does.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", "backslashreplace")
    kept = _KEPT_IN_LINES if lines else frozenset()
    if text.isprintable() or (lines and text.replace("\n", "").isprintable()):  # the common case
        return text
    return "".join(c if c.isprintable() or c in kept else _escape(c) for c in text)


def header_text(value: str) -> str:
    """A header value as the suite shows it: http.client hands headers over as Latin-1, one
    character per byte, so the bytes come back first, and are read as UTF-8 where they are."""
    try:
        raw = value.encode("latin-1")
    except UnicodeEncodeError:  # not as http.client made it: already text
        return neutral(value)
    return neutral(raw)


def shell_quote(value: str) -> str:
    """`value` as one shell word that shows no control character raw: plain quoting when it is all
    printable, bash's $'...' (which spells the same bytes with escapes) when not."""
    if value.isprintable():
        return shlex.quote(value)
    spelled = "".join(
        "\\\\" if c == "\\" else "\\'" if c == "'" else c if c.isprintable() else _escape(c) for c in value
    )
    return f"$'{spelled}'"
