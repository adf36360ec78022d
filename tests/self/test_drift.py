"""The drift check (issue 5): a reference page vs the spec, one fixture per kind of difference."""

from __future__ import annotations

import atexit
import copy
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from modelarts_contract.drift import Difference, compare, load_spec, parse_page
from modelarts_contract.drift.__main__ import main
from modelarts_contract.drift.page import strip_header

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "drift"
SPEC = ROOT / "openapi" / "images-group.yaml"
MATCH = (FIXTURES / "match.html").read_text(encoding="utf-8")  # the page that matches the spec exactly
# A page in the published export's shape, written for these tests: a plain-text header (whose commit
# line names another path), markup dense with ids and anchors, enums marked up two ways, and the
# status table of the 23.3.0 page (200, 401, 403, 404). The real page is checked by .ci/run.
EXPORT = FIXTURES / "export.txt"


def _row(name: str) -> str:
    """The table row of a parameter or field in the matching page."""
    found = re.search(rf"<tr><td><p>{re.escape(name)}</p>\n.*?</tr>\n", MATCH, re.S)
    assert found, name
    return found.group(0)


def _new_row(*cells: str) -> str:
    return "<tr>" + "".join(f"<td><p>{cell}</p>\n</td>\n" for cell in cells) + "</tr>\n"


# One page per kind of difference: the matching page with one edit (text replaced, row added or cut).
EDITS: dict[str, list[tuple[str, str]]] = {
    "default.html": [("default value is <strong>200</strong>", "default value is <strong>100</strong>")],
    "enum.html": [
        ("</li><li><p><strong>UNKNOWN</strong>: image whose supported services are not specified</p>\n", "")
    ],
    "mandatory.html": [(_row("name"), _row("name").replace("<td><p>No</p>", "<td><p>Yes</p>", 1))],
    "type.html": [(_row("offset"), _row("offset").replace("<p>Integer</p>", "<p>Long</p>"))],
    "status.html": [(_row("500"), _row("500") + _new_row("503", "Service Unavailable"))],
    "fields.html": [
        (
            _row("version_count"),
            _row("version_count")
            + _new_row("id", "String", "Image group ID.")
            + _new_row("description", "String", "Description."),
        )
    ],
    "query_extra.html": [
        (
            _row("workspace_id"),
            _row("workspace_id") + _new_row("swr_instance_id", "No", "String", "SWR enterprise instance ID."),
        )
    ],
    # Like the later OTC pages: five query parameters only.
    "query_five.html": [
        (_row(n), "") for n in ("name_fuzzy_match", "service_type", "sort_dir", "sort_key", "type")
    ],
}
_PAGES = Path(tempfile.mkdtemp(prefix="drift-pages-"))
atexit.register(shutil.rmtree, _PAGES, ignore_errors=True)


def page(name: str) -> Path:
    """The path of a fixture page: a file of its own, or the matching page with its edit applied."""
    if name not in EDITS:
        return FIXTURES / name
    text = MATCH
    for old, new in EDITS[name]:
        assert text.count(old) == 1, f"{name}: the edit's anchor must occur once"
        text = text.replace(old, new)
    path = _PAGES / name
    path.write_text(text, encoding="utf-8")
    return path


def diffs_of(name: str, spec: dict | None = None) -> list[tuple[str, str, str | None, str | None, bool]]:
    found = compare(
        parse_page(page(name).read_text(encoding="utf-8")), spec if spec is not None else load_spec(SPEC)
    )
    return [(d.kind, d.location, d.doc, d.spec, d.deliberate) for d in found]


def run(name: str, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    status = main([str(page(name)), "--spec", str(SPEC), *extra])
    return status, capsys.readouterr().out


def test_default_spec_is_the_packaged_one(capsys: pytest.CaptureFixture[str]) -> None:
    """Without --spec the check reads the spec the suite reads (package data), whatever the cwd."""
    assert load_spec() == load_spec(SPEC)
    assert main([str(page("match.html"))]) == 0
    assert "the packaged spec (openapi/images-group.yaml)" in capsys.readouterr().out


def test_matching_page_has_no_difference(capsys: pytest.CaptureFixture[str]) -> None:
    assert diffs_of("match.html") == []
    status, out = run("match.html", capsys)
    assert status == 0
    assert out.splitlines()[-1] == "undeclared drift 0, deliberate 0"


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        (
            "query_extra.html",
            [("missing-in-spec", "query parameter swr_instance_id", "String, optional", None, False)],
        ),
        (
            # Like the later OTC pages: five query parameters only.
            "query_five.html",
            [
                ("missing-in-doc", f"query parameter {name}", None, f"{kind}, optional", False)
                for name, kind in [
                    ("name_fuzzy_match", "boolean"),
                    ("service_type", "string"),
                    ("sort_dir", "string"),
                    ("sort_key", "array of string"),
                    ("type", "string"),
                ]
            ],
        ),
        ("type.html", [("type", "query parameter offset", "integer(int64)", "integer(int32)", False)]),
        (
            "enum.html",
            [
                (
                    "enum",
                    "query parameter service_type",
                    "COMMON, INFERENCE, TRAIN, DEV",
                    "COMMON, INFERENCE, TRAIN, DEV, UNKNOWN",
                    False,
                )
            ],
        ),
        ("default.html", [("default", "query parameter limit", "100", "200", False)]),
        ("mandatory.html", [("mandatory", "query parameter name", "Yes", "No", False)]),
        (
            # Like the SDK's ImageGroup, which has more fields than the document.
            "fields.html",
            [
                ("missing-in-spec", "field ImageGroup.id", "String", None, False),
                ("missing-in-spec", "field ImageGroup.description", "String", None, False),
            ],
        ),
        ("status.html", [("status", "status 503", "503 Service Unavailable", None, False)]),
    ],
)
def test_each_kind_of_difference(fixture: str, expected: list, capsys: pytest.CaptureFixture[str]) -> None:
    assert diffs_of(fixture) == expected
    status, out = run(fixture, capsys)
    assert status == 1
    assert out.splitlines()[-1] == f"undeclared drift {len(expected)}, deliberate 0"
    for _, location, *_ in expected:  # one line per difference, in the text report too
        assert sum(location in line for line in out.splitlines()) == 1


