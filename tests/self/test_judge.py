"""`python -m modelarts_contract.judge FILE.har`: recorded traffic judged without the network, and
anything that is not usable traffic of the operation told in one line, never a crash."""

from __future__ import annotations

import base64
import json

import pytest
from tests.self.recordings import AUTH_TESTS, record

from modelarts_contract.judge import main
from modelarts_contract.recording import har
from modelarts_contract.reference import data

URL = f"https://modelarts.example.com/v1/{data.MAIN_PROJECT_ID}/images/group"
GROUP = {
    "name": "a",
    "namespace": "n",
    "create_at": 1700000000000,
    "update_at": 1700000000000,
    "version_count": 1,
}


def _entry(url: str, body: str | None, *, status: int = 200, encoding: str | None = None) -> dict:
    """An entry as a browser exports it: headers in clear, no custom fields."""
    content: dict = {"size": len(body or ""), "mimeType": "application/json"}
    if body is not None:
        content["text"] = body
    if encoding:
        content["encoding"] = encoding
    return {
        "startedDateTime": "2026-12-01T10:00:00.000Z",
        "time": 12,
        "request": {
            "method": "GET",
            "url": url,
            "httpVersion": "HTTP/1.1",
            "headers": [{"name": "X-Auth-Token", "value": "browser-token-" + "s3cr3t" * 4}],
            "queryString": [],
            "cookies": [],
            "headersSize": -1,
            "bodySize": 0,
        },
        "response": {
            "status": status,
            "statusText": "",
            "httpVersion": "HTTP/1.1",
            "headers": [{"name": "Content-Type", "value": "application/json"}],
            "cookies": [],
            "content": content,
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
        },
        "cache": {},
        "timings": {"send": 0, "wait": 12, "receive": 0},
    }


def _page(total: int, items: int, *, offset: int = 0, limit: int = 2) -> tuple[str, str]:
    body = {"current": offset // limit + 1, "pages": -(-total // limit), "size": items, "total": total}
    body["data"] = [{**GROUP, "name": f"g{offset + i}"} for i in range(items)]
    return f"{URL}?limit={limit}&offset={offset}&sort_key=name&sort_dir=ASC", json.dumps(body)


def _har(tmp_path, *entries: dict, name: str = "capture.har"):
    path = tmp_path / name
    path.write_text(
        json.dumps(
            {"log": {"version": "1.2", "creator": {"name": "x", "version": "1"}, "entries": list(entries)}}
        )
    )
    return path


def test_a_browser_capture_is_judged_and_its_token_never_printed(tmp_path, capsys):
    first, second = _page(3, 2), _page(3, 1, offset=2)
    path = _har(tmp_path, _entry(*first), _entry(*second), _entry("https://example.com/other", "{}"))
    code = main([str(path), "--report-dir", str(tmp_path / "report")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "judged 2 exchange(s)" in out and "left out 1: not a GET of the operation" in out
    ledger = json.loads((tmp_path / "report" / "ledger.json").read_text(encoding="utf-8"))
    assert ledger["clauses"]["R9.total-invariant"]["exercised"] == 1  # the two pages of one query, joined
    assert ledger["clauses"]["R9.pages"]["exercised"] == 2
    assert "R1.no-credentials" not in ledger["clauses"]  # not exercised: no such exchange
    assert "judged offline from" in (tmp_path / "report" / "conformance.md").read_text(encoding="utf-8")
    assert "s3cr3t" not in out + (tmp_path / "report" / "ledger.json").read_text(encoding="utf-8")


def test_a_broken_clause_in_a_capture_is_reported_with_its_request(tmp_path, capsys):
    url, body = _page(3, 2)
    broken = json.loads(body) | {"pages": 1}  # ceil(3 / 2) is 2
    code = main([str(_har(tmp_path, _entry(url, json.dumps(broken))))])
    out = capsys.readouterr().out
    assert code == 1 and "BROKEN [R9.pages]" in out and "limit=2" in out
    assert "s3cr3t" not in out


def test_pages_that_disagree_on_the_total_break_the_invariant(tmp_path, capsys):
    first, second = _page(3, 2), _page(4, 2, offset=2)
    code = main([str(_har(tmp_path, _entry(*first), _entry(*second)))])
    assert code == 1 and "BROKEN [R9.total-invariant]" in capsys.readouterr().out


def test_a_body_in_base64_is_read_and_a_missing_text_judged_on_status_alone(tmp_path, capsys):
    url, body = _page(1, 1)
    encoded = _entry(url, base64.b64encode(body.encode()).decode(), encoding="base64")
    missing = _entry(url, None)  # a browser leaves large bodies out
    code = main([str(_har(tmp_path, encoded, missing)), "--report-dir", str(tmp_path / "r")])
    assert code == 0, capsys.readouterr().out
    ledger = json.loads((tmp_path / "r" / "ledger.json").read_text(encoding="utf-8"))
    # The base64 body read and judged; the missing one judged as a cut answer: no false alarm.
    assert ledger["clauses"]["R8.body-schema"]["exercised"] >= 1
    assert not [c for c, record in ledger["clauses"].items() if record["broken"]]
    assert ledger["clauses"]["R14.no-server-error"]["exercised"] == 2


@pytest.mark.parametrize(
    "text, says",
    [
        ("not json at all", "not JSON, or truncated"),
        ('{"log": {"entries": [', "not JSON, or truncated"),
        ('{"har": []}', "not a HAR file"),
        ("[1, 2]", "not a HAR file"),
        (
            json.dumps({"log": {"entries": [_entry("https://api.example.com/v2/users", "[]")]}}),
            "no exchange of",
        ),
        (json.dumps({"log": {"entries": [{"request": 1}]}}), "no exchange of"),
        (har.header_line({}) + '{"startedDateTime": "2026-', "not JSON, or truncated"),
        (har.header_line({}), "truncated"),
    ],
)
def test_what_is_not_usable_traffic_is_one_line_and_exit_4(tmp_path, capsys, text, says):
    path = tmp_path / "bad.har"
    path.write_text(text, encoding="utf-8")
    assert main([str(path)]) == 4
    err = capsys.readouterr().err
    assert says in err and len(err.strip().splitlines()) == 1


def test_a_missing_file_and_bad_usage_are_exit_4(tmp_path, capsys):
    assert main([str(tmp_path / "none.har")]) == 4
    assert "no such file" in capsys.readouterr().err
    assert main(["--no-such-option"]) == 4


def test_a_recording_of_a_mutant_is_judged_broken_by_its_clause(tmp_path, capsys):
    recording, live = record(tmp_path, "mutant", "--reference-variant", "pages-always-one", tests=AUTH_TESTS)
    assert main([str(recording)]) == 1
    out = capsys.readouterr().out
    assert "BROKEN [R9.pages]" in out and "pages == 1" in out and "R9.pages" in live.broken
    assert data.MAIN_TOKEN not in out
