"""The neutral model of an API reference page: what every layout reader produces, what compare reads.

Only page content lives here (names, types, enum values and their descriptions, defaults, status
codes, the example response), never layout: the same page in any layout gives an equal model.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class PageFormatError(ValueError):
    """The input is not an API reference page in a layout the check can read."""


@dataclass
class DocField:
    """A parameter (path, query, header) or a response field, as one table row documents it."""

    name: str
    mandatory: bool | None  # None: the table has no Mandatory column (response tables)
    type: str
    description: str
    enum: dict[str, str] | None = None  # value -> its description ("" when the page gives none)
    default: str | None = None


@dataclass
class Example:
    """An example response body: the parsed JSON, or why it could not be parsed."""

    body: object = None
    problem: str | None = None  # "not JSON: ..." when the text does not parse
    text: str = field(default="", compare=False)  # as written; indentation differs between layouts


@dataclass
class DocPage:
    method: str | None = None
    path: str | None = None
    path_params: list[DocField] = field(default_factory=list)
    query_params: list[DocField] = field(default_factory=list)
    header_params: list[DocField] = field(default_factory=list)
    bodies: dict[int, list[DocField]] = field(default_factory=dict)  # response body table per status
    objects: dict[str, list[DocField]] = field(default_factory=dict)  # object tables by type name
    status_codes: dict[int, str] = field(default_factory=dict)
    examples: dict[int, Example] = field(default_factory=dict)  # example response body per status
    layout: str = field(default="", compare=False)  # which reader read it: reported, not compared
