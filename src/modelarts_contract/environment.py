"""Failures of the environment, told apart from contract failures, and the suite's exit statuses.

Exit statuses of a run (pytest's own are 0-5):
  0  every test ran and the target kept the contract
  1  contract failures (the target broke a clause)
  2  interrupted; 3 internal error; 4 usage error (bad option: the message names it);
  5  no tests collected
  6  environment: the target is unreachable (connection refused, DNS, TLS, timeout), answers with
     something that is not HTTP or does not finish within the request timeout, or refuses the
     configured credentials or project on the first request; nothing was checked after that
  7  incomplete: a limit of the run (the request budget, --max-duration) was reached before every
     test ran, and nothing failed until then
"""

from __future__ import annotations

import http.client
import re
import socket
import ssl
from collections.abc import Iterator
from urllib.parse import urlsplit

import requests

EXIT_ENVIRONMENT = 6
EXIT_INCOMPLETE = 7
# OpenSSL's words when the bytes after our ClientHello are not a TLS record (an http:// port, say).
_NOT_TLS = re.compile(
    r"WRONG_VERSION_NUMBER|UNKNOWN_PROTOCOL|HTTP_REQUEST|packet length too long|record layer failure"
)
_CA_HINT = "if the target uses a private CA, pass --ca-bundle FILE (MODELARTS_CA_BUNDLE)"


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, its causes and contexts, and urllib3's `reason` attributes, each once."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        reason = getattr(item, "reason", None)
        todo += [item.__cause__, item.__context__, reason if isinstance(reason, BaseException) else None]
        todo += [arg for arg in item.args if isinstance(arg, BaseException)]


def describe_unreachable(exc: BaseException, base_url: str, timeout: float) -> str:
    """One line saying why `base_url` cannot be used. Never the request's headers."""
    host = urlsplit(base_url).hostname or base_url
    chain = list(_chain(exc))
    if any(isinstance(e, requests.exceptions.SSLError | ssl.SSLError) for e in chain):
        reason = next((str(e) for e in chain if isinstance(e, ssl.SSLError)), "handshake failed")
        if _NOT_TLS.search(reason):  # the answer to our ClientHello was not TLS: plain HTTP, most likely
            return (
                f"TLS failure with {host} ({reason}): the other end does not speak TLS: is the URL http://?"
            )
        return f"TLS failure with {host} ({reason}); TLS verification is on: {_CA_HINT}"
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return f"no connection to {host} within {timeout:g} s (--request-timeout)"
    if isinstance(exc, requests.exceptions.Timeout):
        return f"{host} sent no answer within {timeout:g} s (--request-timeout)"
    if any(isinstance(e, socket.gaierror) or type(e).__name__ == "NameResolutionError" for e in chain):
        return f"cannot resolve the host name {host!r} (DNS): check --base-url (MODELARTS_BASE_URL)"
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return f"connection refused by {urlsplit(base_url).netloc}: is the base URL right and the service up?"
    broken = _broken_answer(chain, urlsplit(base_url).netloc)
    if broken is not None:
        return broken
    if any(isinstance(e, TimeoutError) or type(e).__name__ == "ReadTimeoutError" for e in chain):
        return f"{host} sent no answer within {timeout:g} s (--request-timeout)"
    strerror = next((e.strerror for e in reversed(chain) if isinstance(e, OSError) and e.strerror), None)
    return f"cannot connect to {urlsplit(base_url).netloc}: {strerror or type(exc).__name__}"


def describe_deadline(base_url: str, timeout: float, *, answered: bool) -> str:
    """The exchange outlived its deadline: `answered` when the status and headers had arrived."""
    if not answered:
        return f"{urlsplit(base_url).hostname or base_url} sent no answer within {timeout:g} s (--request-timeout)"
    return f"{urlsplit(base_url).netloc} did not finish its answer within {timeout:g} s (--request-timeout)"


def _broken_answer(chain: list[BaseException], netloc: str) -> str | None:
    """An answer that is not well-formed HTTP, in our own words: the exceptions quote the target's bytes."""
    invalid = next((e for e in chain if isinstance(e, requests.exceptions.InvalidHeader)), None)
    if invalid is not None:
        if "Content-Length contained multiple unmatching values" in str(invalid):
            return f"{netloc} sent several different Content-Length values"
        return f"{netloc} sent a header the HTTP client refuses"
    if any(isinstance(e, requests.exceptions.ContentDecodingError) for e in chain):
        return f"{netloc} sent a body that does not decode as its Content-Encoding header says"
    broken = next((e for e in chain if isinstance(e, http.client.HTTPException)), None)
    if isinstance(broken, http.client.RemoteDisconnected):
        return f"{netloc} closed the connection without answering"
    cut = any(isinstance(e, requests.exceptions.ChunkedEncodingError) for e in chain)
    if isinstance(broken, http.client.IncompleteRead) or (broken is None and cut):
        return f"{netloc} broke off its answer in the middle of the body"
    if broken is None:
        return None
    if isinstance(broken, http.client.LineTooLong):
        return f"{netloc} sent a status or header line longer than the HTTP client reads (64 KiB)"
    too_many = re.fullmatch(r"got more than (\d+) headers", str(broken))  # the stdlib's words
    if too_many:
        return f"{netloc} sent more than {too_many.group(1)} header lines"
    if isinstance(broken, http.client.BadStatusLine):
        return f"{netloc} sent an answer that does not start with an HTTP status line"
    return f"{netloc} sent an answer that is not valid HTTP ({type(broken).__name__})"
