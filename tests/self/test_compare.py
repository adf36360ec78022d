"""`modelarts-contract compare OLD NEW`: each category on hand-made ledgers, the exit statuses, the
ledger's schema version, and the target's words neutralised."""

from __future__ import annotations

import json

import pytest
from tests.self.history_ledgers import ledger, write

from modelarts_contract.checks.core import Ledger
from modelarts_contract.history.cli import compare_main
from modelarts_contract.history.compare import CATEGORIES
from modelarts_contract.ledger_file import LedgerError, read_ledger
from modelarts_contract.report.__main__ import main as report_main

NAMES = {name for name, _ in CATEGORIES}
OLD = {
    "R9.pages": "held",  # newly broken
    "R9.size": "broken",  # fixed
    "R9.current": "broken",  # still broken
    "R9.window": "held",  # data changed
    "R10.name": "held",  # no longer exercised
    "R11.order": "not exercised",  # newly exercised
    "R1.no-credentials": "held",  # unchanged
}
NEW = {
    "R9.pages": "broken",
    "R9.size": "held",
    "R9.current": "broken",
    "R9.window": "data changed",
    "R10.name": "not exercised",
    "R11.order": "held",
    "R1.no-credentials": "held",
}


def sections(out: str) -> dict[str, list[str]]:
    """Category -> the clause ids listed under it."""
    found: dict[str, list[str]] = {}
    current = None
    for line in out.splitlines():
        if line.startswith("  ") and not line.startswith("    ") and current is not None:
            found[current].append(line.split()[0])
        elif line.split(" (")[0] in NAMES:
            current = line.split(" (")[0]
            found[current] = []
        else:
            current = None
    return found


def test_every_category_and_exit_1_on_a_newly_broken_clause(tmp_path, capsys):
    old = write(tmp_path / "old" / "ledger.json", ledger(OLD, sent=400))
    new = write(tmp_path / "new.json", ledger(NEW, sent=450, written="2026-12-02T02:00:00Z"))
    assert compare_main([str(old.parent), str(new)]) == 1
    out = capsys.readouterr().out
    assert sections(out) == {
        "newly broken": ["R9.pages"],
        "fixed": ["R9.size"],
        "still broken": ["R9.current"],
        "known": [],
        "data changed": ["R9.window"],
        "no longer exercised": ["R10.name"],
        "newly exercised": ["R11.order"],
    }
    assert "unchanged: 1 clauses" in out
    assert "requests: 400 -> 450 (+50, +12.5%)" in out
    assert "actual: pages == 0" in out  # the newly broken clause's first failure
    assert "response time" not in out  # neither ledger records timings


def test_exit_0_when_nothing_newly_broke_and_a_clause_missing_from_a_ledger_is_not_exercised(
    tmp_path, capsys
):
    old = write(tmp_path / "a.json", ledger({"R9.pages": "broken", "R9.size": "held"}))
    new = write(tmp_path / "b.json", ledger({"R9.pages": "held", "R11.order": "held"}))
    assert compare_main([str(old), str(new)]) == 0
    found = sections(capsys.readouterr().out)
    assert found["fixed"] == ["R9.pages"]
    assert found["no longer exercised"] == ["R9.size"]
    assert found["newly exercised"] == ["R11.order"]
    assert found["newly broken"] == []


def test_response_times_only_when_both_ledgers_have_them(tmp_path, capsys):
    times = {"p50": 0.1, "p95": 0.4, "max": 1.0}
    old = write(tmp_path / "a.json", ledger({"R9.pages": "held"}, timings=times))
    new = write(
        tmp_path / "b.json", ledger({"R9.pages": "held"}, timings={"p50": 0.2, "p95": 0.4, "max": 9.0})
    )
    bare = write(tmp_path / "c.json", ledger({"R9.pages": "held"}, sent=None))
    assert compare_main([str(old), str(new)]) == 0
    out = capsys.readouterr().out
    assert "response time p50: 0.100 s -> 0.200 s (+0.100 s, +100.0%)" in out
    assert "response time max: 1.000 s -> 9.000 s" in out
    assert compare_main([str(old), str(bare)]) == 0
    out = capsys.readouterr().out
    assert "response time" not in out
    assert "requests: 438 -> not recorded" in out


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (None, "no such ledger"),
        ("{not json", "not a readable JSON ledger"),
        (json.dumps([1]), "not a ledger"),
        (json.dumps({"clauses": []}), "not a ledger"),
        (
            json.dumps({"schema_version": 2, "clauses": {}}),
            "ledger schema version 2; this modelarts-contract reads version 1",
        ),
        (json.dumps({"schema_version": "1", "clauses": {}}), "ledger schema version '1'"),
        (json.dumps({"schema_version": True, "clauses": {}}), "ledger schema version True"),
        (json.dumps({"clauses": {"R9.pages": {"broken": "2"}}}), "broken is not an integer"),
        ("[" * 100_000, "not a readable JSON ledger"),
    ],
)
def test_an_unreadable_ledger_is_exit_4_with_one_line(tmp_path, capsys, content, says):
    good = write(tmp_path / "good.json", ledger({"R9.pages": "held"}))
    bad = tmp_path / "bad.json"
    if content is not None:
        bad.write_text(content, encoding="utf-8")
    assert compare_main([str(good), str(bad)]) == 4
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    assert captured.err.startswith(f"compare: error: {bad}") and says in captured.err


