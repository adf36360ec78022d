"""The report as one self-contained HTML page: inline CSS, no script, no external fonts or images.

Every text goes through `escape`: the failure texts echo what the target answered.
"""

from __future__ import annotations

import html

from modelarts_contract.neutral import neutral
from modelarts_contract.verdict import PASSED

from .extras import html_extras
from .model import BROKEN, DATA_CHANGED, HELD, NOT_EXERCISED, ClauseRow, Report


def escape(text: str) -> str:
    """Neutralised (no control character raw), then HTML-escaped."""
    return html.escape(neutral(text, lines=True))


_CLASS = {HELD: "held", BROKEN: "broken", NOT_EXERCISED: "none", DATA_CHANGED: "changed"}

_CSS = """
:root{--held:#1a7f37;--broken:#cf222e;--none:#6e7781;--changed:#9a6700;--line:#d0d7de;--soft:#f6f8fa}
*{box-sizing:border-box}
body{margin:0;padding:28px 36px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328}
h1{font-size:20px;margin:0 0 14px}
h2{font-size:16px;margin:28px 0 10px}
code,pre,.id{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.headline{display:flex;align-items:baseline;gap:18px;flex-wrap:wrap;padding:14px 18px;
 border:1px solid var(--line);border-radius:8px;background:var(--soft)}
.headline.good{border-color:var(--held)}.headline.bad{border-color:var(--broken);background:#fff5f5}
.headline.partial{border-color:var(--changed);background:#fff8c5}
.figure{font-size:28px;font-weight:700}
.figure.bad{color:var(--broken)}.figure.good{color:var(--held)}.figure.partial{color:var(--changed)}
.why{flex:1 1 24em;overflow-wrap:anywhere}.note{flex-basis:100%;font-weight:600;color:var(--changed)}
.counts span{margin-right:14px}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:14px 0 0;color:#424a53}
dl.meta dt{font-weight:600}dl.meta dd{margin:0}
table{border-collapse:collapse;width:100%;table-layout:fixed}
th,td{border-bottom:1px solid var(--line);padding:7px 8px;text-align:left;vertical-align:top}
th{background:var(--soft);font-size:12px;text-transform:uppercase;letter-spacing:.03em;color:#57606a}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.id{font-weight:600;overflow-wrap:anywhere}
td{overflow-wrap:anywhere}
.src{color:#57606a;font-size:12.5px;margin-top:2px}
.badge{display:inline-block;padding:1px 9px;border-radius:10px;color:#fff;font-size:12px;font-weight:600;
 white-space:nowrap}
.badge.held{background:var(--held)}.badge.broken{background:var(--broken)}
.badge.none{background:var(--none)}.badge.changed{background:var(--changed)}
tr.broken>td{background:#fff5f5}
tr.failure>td{background:#fff5f5;padding:4px 8px 14px 24px}
.failure h3{font-size:12px;margin:8px 0 3px;color:#57606a;text-transform:uppercase;letter-spacing:.03em}
pre{margin:0;padding:8px 10px;background:#fff;border:1px solid var(--line);border-radius:6px;
 white-space:pre-wrap;overflow-wrap:anywhere}
ul.tags{margin:0;padding:0;list-style:none;line-height:1.35}
ul.tags li{display:inline-block;max-width:100%;margin:0 10px 0 0;overflow-wrap:anywhere;
 font-family:ui-monospace,monospace;font-size:12px}
a{color:#0969da}
@media (max-width:760px){
 body{padding:16px 12px}
 table,thead,tbody,tr,th,td{display:block;width:auto}
 colgroup,thead{display:none}
 tr{border-bottom:2px solid var(--line);padding:6px 0}
 td{border:0;padding:3px 4px}
 tr.failure>td{padding:4px}
 dl.meta{grid-template-columns:1fr}
}
.muted{color:#8c959f}
footer{margin-top:24px;color:#57606a;font-size:12.5px}
"""


def _tags(items: tuple[str, ...], empty: str = "—") -> str:
    if not items:
        return f'<span class="muted">{escape(empty)}</span>'
    return '<ul class="tags">' + "".join(f"<li>{escape(i)}</li>" for i in items) + "</ul>"


def _source(row: ClauseRow) -> str:
    """The source, each reference a link into docs/contract.md (relative to the suite's repository)."""
    if not row.links:
        return escape(row.source)
    return "; ".join(f'<a href="{escape(place)}">{escape(label)}</a>' for label, place in row.links)


