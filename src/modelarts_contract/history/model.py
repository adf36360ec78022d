"""The history of each clause over a series of runs, as both renderings show it.

A verdict cell is one glyph, so that a year of nightly runs stays a few kilobytes per clause;
consecutive runs with the same verdict make one segment (one element in the HTML page).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from modelarts_contract.report.model import BROKEN, DATA_CHANGED, HELD, KNOWN, NOT_EXERCISED

from .runs import Run

# Shapes, not colours, carry the verdict (the page colours them too).
GLYPHS = {HELD: "✓", BROKEN: "✗", KNOWN: "⊘", DATA_CHANGED: "≈", NOT_EXERCISED: "·"}
LEGEND = ", ".join(f"{glyph} {verdict}" for verdict, glyph in GLYPHS.items())


@dataclass(frozen=True)
class Segment:
    verdict: str
    first: int  # index of the first run (oldest run is 0)
    last: int

    @property
    def glyphs(self) -> str:
        return GLYPHS[self.verdict] * (self.last - self.first + 1)


@dataclass(frozen=True)
class ClauseHistory:
    id: str
    text: str  # from the spec; "" for a clause the spec no longer has
    verdicts: tuple[str, ...]  # one per run, oldest first

    @property
    def latest(self) -> str:
        return self.verdicts[-1]

    def segments(self) -> list[Segment]:
        out: list[Segment] = []
        for index, verdict in enumerate(self.verdicts):
            if out and out[-1].verdict == verdict:
                out[-1] = Segment(verdict, out[-1].first, index)
            else:
                out.append(Segment(verdict, index, index))
        return out

    @property
    def since(self) -> int:
        """The run where the latest verdict's streak began."""
        return self.segments()[-1].first

    @property
    def changes(self) -> int:
        """How often the verdict changed from one run to the next: a flapping clause changes often."""
        return len(self.segments()) - 1


@dataclass(frozen=True)
class History:
    runs: list[Run]  # oldest first
    clauses: list[ClauseHistory]
    generated: str

    @property
    def span(self) -> str:
        return f"{self.runs[0].when} to {self.runs[-1].when}"


def build_history(runs: list[Run], texts: Mapping[str, str], generated: datetime | None = None) -> History:
    """Rows for the spec's clauses (`texts`, in spec order), then any other clause a ledger names."""
    others = sorted({cid for run in runs for cid in run.verdicts} - set(texts))
    clauses = [
        ClauseHistory(cid, texts.get(cid, ""), tuple(run.verdict(cid) for run in runs))
        for cid in [*texts, *others]
    ]
    when = (generated or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    return History(runs, clauses, when)
