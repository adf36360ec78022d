"""The Variant record and the small helpers the mutant families share."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlencode

from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request

from modelarts_contract.reference import Dataset, ReferenceApp, Store, build_app, default_dataset

Kind = Literal["mutant", "benign"]
AuthMode = Literal["token", "aksk"]
# A request on which a variant answers differently from the reference: query parameters, except
# "@auth" (the credentials: "none", "bad-token", "bad-signature", "signed", "stale-date"; else the
# token), "@project" ("other": another project's path) and "@header:NAME" (a header sent as is),
# which pick how it is sent.
Probe = Mapping[str, str]
KEBAB_CASE = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


@dataclass(frozen=True)
class Variant:
    """A server the contract suite must fail (mutant) or pass (benign), and the clauses it concerns."""

    name: str  # kebab-case
    kind: Kind
    clauses: tuple[str, ...]  # mutant: the clauses it breaks; benign: the clause whose freedom it takes
    summary: str  # one line
    app_cls: type[ReferenceApp] = ReferenceApp
    store_cls: type[Store] = Store
    dataset: Callable[[], Dataset] = default_dataset
    auth: AuthMode = "token"  # which credentials the suite is given
    # Requests on which it answers differently from the reference, sent in order to one server
    # (tests/self/test_variants.py); a benign variant on another dataset or auth may have none.
    probes: tuple[Probe, ...] = field(default=(), compare=False)

    def build(self, dataset: Dataset | None = None) -> ReferenceApp:
        return build_app(
            self.dataset() if dataset is None else dataset, app_cls=self.app_cls, store_cls=self.store_cls
        )


def _variant(kind: Kind, name: str, clause: str, classes: tuple[type, ...], **kw: Any) -> Variant:
    """A Variant from its classes (app and/or store); the summary defaults to the first one's docstring."""
    for cls in classes:
        kw["app_cls" if issubclass(cls, ReferenceApp) else "store_cls"] = cls
    if "summary" not in kw:
        kw["summary"] = (classes[0].__doc__ or "").strip()
    if not KEBAB_CASE.fullmatch(name):
        raise ValueError(f"variant name {name!r} is not kebab-case (lower-case words joined by '-')")
    if not kw["summary"] or "\n" in kw["summary"]:
        raise ValueError(f"variant {name!r} needs a one-line summary (its first class's docstring)")
    return Variant(name=name, kind=kind, clauses=(clause,), **kw)


def mutant(name: str, clause: str, *classes: type, probes: Sequence[Probe], **kw: Any) -> Variant:
    """A mutant that breaks `clause`, with the probes on which it answers differently from the
    reference (at least one: the evidence that it misbehaves at all)."""
    if not probes:
        raise ValueError(f"mutant {name!r} has no probe: a request on which it misbehaves")
    return _variant("mutant", name, clause, classes, probes=tuple(probes), **kw)


def benign(name: str, clause: str, *classes: type, probes: Sequence[Probe] = (), **kw: Any) -> Variant:
    """A benign variant that takes the freedom `clause` leaves, with the probes on which it shows."""
    return _variant("benign", name, clause, classes, probes=tuple(probes), **kw)


def with_args(request: Request, edit: Callable[[MultiDict[str, str]], None]) -> Request:
    """A copy of ``request`` whose query parameters went through ``edit`` (for parse_query mutants)."""
    args = request.args.copy()
    edit(args)
    return Request(dict(request.environ, QUERY_STRING=urlencode(list(args.items(multi=True)))))
