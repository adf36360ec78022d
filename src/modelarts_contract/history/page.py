"""The history as one self-contained HTML page: inline CSS and SVG, no script, nothing fetched.

Every text read from a ledger goes through html.escape after `neutral`: clause ids and paths may
carry what a target or a hand-edited file put there.
"""

from __future__ import annotations

from html import escape

from modelarts_contract.neutral import neutral
from modelarts_contract.report.model import BROKEN, DATA_CHANGED, HELD, KNOWN, NOT_EXERCISED

from .model import GLYPHS, ClauseHistory, History
from .plot import Series, line_plot

RUNS_IN_FULL = 50  # the latest runs listed one per row; the strips and the plots hold them all
RUNS_IN_COLOUR = 90  # the latest runs of a strip drawn as dated, coloured segments
_CLASS = {HELD: "held", BROKEN: "broken", KNOWN: "known", NOT_EXERCISED: "none", DATA_CHANGED: "changed"}

_CSS = """
:root{--held:#1a7f37;--broken:#cf222e;--known:#bc4c00;--none:#6e7781;--changed:#9a6700;--line:#d0d7de;--soft:#f6f8fa}
*{box-sizing:border-box}
body{margin:0;padding:20px clamp(10px,4vw,36px);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
 color:#1f2328;overflow-wrap:anywhere}
h1{font-size:20px;margin:0 0 8px}h2{font-size:16px;margin:24px 0 8px}
code,.id,.strip{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.plot{width:100%;max-width:620px;height:auto;display:block}
.plot .grid{stroke:var(--line)}.plot text{font-size:13px;fill:#57606a}
.plot .tick{text-anchor:end}.plot .end-x{text-anchor:end}
.plot .line{stroke-width:1.6}.plot .s0{stroke:#0969da;fill:#0969da}.plot .s1{stroke:#8250df;fill:#8250df}
.plot .s2{stroke:#bc4c00;fill:#bc4c00}.plot .end{font-weight:600;fill:#1f2328}
table{border-collapse:collapse;width:100%}
table.clauses{table-layout:fixed}
th,td{border-bottom:1px solid var(--line);padding:6px 8px;text-align:left;vertical-align:top}
th{background:var(--soft);font-size:12px;color:#57606a}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.id{font-weight:600;font-size:12.5px}.text{color:#57606a;font-size:12px}
.scroll{overflow-x:auto;max-width:100%}
.strip{direction:rtl;overflow-x:auto;max-width:100%;white-space:nowrap}
.strip>span{direction:ltr;display:inline-block;font-size:15px;letter-spacing:1px}
.held{color:var(--held)}.known{color:var(--known)}.broken{color:var(--broken);font-weight:700}.none{color:var(--none)}
.changed{color:var(--changed)}.old{color:#57606a}
.legend span{margin-right:14px;white-space:nowrap}
footer{margin-top:20px;color:#57606a;font-size:12.5px}
@media (max-width:640px){
 table.clauses,table.clauses tbody,table.clauses tr,table.clauses td{display:block;width:100%}
 table.clauses thead{display:none}
 table.clauses tr{border-bottom:1px solid var(--line);padding:6px 0}
 table.clauses td{border:0;padding:2px 0}
 table.clauses td.fact{display:inline-block;width:auto;margin-right:12px}
 table.clauses td[data-label]::before{content:attr(data-label) " ";color:#57606a}
}
"""


def _strip(clause: ClauseHistory, history: History) -> str:
    """Every run's glyph; the latest RUNS_IN_COLOUR in coloured segments with their dates, the
    older ones as plain glyphs (a flapping clause would otherwise cost an element per run)."""
    runs, cut = history.runs, max(0, len(history.runs) - RUNS_IN_COLOUR)
    older = "".join(GLYPHS[v] for v in clause.verdicts[:cut])
    cells = (
        [f'<span class="old" title="{escape(f"{runs[0].when} to {runs[cut - 1].when}")}">{older}</span>']
        if cut
        else []
    )
    for s in clause.segments():
        first = max(s.first, cut)
        if s.last < cut:
            continue
        title = escape(f"{runs[first].when} to {runs[s.last].when}: {s.verdict}")
        glyphs = GLYPHS[s.verdict] * (s.last - first + 1)
        cells.append(f'<span class="{_CLASS[s.verdict]}" title="{title}">{glyphs}</span>')
    return f'<div class="strip"><span>{"".join(cells)}</span></div>'