def _headline(report: Report) -> str:
    """The verdict in words first, styled by it (amber for a stopped or partial run), then the figures."""
    verdict, head = report.verdict, report.headline
    decided = head.counts[HELD] + head.counts[BROKEN]
    figure = f"{decided} of {len(report.rows)} clauses reached a verdict"
    if verdict.word == PASSED and head.conformance is not None:  # a figure only where it cannot mislead
        figure += f", {head.conformance:.1f}% held"
    notes = "".join(f'<span class="note">{escape(n)}</span>' for n in verdict.notes())
    counts = "".join(
        f'<span><span class="badge {_CLASS[v]}">{n}</span> {escape(v)}</span>' for v, n in head.counts.items()
    )
    return (
        f'<section class="headline {verdict.tone}"><span class="figure {verdict.tone}">{escape(verdict.word)}</span>'
        f'<span class="why">{escape(verdict.why)}<br>target: <b>{escape(verdict.target)}</b>, '
        f"auth: {escape(verdict.auth)}</span>{notes}"
        f'<span class="counts">{counts}</span><span class="muted">{escape(figure)}</span></section>'
    )


def _row(row: ClauseRow, has_catalogue: bool, known: bool = False) -> str:
    cls = _CLASS[row.verdict]
    label = f"{row.verdict}, known" if known and row.verdict == BROKEN else row.verdict
    proven = _tags(row.proven_by) if has_catalogue else '<span class="muted">catalogue unavailable</span>'
    cells = [
        f'<td class="id">{escape(row.id)}</td>',
        f'<td><span class="badge {cls}">{escape(label)}</span></td>',
        f'<td class="num">{row.exercised}</td>',
        f'<td>{escape(row.text)}<div class="src">source: {_source(row)}</div></td>',
        f"<td>{_tags(row.checks)}</td>",
        f"<td>{proven}</td>",
    ]
    out = f'<tr id="{escape(row.id)}" class="{cls}">{"".join(cells)}</tr>'
    if row.verdict == BROKEN and row.failure is not None:
        f = row.failure
        parts = [
            f"<h3>Reproduce the simplest failing request ({row.broken} of {row.exercised} checks broke)</h3>"
        ]
        parts.append(f"<pre>{escape(f.request)}</pre>" if f.request else '<p class="muted">no request</p>')
        parts += [
            f"<h3>Expected</h3><pre>{escape(f.expected)}</pre>",
            f"<h3>Actual</h3><pre>{escape(f.actual)}</pre>",
        ]
        out += f'<tr class="failure"><td colspan="6"><div class="failure">{"".join(parts)}</div></td></tr>'
    return out


def render_html(report: Report) -> str:
    head = report.headline
    meta = {
        "Target": report.target or "—",
        "Report generated": report.generated,
        "Suite": f"modelarts-contract {report.suite_version}, spec {report.spec_version}",
        "pytest exit status": "—" if report.exitstatus is None else str(report.exitstatus),
        **report.facts,
        "Reached a verdict": f"{head.counts[HELD] + head.counts[BROKEN]} of {len(report.rows)} clauses",
    }
    broken = [r for r in report.rows if r.verdict == BROKEN]
    if broken:
        meta["Broken"] = ", ".join(f'<a href="#{escape(r.id)}">{escape(r.id)}</a>' for r in broken)
    meta_html = "".join(
        f"<dt>{escape(k)}</dt><dd>{v if k == 'Broken' else escape(v)}</dd>" for k, v in meta.items()
    )
    unknown = ""
    if report.unknown:
        unknown = f"<h2>Clause ids the spec lacks</h2>{_tags(tuple(report.unknown))}"
    rows = "".join(_row(r, report.has_catalogue, r.id in report.extras.known) for r in report.rows)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{escape(report.verdict.word)} · {escape(report.title)}</title><style>{_CSS}</style></head>
<body>
<h1>{escape(report.title)}</h1>
{_headline(report)}
<dl class="meta">{meta_html}</dl>
<h2>Clauses ({len(report.rows)})</h2>
<table><colgroup><col style="width:16%"><col style="width:9%"><col style="width:7%">
<col style="width:32%"><col style="width:15%"><col style="width:21%"></colgroup><thead><tr><th>Clause</th><th>Verdict</th><th>Exercised</th><th>Text and source</th><th>Check</th>
<th>Proven by (mutant)</th></tr></thead>
<tbody>{rows}</tbody></table>{html_extras(report.extras)}{unknown}
<footer>Verdicts: broken &gt; data changed &gt; held &gt; not exercised (the first that applies).
Exercised counts the times a check evaluated the clause. Source links lead into docs/contract.md of
the suite's repository. Reproduction commands read the token from
<code>$MODELARTS_AUTH_TOKEN</code>.</footer>
</body></html>
"""
