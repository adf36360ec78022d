"""`modelarts-contract history DIR... -o OUT`: runs found and ordered, both files written safely, the
page bounded in size, and rendered in a real headless browser (desktop and phone width)."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.self.browser import browser, open_offline  # noqa: F401  (browser is a fixture)
from tests.self.history_ledgers import ledger, write

from modelarts_contract.history import build_history, clause_texts, render_html
from modelarts_contract.history.cli import history_main
from modelarts_contract.history.runs import Run, Timings

CLAUSES = list(clause_texts())


def nightly(day: int, broken: str | None = None, timings: bool = False) -> dict:
    verdicts = {cid: "held" for cid in CLAUSES}
    if broken:
        verdicts[broken] = "broken"
    written = (datetime(2026, 11, 1, 2, tzinfo=UTC) + timedelta(days=day)).strftime("%Y-%m-%dT%H:%M:%SZ")
    times = {"p50": 0.05 + day / 1000, "p95": 0.2, "max": 0.9} if timings else None
    return ledger(verdicts, sent=400 + day, written=written, timings=times)


def test_runs_from_report_directories_and_ledger_files_are_ordered_by_their_time(tmp_path, capsys):
    # Named against their order: only the "written" time may order them.
    write(tmp_path / "ci" / "a-latest" / "ledger.json", nightly(2, broken="R9.pages"))
    write(tmp_path / "ci" / "b-first" / "ledger.json", nightly(0))
    write(tmp_path / "loose" / "z.json", nightly(1))
    out = tmp_path / "out"
    assert history_main([str(tmp_path / "ci"), str(tmp_path / "loose"), "-o", str(out)]) == 0
    assert "(3 runs)" in capsys.readouterr().out
    md = (out / "history.md").read_text(encoding="utf-8")
    assert re.search(r"^\| R9\.pages \| broken \| 2026-11-03 02:00 UTC \| 1 \| ✓✓✗ \|$", md, re.M)
    assert re.search(r"^\| R9\.size \| held \| 2026-11-01 02:00 UTC \| 0 \| ✓✓✓ \|$", md, re.M)
    runs = re.findall(r"^\| (\d) \| (2026-11-0\d)", md, re.M)
    assert runs == [("3", "2026-11-03"), ("2", "2026-11-02"), ("1", "2026-11-01")]  # latest first


def test_a_clause_in_a_runs_baseline_is_known_in_its_row_and_on_the_page(tmp_path):
    """Held, broken, then broken but in the baseline: three glyphs, the latest verdict "known"."""
    for day, verdict in enumerate(("held", "broken", "known")):
        document = nightly(day)
        write(
            tmp_path / "ci" / f"{day}.json",
            ledger({**dict.fromkeys(CLAUSES, "held"), "R9.pages": verdict}, written=document["written"]),
        )
    out = tmp_path / "out"
    assert history_main([str(tmp_path / "ci"), "-o", str(out)]) == 0
    md = (out / "history.md").read_text(encoding="utf-8")
    assert re.search(r"^\| R9\.pages \| known \| 2026-11-03 02:00 UTC \| 2 \| ✓✗⊘ \|$", md, re.M)
    assert "⊘ known" in md  # the legend names the glyph
    page = (out / "history.html").read_text(encoding="utf-8")
    assert '<span class="known">⊘ known</span>' in page


def test_a_ledger_without_a_time_is_ordered_by_its_file_time(tmp_path):
    old = write(tmp_path / "old.json", ledger({"R9.pages": "held"}, written=None))
    new = write(tmp_path / "new.json", ledger({"R9.pages": "broken"}, written=None))
    os.utime(old, (1_700_000_000, 1_700_000_000))
    os.utime(new, (1_700_086_400, 1_700_086_400))
    assert history_main([str(tmp_path), "-o", str(tmp_path / "out")]) == 0
    md = (tmp_path / "out" / "history.md").read_text(encoding="utf-8")
    assert re.search(r"^\| R9\.pages \| broken \| time unknown \| 1 \| ✓✗ \|$", md, re.M)


def test_written_atomically_and_never_through_an_existing_symlink(tmp_path):
    write(tmp_path / "runs" / "r1" / "ledger.json", nightly(0))
    outside = tmp_path / "outside.html"
    outside.write_text("keep me", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "history.html").symlink_to(outside)
    assert history_main([str(tmp_path / "runs"), "-o", str(out)]) == 0
    assert outside.read_text(encoding="utf-8") == "keep me"
    assert not (out / "history.html").is_symlink()
    assert sorted(p.name for p in out.iterdir()) == ["history.html", "history.md"]


def test_no_ledger_or_a_bad_one_is_exit_4_with_one_line(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert history_main([str(tmp_path / "empty"), "-o", str(tmp_path / "out")]) == 4
    assert capsys.readouterr().err.count("\n") == 1
    write(tmp_path / "runs" / "good.json", nightly(0))
    (tmp_path / "runs" / "bad.json").write_text('{"schema_version": 9, "clauses": {}}', encoding="utf-8")
    assert history_main([str(tmp_path / "runs"), "-o", str(tmp_path / "out")]) == 4
    err = capsys.readouterr().err
    assert err.startswith("history: error: ") and "bad.json: ledger schema version 9" in err
    assert not (tmp_path / "out").exists()  # nothing written from a partial set
    assert history_main([str(tmp_path / "empty")]) == 4  # -o is required
    capsys.readouterr()
    (tmp_path / "runs" / "bad.json").unlink()
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    assert history_main([str(tmp_path / "runs"), "-o", str(tmp_path / "a-file")]) == 4
    err = capsys.readouterr().err
    assert (
        err.startswith(f"history: error: cannot write into {tmp_path / 'a-file'}: not a directory")
        and err.count("\n") == 1
    )


def test_hostile_text_in_a_ledger_is_escaped(tmp_path):
    evil = "R9.x<script>alert(1)</script>\x1b[2J|`"
    write(tmp_path / "runs" / "r.json", ledger({evil: "broken"}))
    assert history_main([str(tmp_path / "runs"), "-o", str(tmp_path / "out")]) == 0
    page = (tmp_path / "out" / "history.html").read_text(encoding="utf-8")
    md = (tmp_path / "out" / "history.md").read_text(encoding="utf-8")
    assert "<script" not in page and "\x1b" not in page and "&lt;script&gt;" in page
    # Markdown escapes with backslashes (the report's cell escaping): no `<` starts a raw HTML tag.
    assert "\x1b" not in md and not re.search(r"(?<!\\)<", md) and "\\|" in md


def flapping_year(clauses: int = len(CLAUSES)) -> list[Run]:
    """365 runs in which every clause changes its verdict every night: the largest page."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        Run(
            Path(f"/var/ci/artifacts/nightly-{day:03d}/ledger.json"),
            start + timedelta(days=day),
            {cid: "broken" if (day + i) % 2 else "held" for i, cid in enumerate(CLAUSES[:clauses])},
            {},
            440,
            Timings(0.05, 0.2, 0.5),
            1,
        )
        for day in range(365)
    ]