def test_a_ledger_without_a_version_is_read_as_version_1(tmp_path):
    legacy = {k: v for k, v in ledger({"R9.pages": "held"}).items() if k not in ("schema_version", "written")}
    assert read_ledger(write(tmp_path / "ledger.json", legacy))["clauses"]["R9.pages"]["exercised"] == 4
    assert read_ledger(tmp_path)["clauses"]  # a report directory names its ledger.json


def test_the_report_refuses_another_version_with_one_line(tmp_path, capsys):
    write(tmp_path / "ledger.json", {"schema_version": 3, "clauses": {}})
    assert report_main([str(tmp_path)]) == 2
    assert "ledger schema version 3" in capsys.readouterr().err
    with pytest.raises(LedgerError):
        read_ledger(tmp_path / "ledger.json")


def test_the_dump_carries_version_and_time_and_replaces_a_symlink_instead_of_writing_through(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me", encoding="utf-8")
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "ledger.json").symlink_to(outside)
    Ledger().dump(reports / "ledger.json", exitstatus=0)
    assert outside.read_text(encoding="utf-8") == "keep me"
    assert not (reports / "ledger.json").is_symlink()
    document = read_ledger(reports)
    assert document["schema_version"] == 1 and document["written"].endswith("Z")
    assert [p.name for p in reports.iterdir()] == ["ledger.json"]  # no temporary file left


def test_hostile_text_from_a_ledger_is_neutralised(tmp_path, capsys):
    evil_id = "R9.pages\x1b]0;owned\x07\u202e"
    old = write(tmp_path / "a.json", ledger({evil_id: "held"}))
    new = write(tmp_path / "b.json", ledger({evil_id: "broken"}, actual="x\x1b[2J\r\nfake: line\u202e"))
    assert compare_main([str(old), str(new)]) == 1
    out = capsys.readouterr().out
    assert not any(c in out for c in "\x1b\x07\r\u202e")
    assert "\\x1b]0;owned\\x07\\u202e" in out
    assert "\nfake: line" not in out  # the line break is shown, not obeyed


def test_a_clause_in_the_new_runs_baseline_is_known_not_newly_broken(tmp_path, capsys):
    """The transcript's runs: held, then broken (newly: exit 1), then broken and baselined (known:
    exit 0); a known clause that breaks beyond its baseline again is still broken, not newly."""
    held = write(tmp_path / "1.json", ledger({"R9.pages": "held", "R9.size": "held"}))
    broken = write(tmp_path / "2.json", ledger({"R9.pages": "broken", "R9.size": "held"}))
    known = write(tmp_path / "3.json", ledger({"R9.pages": "known", "R9.size": "held"}))
    assert compare_main([str(held), str(broken)]) == 1
    assert sections(capsys.readouterr().out)["newly broken"] == ["R9.pages"]
    assert compare_main([str(broken), str(known)]) == 0
    found = sections(capsys.readouterr().out)
    assert found["known"] == ["R9.pages"] and found["newly broken"] == []
    assert compare_main([str(held), str(known)]) == 0
    assert sections(capsys.readouterr().out)["known"] == ["R9.pages"]
    assert compare_main([str(known), str(broken)]) == 0
    assert sections(capsys.readouterr().out)["still broken"] == ["R9.pages"]
    assert compare_main([str(known), str(held)]) == 0
    assert sections(capsys.readouterr().out)["fixed"] == ["R9.pages"]