def test_missing_parameters_are_grouped_one_per_line(capsys: pytest.CaptureFixture[str]) -> None:
    _, out = run("query_five.html", capsys)
    lines = out.splitlines()
    assert "query parameter (5):" in lines
    start = lines.index("query parameter (5):")
    assert all("missing-in-doc" in line for line in lines[start + 1 : start + 6])


def test_export_has_only_deliberate_differences(capsys: pytest.CaptureFixture[str]) -> None:
    text = EXPORT.read_text(encoding="utf-8")
    html = strip_header(text)
    assert html.startswith("<a name=") and text.endswith(html)
    assert "GET /v1/{project_id}/images/groups/" in text.removesuffix(html)  # a trap in the header
    page = parse_page(text)  # skips the text header, so the URI comes from the page itself
    assert (page.method, page.path) == ("GET", "/v1/{project_id}/images/group")
    assert len(page.query_params) == 10
    found = compare(page, load_spec(SPEC))
    assert [(d.kind, d.location, d.deliberate) for d in found] == [
        ("status", "status 400", True),
        ("status", "status 429", True),
        ("status", "status 500", True),
    ]
    assert all("the document's status table has no" in d.note for d in found)
    status = main([str(EXPORT)])  # the default --spec
    out = capsys.readouterr().out
    assert status == 0
    assert out.count("DELIBERATE") == 3 and "DRIFT" not in out
    assert out.splitlines()[-1] == "undeclared drift 0, deliberate 3"


def test_export_enums_and_defaults_follow_the_markup() -> None:
    # service_type mixes <strong>COMMON</strong>: ... and plain "TRAIN: ..." list items, each behind
    # <a name> anchors; sort_dir lists its values in <strong> inside "The options are ...".
    query = {f.name: f for f in parse_page(EXPORT.read_text(encoding="utf-8")).query_params}
    assert query["service_type"].enum == ["COMMON", "INFERENCE", "TRAIN", "DEV", "UNKNOWN"]
    assert query["type"].enum == ["BUILD_IN", "DEDICATED"]
    assert query["sort_dir"].enum == ["ASC", "DESC"]
    assert query["sort_key"].enum is None
    names = ("limit", "offset", "name_fuzzy_match", "sort_dir", "workspace_id")
    assert {n: query[n].default for n in names} == {
        "limit": "200",
        "offset": "0",
        "name_fuzzy_match": "true",
        "sort_dir": "DESC",
        "workspace_id": "0",
    }


def test_json_format(capsys: pytest.CaptureFixture[str]) -> None:
    status, out = run("default.html", capsys, "--format", "json")
    report = json.loads(out)
    assert status == 1
    assert report["summary"] == {"undeclared": 1, "deliberate": 0}
    assert report["differences"] == [
        {
            "kind": "default",
            "location": "query parameter limit",
            "doc": "100",
            "spec": "200",
            "deliberate": False,
            "note": "",
        }
    ]


def test_sort_key_must_be_sent_comma_joined() -> None:
    # The doc's comma-separated String is the spec's array only with style form, explode false.
    spec = load_spec(SPEC)
    params = spec["paths"]["/v1/{project_id}/images/group"]["get"]["parameters"]
    next(p for p in params if p["name"] == "sort_key")["explode"] = True
    found = compare(parse_page(MATCH), spec)
    assert [(d.kind, d.location, d.doc, d.spec) for d in found] == [
        ("type", "query parameter sort_key", "string", "array of string")
    ]
    assert "comma-joined" in found[0].note


def test_x_deliberate_on_a_parameter_declares_its_difference() -> None:
    spec = copy.deepcopy(load_spec(SPEC))
    params = spec["paths"]["/v1/{project_id}/images/group"]["get"]["parameters"]
    next(p for p in params if p["name"] == "type")["x-deliberate"] = "kept for 23.3.0 clients"
    found = {d.location: d for d in compare(parse_page(page("query_five.html").read_text()), spec)}
    assert found["query parameter type"] == Difference(
        "missing-in-doc", "query parameter type", None, "string, optional", True, "kept for 23.3.0 clients"
    )
    assert sum(d.deliberate for d in found.values()) == 1


@pytest.mark.parametrize(
    "argv",
    [
        [str(FIXTURES / "not_a_page.html")],  # no query-parameter table
        [str(FIXTURES / "does-not-exist.html")],
        [str(page("match.html")), "--spec", str(FIXTURES / "does-not-exist.yaml")],
        [str(page("match.html")), "--format", "xml"],
        [],
    ],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert capsys.readouterr().err


def test_cli_as_a_module() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "modelarts_contract.drift", str(page("fields.html")), f"--spec={SPEC}"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert "field ImageGroup (2):" in done.stdout
    assert done.stdout.splitlines()[-1] == "undeclared drift 2, deliberate 0"