def _clause_row(clause: ClauseHistory, history: History) -> str:
    cid = escape(neutral(clause.id))
    latest = clause.latest
    text = f'<div class="text">{escape(clause.text[:140])}</div>' if clause.text else ""
    return (
        f'<tr class="clause" id="{cid}"><td><span class="id">{cid}</span>{text}</td>'
        f'<td class="fact"><span class="{_CLASS[latest]}">{GLYPHS[latest]} {escape(latest)}</span></td>'
        f'<td class="fact" data-label="since">{escape(history.runs[clause.since].when)}</td>'
        f'<td class="fact num" data-label="changes">{clause.changes}</td>'
        f"<td>{_strip(clause, history)}</td></tr>"
    )


def _runs_table(history: History) -> str:
    latest = list(enumerate(history.runs, 1))[-RUNS_IN_FULL:][::-1]
    rows = "".join(
        f"<tr><td class=num>{n}</td><td>{escape(run.when)}</td>"
        f"<td class=num>{'—' if run.requests is None else run.requests}</td>"
        f"<td class=num>{sum(1 for v in run.verdicts.values() if v in (BROKEN, KNOWN))}</td>"
        f"<td class=num>{'—' if run.exitstatus is None else run.exitstatus}</td>"
        f"<td><code>{escape(run.name)}</code></td></tr>"
        for n, run in latest
    )
    older = len(history.runs) - len(latest)
    note = f"<p>{older} earlier runs are in the plots and the verdict strips above.</p>" if older else ""
    return (
        '<div class="scroll"><table class="runs"><thead><tr><th>Run</th><th>Written</th><th>Requests</th>'
        f"<th>Broken clauses</th><th>Exit</th><th>Ledger</th></tr></thead><tbody>{rows}</tbody></table></div>{note}"
    )


def _plots(history: History) -> str:
    runs = history.runs
    first, last = runs[0].when[:10], runs[-1].when[:10]
    requests = Series("requests", [None if r.requests is None else float(r.requests) for r in runs])
    out = "<h2>Requests per run</h2>" + line_plot("Requests sent per run", [requests], first, last)
    if any(r.timings for r in runs):
        p50 = Series("p50", [r.timings.p50 if r.timings else None for r in runs])
        p95 = Series("p95", [r.timings.p95 if r.timings else None for r in runs])
        out += "<h2>Response time per run</h2>" + line_plot(
            "Response time, p50 and p95", [p50, p95], first, last, " s"
        )
    return out


def render_html(history: History) -> str:
    legend = "".join(f'<span class="{_CLASS[v]}">{g} {escape(v)}</span>' for v, g in GLYPHS.items())
    rows = "".join(_clause_row(c, history) for c in history.clauses)
    title = f"Contract history: {len(history.runs)} runs"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{escape(title)}</title><style>{_CSS}</style></head>
<body>
<h1>{escape(title)}</h1>
<p>{escape(history.span)}. Generated {escape(history.generated)}.</p>
{_plots(history)}
<h2>Clauses ({len(history.clauses)})</h2>
<p class="legend">{legend}</p>
<table class="clauses"><colgroup><col style="width:34%"><col style="width:12%">
<col style="width:17%"><col style="width:9%"><col style="width:28%"></colgroup><thead><tr><th>Clause</th><th>Latest</th><th>Since</th><th>Changes</th>
<th>Every run, oldest to newest</th></tr></thead><tbody>{rows}</tbody></table>
<h2>Runs (latest first)</h2>
{_runs_table(history)}
<footer>Verdicts as on each run's conformance report: broken (known: in the run's baseline) &gt; data changed &gt; held &gt; not exercised.
"Changes" counts verdict changes from one run to the next: a high count is a clause that flaps.</footer>
</body></html>
"""
