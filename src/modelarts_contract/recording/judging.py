"""Judging recorded exchanges offline: each by the clauses one exchange can show, and the pages of
one query together by the clauses a set of pages supports (the registry's LISTING checks).

Which checks an exchange gets depends on what is known of its credentials: an entry of our own
recording says (`_credential`); of a HAR from elsewhere, an answer other than 401 or 403 shows the
credentials were accepted, and a 401 or 403 gets only the checks that hold whatever was sent. A
false alarm costs more than a miss: an entry whose body the HAR left out is judged on its status and
headers only, as the suite judges an answer it cut.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import unquote, urlsplit

from requests.structures import CaseInsensitiveDict

from modelarts_contract.checks import auth
from modelarts_contract.checks.core import ClauseViolation, Exchange, Verifier, Violations, page_items
from modelarts_contract.checks.listing import Page
from modelarts_contract.checks.registry import Check, ExchangeCheck, Scope, entries, response_checks
from modelarts_contract.recording.har import SECRET_HEADERS
from modelarts_contract.recording.reader import Answer
from modelarts_contract.redact import REDACTED, Redactor
from modelarts_contract.stops import AnswerTooLarge

# The operation's path at the end of a URL path: .../v1/{project_id}/images/group
_OPERATION = re.compile(r"^(?P<base>.*)/v1/(?P<project>[^/]+)/images/group/?$")
_PAGING = frozenset({"offset"})  # what differs between the pages of one query


@dataclass
class Judged:
    """What the judging found: the exchanges of the operation, and the entries it left out, why."""

    exchanges: int = 0
    base_urls: set[str] = field(default_factory=set)
    left_out: dict[str, int] = field(default_factory=dict)  # reason -> how many entries
    pages: defaultdict[tuple[Any, ...], list[Page]] = field(default_factory=lambda: defaultdict(list))

    def leave_out(self, why: str) -> None:
        self.left_out[why] = self.left_out.get(why, 0) + 1


def secrets_in(answers: Iterable[Answer]) -> set[str]:
    """Credential values a HAR from elsewhere may hold in clear: scrubbed from every output."""
    found = set()
    for answer in answers:
        for name, value in answer.request_headers:
            if name.lower() in SECRET_HEADERS and value != REDACTED:
                found.add(value)
                found.update(part for part in re.split(r"[\s,;=]+", value) if len(part) >= 16)
    return {s for s in found if len(s) >= 8}


def operation_of(answer: Answer) -> tuple[str, str] | None:
    """(base URL, project id) when the entry is a GET of the operation; None otherwise."""
    parts = urlsplit(answer.url)
    match = _OPERATION.match(parts.path)
    if answer.method != "GET" or match is None or parts.scheme not in ("http", "https"):
        return None
    return f"{parts.scheme}://{parts.netloc}{match['base']}", unquote(match["project"])


def exchange_of(answer: Answer, redactor: Redactor) -> Exchange:
    """The entry as the checks read an exchange; a body the HAR left out counts as cut at 0 bytes."""
    sent = {n: (REDACTED if n.lower() in SECRET_HEADERS else v) for n, v in answer.request_headers}
    headers: CaseInsensitiveDict[str] = CaseInsensitiveDict()
    for name, value in answer.headers:
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return Exchange(
        method=answer.method,
        url=answer.url,
        request_headers=sent,
        status=answer.status,
        headers=headers,
        content=answer.body,
        command=partial(redactor.curl, answer.url, sent),
        truncated_at=answer.truncated_at,
    )


def checks_for(answer: Answer, home: str | None) -> tuple[Scope, tuple[ExchangeCheck, ...]]:
    """The single-exchange checks an entry gets: by the credentials and project our recording names
    (R1's own checks included), or, from elsewhere, by whether the credentials were accepted."""
    if answer.credential is None:  # a HAR from elsewhere
        scope = Scope.ANY if answer.status in (401, 403) else Scope.CONFIGURED
        return scope, response_checks(scope)
    operation = operation_of(answer)
    other_project = operation is not None and home is not None and operation[1] != home
    if answer.credential == "configured":
        scope = Scope.ANY if other_project else Scope.CONFIGURED
        extra = (auth.other_project,) if other_project else ()
        return scope, (*response_checks(scope), *extra)
    extra = (auth.no_credentials,) if answer.credential == "none" else (auth.invalid_credentials,)
    return Scope.ANY, (*response_checks(Scope.ANY), *extra)


def judge_one(verifier: Verifier, answer: Answer, judged: Judged, test: str, home: str | None) -> bool:
    """Every single-exchange check the entry's scope allows; False when it broke a clause."""
    verifier.current_test = test
    exchange = exchange_of(answer, verifier.redactor)
    scope, checks = checks_for(answer, home)
    try:
        verifier.run_all(checks, exchange)
    except Violations:
        return False
    except AnswerTooLarge:  # cut, or its body left out of the HAR: judged on status and headers only
        pass
    if scope is Scope.CONFIGURED and answer.status == 200 and exchange.truncated_at is None:
        body = exchange.body
        total = body.get("total") if isinstance(body, dict) else None
        key = (operation_of(answer), _query_without_paging(exchange), answer.credential)
        items = page_items(verifier.contract, exchange)
        judged.pages[key].append(Page(exchange, items, total if type(total) is int else None))
    return True


def _query_without_paging(exchange: Exchange) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple(sorted((k, tuple(v)) for k, v in exchange.query.items() if k not in _PAGING))


def judge_pages(verifier: Verifier, judged: Judged) -> bool:
    """The registry's checks of a listing's pages, on the pages of each query; False when one broke."""
    checks = [e for e in entries() if isinstance(e, Check) and e.scope is Scope.LISTING]
    kept = True
    for position, pages in enumerate(judged.pages.values()):
        pages = sorted(pages, key=lambda page: int(page.exchange.param("offset") or 0))
        verifier.current_test = f"pages of query {position + 1}"
        for later in pages[1:]:
            for entry in checks:
                try:
                    verifier.run(entry, pages[0], later)
                except ClauseViolation:
                    kept = False
    return kept
