"""Failures of the environment, told apart from contract failures, and the suite's exit statuses.

Exit statuses of a run (pytest's own are 0-5):
  0  every test ran and the target kept the contract
  1  contract failures (the target broke a clause)
  2  interrupted; 3 internal error; 4 usage error (bad option: the message names it);
  5  no tests collected
  6  environment: the target is unreachable (connection refused, DNS, TLS, timeout) or refuses the
     configured credentials or project on the first request; nothing was checked after that
  7  incomplete: the request budget ran out before every test ran, and nothing failed until then
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from urllib.parse import urlsplit

import requests

EXIT_ENVIRONMENT = 6
EXIT_BUDGET = 7
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
        return f"TLS failure with {host} ({reason}); TLS verification is on: {_CA_HINT}"
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return f"no connection to {host} within {timeout:g} s (--request-timeout)"
    if isinstance(exc, requests.exceptions.Timeout):
        return f"{host} sent no answer within {timeout:g} s (--request-timeout)"
    if any(isinstance(e, socket.gaierror) or type(e).__name__ == "NameResolutionError" for e in chain):
        return f"cannot resolve the host name {host!r} (DNS): check --base-url (MODELARTS_BASE_URL)"
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return f"connection refused by {urlsplit(base_url).netloc}: is the base URL right and the service up?"
    oserror = next((e for e in reversed(chain) if isinstance(e, OSError) and e.strerror), None)
    reason = oserror.strerror if oserror is not None else type(exc).__name__
    return f"cannot connect to {urlsplit(base_url).netloc}: {reason}"