def test_the_page_for_365_runs_stays_under_1_mb_even_when_every_clause_flaps():
    page = render_html(build_history(flapping_year(), clause_texts()))
    assert len(page.encode("utf-8")) < 1_000_000
    assert page.count('<tr class="clause"') == len(CLAUSES)


@pytest.mark.slow
def test_the_page_renders_in_a_real_browser_with_its_plots_and_clause_rows(tmp_path, browser):  # noqa: F811
    runs = tmp_path / "runs"
    for day in range(40):
        write(
            runs / f"r{day:02d}" / "ledger.json",
            nightly(day, "R9.pages" if day >= 30 else None, timings=True),
        )
    assert history_main([str(runs), "-o", str(tmp_path / "out")]) == 0
    opened = open_offline(browser, tmp_path / "out" / "history.html")
    page = opened.page
    assert page.locator("tr.clause").count() == len(CLAUSES)
    assert page.locator("svg.plot").count() == 2  # requests, and response times (the ledgers have them)
    for plot, names in ((0, ["requests"]), (1, ["p50", "p95"])):
        svg = page.locator("svg.plot").nth(plot)
        assert svg.locator("path.line").count() == len(names)
        assert svg.locator("text.end").all_text_contents() == names  # each line labelled, not told by colour
        box = svg.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 100
    assert page.locator("svg.plot").nth(1).locator("rect").count() == 40  # p95's square markers
    broken = page.locator("tr.clause#R9\\.pages")
    assert "✗ broken" in broken.inner_text()
    assert broken.locator(".strip").inner_text() == "✓" * 30 + "✗" * 10
    assert opened.errors == [] and opened.blocked == []
    page.close()


@pytest.mark.slow
def test_the_page_is_readable_at_phone_width(tmp_path, browser):  # noqa: F811
    texts = clause_texts()
    out = tmp_path / "history.html"
    out.write_text(render_html(build_history(flapping_year(), texts)), encoding="utf-8")
    opened = open_offline(browser, out, width=390, height=844)
    page = opened.page
    widths = page.evaluate("[document.documentElement.scrollWidth, document.body.scrollWidth, innerWidth]")
    assert widths[0] <= 390 and widths[1] <= 390 and widths[2] == 390, widths  # no sideways scrolling
    row = page.locator("tr.clause").first
    box = row.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    strip = row.locator(".strip")
    assert strip.evaluate("e => e.scrollWidth > e.clientWidth")  # the year scrolls inside its strip
    labels = row.locator("td[data-label]").evaluate_all(
        "cells => cells.map(c => getComputedStyle(c, '::before').content)"
    )
    assert labels == ['"since "', '"changes "']  # the stacked facts say what they are
    assert opened.errors == [] and opened.blocked == []
    page.close()
