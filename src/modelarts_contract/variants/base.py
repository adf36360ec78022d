"""The Variant record and the small helpers the mutant families share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlencode

from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request

from modelarts_contract.reference import Dataset, ReferenceApp, Store, build_app, default_dataset

Kind = Literal["mutant", "benign"]
AuthMode = Literal["token", "aksk"]


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
    return Variant(name=name, kind=kind, clauses=(clause,), **kw)


def mutant(name: str, clause: str, *classes: type, **kw: Any) -> Variant:
    return _variant("mutant", name, clause, classes, **kw)


def benign(name: str, clause: str, *classes: type, **kw: Any) -> Variant:
    return _variant("benign", name, clause, classes, **kw)


def with_args(request: Request, edit: Callable[[MultiDict[str, str]], None]) -> Request:
    """A copy of ``request`` whose query parameters went through ``edit`` (for parse_query mutants)."""
    args = request.args.copy()
    edit(args)
    return Request(dict(request.environ, QUERY_STRING=urlencode(list(args.items(multi=True)))))
