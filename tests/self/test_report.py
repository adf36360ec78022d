"""The conformance report (issue 5, parts 2 and 3): rows, verdicts, escaping, the CLI, a mutant run."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from tests.self.forkserver import run_pytest
from tests.self.helpers import ROOT, clean_environment

from modelarts_contract.contract import load_contract
from modelarts_contract.matrix.harness import suite_environment
from modelarts_contract.reference import ListQuery, ReferenceApp, build_app, data, default_dataset, serve
from modelarts_contract.report import (
    LedgerError,
    build_report,
    build_rows,
    render_html,
    render_markdown,
    write_reports,
)
from modelarts_contract.report.__main__ import main
from modelarts_contract.report.model import redact_url
from modelarts_contract.sources import parse_source

WHEN = datetime(2024, 6, 18, 12, 0, tzinfo=UTC)
EVIL = "<script>alert('x')</script> ``` | **bold**"


def record(exercised: int = 0, broken: int = 0, data_changed: int = 0, failure: dict | None = None) -> dict:
    return {"exercised": exercised, "broken": broken, "data_changed": data_changed, "first_failure": failure}


FAILURE = {
    "request": "curl -sS -i 'http://t/x' -H \"X-Auth-Token: $MODELARTS_AUTH_TOKEN\"",
    "expected": "1",
    "actual": EVIL,
}
LEDGER = {
    "clauses": {
        "R9.pages": record(5, 2, failure=FAILURE),
        "R9.size": record(5),
        "R9.stable-paging": record(3, data_changed=1),  # inconclusive somewhere: never a pass
        "R2.defaults": record(1, 1, 1, failure=FAILURE),  # broken wins over data changed
        "R11.order": record(data_changed=2),
    },
    "exitstatus": 1,
}
CATALOGUE = {
    "pages-floor": SimpleNamespace(name="pages-floor", kind="mutant", clauses=("R9.pages",)),
    "pages-and-size": SimpleNamespace(name="pages-and-size", kind="mutant", clauses=("R9.size", "R9.pages")),
    "size-is-limit": SimpleNamespace(name="size-is-limit", kind="benign", clauses=("R9.size",)),
}


def report(ledger: dict = LEDGER, catalogue: dict | None = CATALOGUE, target: str | None = "http://t"):
    return build_report(ledger, load_contract(), catalogue=catalogue, target=target, generated=WHEN)


def test_rows_follow_the_spec_with_verdicts_by_precedence():
    contract = load_contract()
    rows = build_rows(LEDGER, contract, CATALOGUE)
    assert [r.id for r in rows] == list(contract.clauses)
    verdicts = {r.id: r.verdict for r in rows}
    assert verdicts["R9.pages"] == "broken"
    assert verdicts["R9.size"] == "held"
    assert verdicts["R9.stable-paging"] == "data changed"
    assert verdicts["R2.defaults"] == "broken"
    assert verdicts["R11.order"] == "data changed"
    assert verdicts["R1.no-credentials"] == "not exercised"
    pages = next(r for r in rows if r.id == "R9.pages")
    assert (pages.exercised, pages.broken, pages.failure.actual) == (5, 2, EVIL)
    assert (
        pages.text == contract.clause("R9.pages").text and pages.source == contract.clause("R9.pages").source
    )


def test_headline_counts_verdicts():
    head = report().headline
    total = len(load_contract().clauses)
    assert head.counts == {"held": 1, "broken": 2, "not exercised": total - 5, "data changed": 2}
    assert head.conformance == pytest.approx(100 / 3)
    assert head.text().startswith("Conformance 33.3% — 1 held, 2 broken, ")
    assert report({"clauses": {}}).headline.text().startswith("Conformance n/a — 0 held, 0 broken")


def test_proven_by_lists_mutants_only_and_checks_come_from_the_registry():
    rows = {r.id: r for r in build_rows(LEDGER, load_contract(), CATALOGUE)}
    assert rows["R9.pages"].proven_by == ("pages-floor", "pages-and-size")
    assert rows["R9.size"].proven_by == ("pages-and-size",)  # the benign variant proves nothing
    assert rows["R9.pages"].checks == ("paging.pages",)
    assert rows["R10.namespace-filter"].checks == (
        "filters.groups_satisfy_filters",
        "edge_relations.free_strings",
        "edge_relations.filter_sort",
        "filter_near_miss.near_miss_filter_values",
    )


def test_without_catalogue_the_report_says_so():
    assert "(catalogue unavailable)" in render_markdown(report(catalogue=None))
    assert "catalogue unavailable" in render_html(report(catalogue=None))


def test_every_clause_appears_in_both_renderings():
    md, page = render_markdown(report()), render_html(report())
    for clause_id, clause in load_contract().clauses.items():
        assert f"`{clause_id}`" in md
        assert f'id="{clause_id}"' in page
        for reference in parse_source(clause.source):  # each a link into docs/contract.md
            assert f'<a href="{reference.location}">' in page
            assert f"]({reference.location})" in md


def test_failure_texts_are_escaped():
    page = render_html(report())
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    md = render_markdown(report())
    assert "<script>" not in md.replace(f"````text\n{EVIL}\n````", "")  # only inside a fence ...
    assert f"````text\n{EVIL}\n````" in md  # ... one longer than the ``` inside it


def test_html_is_self_contained():
    page = render_html(report()).lower()
    for external in ("<script", "<link", "src=", "url(", "@import", "https://"):
        assert external not in page
    assert "http://t" in page  # the target, as given


def test_target_is_redacted():
    assert (
        redact_url("https://user:secret@host.example:8443/base?token=abc#x")
        == "https://host.example:8443/base"
    )
    assert "secret" not in render_html(report(target="https://user:secret@h/?token=secret"))
    assert redact_url(None) == ""


@pytest.mark.parametrize(
    "ledger",
    [
        [],
        {"clauses": []},
        {"clauses": {"R9.pages": 3}},
        {"clauses": {"R9.pages": {"broken": "2"}}},
        {"clauses": {"R9.pages": {"first_failure": {"request": 1}}}},
    ],
)
def test_malformed_ledger_is_rejected(ledger):
    with pytest.raises(LedgerError):
        build_rows(ledger, load_contract())


def test_cli_writes_both_files_and_exits_2_on_a_bad_ledger(tmp_path, capsys):
    assert main([str(tmp_path)]) == 2  # no ledger
    (tmp_path / "ledger.json").write_text("{not json", encoding="utf-8")
    assert main([str(tmp_path)]) == 2
    (tmp_path / "ledger.json").write_text(json.dumps({"clauses": {"R9.pages": "x"}}), encoding="utf-8")
    assert main([str(tmp_path)]) == 2
    assert "report: error:" in capsys.readouterr().err
    (tmp_path / "ledger.json").write_text(json.dumps(LEDGER), encoding="utf-8")
    assert main([str(tmp_path), "--title", "T <1>"]) == 0
    assert "# T \\<1\\>" in (tmp_path / "conformance.md").read_text(encoding="utf-8")
    assert "<h1>T &lt;1&gt;</h1>" in (tmp_path / "conformance.html").read_text(encoding="utf-8")


class PagesRoundedDown(ReferenceApp):
    """A mutant: pages = total // limit."""

    def envelope(self, groups: list, total: int, q: ListQuery) -> dict:
        return {**super().envelope(groups, total, q), "pages": total // q.limit}


@pytest.mark.e2e
def test_a_mutant_run_reports_its_clause_broken(tmp_path):
    dataset = default_dataset()
    with serve(build_app(dataset, app_cls=PagesRoundedDown)) as server:
        env = clean_environment(**suite_environment(server.url, dataset.projects))
        cmd = [sys.executable, "-m", "pytest", "tests/contract", "-q", "-p", "no:cacheprovider"]
        run = run_pytest(
            [*cmd, "--report-dir", str(tmp_path)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr[-3000:]
    md_path, html_path = write_reports(tmp_path / "ledger.json", tmp_path, target=server.url)
    md, page = md_path.read_text(encoding="utf-8"), html_path.read_text(encoding="utf-8")
    assert "| `R9.pages` | **broken** |" in md
    assert '<tr id="R9.pages" class="broken">' in page and '<span class="badge broken">broken</span>' in page
    assert "$MODELARTS_AUTH_TOKEN" in md and "$MODELARTS_AUTH_TOKEN" in page
    assert data.MAIN_TOKEN not in md and data.MAIN_TOKEN not in page
    assert md.split("\n")[2].startswith("**FAILED**: 1 of 27 clauses broken (R9.pages)")
    assert f"target: {server.url}" in md and server.url in page
    # Later, from the ledger alone: the same target, versions and options (the ledger records them).
    assert main([str(tmp_path)]) == 0
    again = (tmp_path / "conformance.md").read_text(encoding="utf-8")
    assert f"| Target | {server.url} |" in again and "| `R9.pages` | **broken** |" in again
