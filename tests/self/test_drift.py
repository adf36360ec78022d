"""The drift check (issues 5 and 9): a reference page vs the spec, in each of the three layouts.

Each layout has one matching page (fixtures/drift/match.html, match_sphinx.html, match.rst: the same
content) and the same named edits, each making one kind of difference. An edit is written once, in
terms of a `Layout` that knows how a row, a bold word or a list item is written in its markup.
"""

from __future__ import annotations

import atexit
import copy
import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.self.helpers import ROOT

from modelarts_contract.drift import Difference, PageFormatError, compare, load_spec, parse_page
from modelarts_contract.drift.__main__ import main
from modelarts_contract.drift.read_export import strip_header

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "drift"
SPEC = ROOT / "openapi" / "images-group.yaml"
# A page in the published export's shape, written for these tests: a plain-text header (whose commit
# line names another path), markup dense with ids and anchors, enums marked up two ways, and the
# status table of the 23.3.0 page (200, 401, 403, 404). The real page is checked by .ci/run.
EXPORT = FIXTURES / "export.txt"


@dataclass(frozen=True)
class Layout:
    """How the matching page is written in one layout, and how to write an edit in it."""

    name: str
    fixture: str

    @property
    def text(self) -> str:
        return (FIXTURES / self.fixture).read_text(encoding="utf-8")

    def row(self, name: str) -> str:
        """The text of the first table row whose first cell is `name`."""
        pattern = {
            "export": rf"<tr><td><p>{re.escape(name)}</p>\n.*?</tr>\n",
            "sphinx": rf'<tr class="row-(?:odd|even)"><td><p>{re.escape(name)}</p></td>\n.*?</tr>\n',
            # A grid-table row up to its bottom border, or a line of the simple status table.
            "rst": rf"^   \| {re.escape(name)} +\|.*?\n   \+[-+]+\n|^{re.escape(name)} +\S[^\n]*\n",
        }[self.name]
        found = re.search(pattern, self.text, re.S | re.M)
        assert found, (self.name, name)
        return found.group(0)

    def new_row(self, like: str, *cells: str) -> str:
        """A row of the table that holds the row `like`."""
        if self.name == "export":
            return "<tr>" + "".join(f"<td><p>{cell}</p>\n</td>\n" for cell in cells) + "</tr>\n"
        if self.name == "sphinx":
            return '<tr class="row-odd">' + "".join(f"<td><p>{cell}</p></td>\n" for cell in cells) + "</tr>\n"
        if not like.startswith("   "):  # the simple status table: code, then description
            return f"{cells[0]:<12}{cells[1]}\n"
        border = like.splitlines()[-1]
        widths = [len(part) - 2 for part in border.strip().strip("+").split("+")]
        assert all(len(c) <= w for c, w in zip(cells, widths, strict=True)), "a cell wider than its column"
        return (
            "   |"
            + "|".join(f" {c:<{w}} " for c, w in zip(cells, widths, strict=True))
            + "|\n"
            + border
            + "\n"
        )

    def bold(self, text: str) -> str:
        return f"**{text}**" if self.name == "rst" else f"<strong>{text}</strong>"

    def sub(self, row: str, old: str, new: str) -> str:
        """`row` with `old` replaced by `new`; in a grid table the cell keeps its width."""
        assert row.count(old) == 1, (self.name, old)
        if self.name != "rst" or not row.startswith("   |"):
            return row.replace(old, new)
        at = row.index(old)
        bar = row.index("|", at)
        shift = len(old) - len(new)
        padded = row[:at] + new + row[at + len(old) : bar]
        if shift >= 0:
            padded += " " * shift
        else:
            assert padded.endswith(" " * (1 - shift)), "no room in the cell"
            padded = padded[:shift]
        return padded + row[bar:]

    def item(self, value: str, meaning: str) -> str:
        """The text of one enum list item ("VALUE: meaning"), with what separates it from the last."""
        if self.name == "export":
            return f"</li><li><p><strong>{value}</strong>: {meaning}</p>\n"
        if self.name == "sphinx":
            return f"<li><p><strong>{value}</strong>: {meaning}</p></li>\n"
        found = re.search(rf"   \|[ |]+\n   \|[ |]+-  \*\*{value}\*\*: {re.escape(meaning)} +\|\n", self.text)
        assert found, value
        return found.group(0)  # the blank line in the cell, then the item

    def example_number(self, value: str) -> str:
        """How a number of the example response is written (Sphinx highlights it)."""
        return f'<span class="mi">{value}</span>' if self.name == "sphinx" else value


LAYOUTS = [Layout("export", "match.html"), Layout("sphinx", "match_sphinx.html"), Layout("rst", "match.rst")]
EXPORT_LAYOUT = LAYOUTS[0]


def edits(L: Layout) -> dict[str, list[tuple[str, str]]]:
    """The named edits of the matching page, each as (old text, new text) pairs in layout `L`."""
    limit, name, offset, dedicated = L.row("limit"), L.row("name"), L.row("offset"), L.row("type")
    count, workspace = L.row("version_count"), L.row("workspace_id")
    count_line = next(line for line in L.text.splitlines(keepends=True) if '"version_count"' in line)
    dedicated_new = L.sub(dedicated, "private image", "image you created or that was shared with you")
    workspace_new = L.sub(
        workspace,
        "If no workspaces are available, the default value is",
        "If no workspace has been created, the default value is",
    )
    return {
        "default": [(limit, L.sub(limit, L.bold("200"), L.bold("100")))],
        "enum": [(L.item("UNKNOWN", "image whose supported services are not specified"), "")],
        "enum_description": [(dedicated, dedicated_new)],
        "mandatory": [(name, L.sub(name, "No ", "Yes") if L.name == "rst" else L.sub(name, "No", "Yes"))],
        "type": [(offset, L.sub(offset, "Integer", "Long   " if L.name == "rst" else "Long"))],
        "status": [(L.row("500"), L.row("500") + L.new_row(L.row("500"), "503", "Service Unavailable"))],
        "fields": [
            (
                count,
                count
                + L.new_row(count, "id", "String", "Image group ID.")
                + L.new_row(count, "description", "String", "Description."),
            )
        ],
        "query_extra": [
            (
                workspace,
                workspace + L.new_row(workspace, "swr_instance_id", "No", "String", "SWR instance ID."),
            )
        ],
        # Like the later OTC pages: five query parameters only.
        "query_five": [
            (L.row(n), "") for n in ("name_fuzzy_match", "service_type", "sort_dir", "sort_key", "type")
        ],
        # A page like the OTC one of 2025: no paging or sorting parameters, DEDICATED and workspace_id
        # reworded (our words: the point is the kind of change, not the wording).
        "otc_2025": [
            *[(L.row(n), "") for n in ("limit", "offset", "service_type", "sort_dir", "sort_key")],
            (dedicated, dedicated_new),
            (workspace, workspace_new),
        ],
        # The example response says a count is a string.
        "example": [(count_line, count_line.replace(L.example_number("2"), '"2"'))],
    }


_PAGES = Path(tempfile.mkdtemp(prefix="drift-pages-"))
atexit.register(shutil.rmtree, _PAGES, ignore_errors=True)


def page(layout: Layout, edit: str | None = None) -> Path:
    """The matching page of `layout`, or a file of it with the named edit applied."""
    if edit is None:
        return FIXTURES / layout.fixture
    text = layout.text
    for old, new in edits(layout)[edit]:
        assert text.count(old) == 1, f"{layout.name} {edit}: the edit's anchor must occur once"
        text = text.replace(old, new)
    path = _PAGES / f"{edit}-{layout.fixture}"
    path.write_text(text, encoding="utf-8")
    return path


def diffs_of(path: Path, spec: dict | None = None) -> list[tuple[str, str, str | None, str | None, bool]]:
    found = compare(
        parse_page(path.read_text(encoding="utf-8")), spec if spec is not None else load_spec(SPEC)
    )
    return [(d.kind, d.location, d.doc, d.spec, d.deliberate) for d in found]


def run(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    status = main([str(path), "--spec", str(SPEC), *extra])
    return status, capsys.readouterr().out


def _missing_doc(names: list[tuple[str, str]]) -> list[tuple[str, str, None, str, bool]]:
    return [("missing-in-doc", f"query parameter {n}", None, f"{kind}, optional", False) for n, kind in names]


EXPECTED: dict[str, list[tuple[str, str, str | None, str | None, bool]]] = {
    "default": [("default", "query parameter limit", "100", "200", False)],
    "enum": [
        (
            "enum",
            "query parameter service_type",
            "COMMON, INFERENCE, TRAIN, DEV",
            "COMMON, INFERENCE, TRAIN, DEV, UNKNOWN",
            False,
        )
    ],
    "enum_description": [
        (
            "enum-description",
            "query parameter type.DEDICATED",
            "image you created or that was shared with you",
            "private image",
            False,
        )
    ],
    "mandatory": [("mandatory", "query parameter name", "Yes", "No", False)],
    "type": [("type", "query parameter offset", "integer(int64)", "integer(int32)", False)],
    "status": [("status", "status 503", "503 Service Unavailable", None, False)],
    # Like the SDK's ImageGroup, which has more fields than the document.
    "fields": [
        ("missing-in-spec", "field ImageGroup.id", "String", None, False),
        ("missing-in-spec", "field ImageGroup.description", "String", None, False),
    ],
    "query_extra": [("missing-in-spec", "query parameter swr_instance_id", "String, optional", None, False)],
    "query_five": _missing_doc(
        [
            ("name_fuzzy_match", "boolean"),
            ("service_type", "string"),
            ("sort_dir", "string"),
            ("sort_key", "array of string"),
            ("type", "string"),
        ]
    ),
    # The workspace_id rewording keeps its default (0): descriptions of parameters are not compared.
    "otc_2025": [
        (
            "enum-description",
            "query parameter type.DEDICATED",
            "image you created or that was shared with you",
            "private image",
            False,
        ),
        *_missing_doc(
            [
                ("limit", "integer(int32)"),
                ("offset", "integer(int32)"),
                ("service_type", "string"),
                ("sort_dir", "string"),
                ("sort_key", "array of string"),
            ]
        ),
    ],
    "example": [("example", "example 200 /data/0/version_count", '"2"', 'type: "integer"', False)],
}


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda layout: layout.name)
def test_matching_page_has_no_difference(layout: Layout, capsys: pytest.CaptureFixture[str]) -> None:
    assert diffs_of(page(layout)) == []
    status, out = run(page(layout), capsys)
    assert status == 0
    assert out.splitlines()[-1] == "undeclared drift 0, deliberate 0"


@pytest.mark.parametrize("edit", sorted(EXPECTED))
@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda layout: layout.name)
def test_each_kind_of_difference(layout: Layout, edit: str, capsys: pytest.CaptureFixture[str]) -> None:
    expected = EXPECTED[edit]
    assert diffs_of(page(layout, edit)) == expected
    status, out = run(page(layout, edit), capsys)
    assert status == 1
    assert out.splitlines()[-1] == f"undeclared drift {len(expected)}, deliberate 0"
    for _, location, *_ in expected:  # one line per difference, in the text report too
        assert sum(f" {location} " in line for line in out.splitlines()) == 1


@pytest.mark.parametrize("edit", [None, *sorted(EXPECTED)])
def test_the_same_content_gives_the_same_model_in_every_layout(edit: str | None) -> None:
    models = [parse_page(page(layout, edit).read_text(encoding="utf-8")) for layout in LAYOUTS]
    assert [m.layout for m in models] == ["doc-exports HTML", "Sphinx HTML", "reStructuredText"]
    assert models[0] == models[1] == models[2]


def test_the_model_holds_enum_descriptions_defaults_and_the_example() -> None:
    model = parse_page(page(LAYOUTS[2]).read_text(encoding="utf-8"))
    query = {f.name: f for f in model.query_params}
    assert query["type"].enum == {"BUILD_IN": "built-in system image", "DEDICATED": "private image"}
    assert query["sort_dir"].enum == {"ASC": "ascending order", "DESC": "descending order"}
    assert (query["sort_dir"].default, query["limit"].default, query["workspace_id"].default) == (
        "DESC",
        "200",
        "0",
    )
    assert query["sort_key"].enum is None and query["name"].mandatory is False
    assert model.path_params[0].description == "Project ID. For details, see Obtaining a Project ID and Name."
    assert [f.name for f in model.objects["ImageGroup"]] == [
        "name",
        "create_at",
        "namespace",
        "update_at",
        "version_count",
    ]
    assert model.bodies[200][1].type == "Array of ImageGroup objects"
    assert model.examples[200].problem is None
    assert model.examples[200].body["data"][0]["namespace"] == "ml-team"  # type: ignore[index]
    assert sorted(model.status_codes) == [200, 400, 401, 403, 404, 429, 500]


def test_default_spec_is_the_packaged_one(capsys: pytest.CaptureFixture[str]) -> None:
    """Without --spec the check reads the spec the suite reads (package data), whatever the cwd."""
    assert load_spec() == load_spec(SPEC)
    assert main([str(page(EXPORT_LAYOUT))]) == 0
    assert "the packaged spec (openapi/images-group.yaml)" in capsys.readouterr().out


def test_missing_parameters_are_grouped_one_per_line(capsys: pytest.CaptureFixture[str]) -> None:
    _, out = run(page(EXPORT_LAYOUT, "query_five"), capsys)
    lines = out.splitlines()
    assert "query parameter (5):" in lines
    start = lines.index("query parameter (5):")
    assert all("missing-in-doc" in line for line in lines[start + 1 : start + 6])


def test_export_has_only_deliberate_differences(capsys: pytest.CaptureFixture[str]) -> None:
    text = EXPORT.read_text(encoding="utf-8")
    html = strip_header(text)
    assert html.startswith("<a name=") and text.endswith(html)
    assert "GET /v1/{project_id}/images/groups/" in text.removesuffix(html)  # a trap in the header
    model = parse_page(text)  # skips the text header, so the URI comes from the page itself
    assert (model.method, model.path) == ("GET", "/v1/{project_id}/images/group")
    assert len(model.query_params) == 10
    found = compare(model, load_spec(SPEC))
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
    assert query["service_type"].enum == {
        "COMMON": "common image",
        "INFERENCE": "image used for inference",
        "TRAIN": "image used for training",
        "DEV": "image used for development and debugging",
        "UNKNOWN": "image whose supported services are not specified",
    }
    assert query["type"].enum == {"BUILD_IN": "built-in system image", "DEDICATED": "private image"}
    assert query["sort_dir"].enum == {"ASC": "ascending order", "DESC": "descending order"}
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
    status, out = run(page(LAYOUTS[1], "default"), capsys, "--format", "json")
    report = json.loads(out)
    assert status == 1
    assert report["layout"] == "Sphinx HTML"
    assert report["fetched_at"] is None and report["from_cache"] is False
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


def test_an_example_that_is_not_json_is_drift() -> None:
    text = page(EXPORT_LAYOUT).read_text(encoding="utf-8").replace('"pages" : 1,', '"pages" : 1,,')
    found = compare(parse_page(text), load_spec(SPEC))
    assert [(d.kind, d.location, d.spec) for d in found] == [("example", "example 200 (body)", "JSON")]
    assert found[0].doc is not None and found[0].doc.startswith("not JSON:")


def test_example_errors_are_capped_and_declared_on_the_media_type() -> None:
    model = parse_page(page(EXPORT_LAYOUT).read_text(encoding="utf-8"))
    model.examples[200].body = {"data": [{"create_at": "x"} for _ in range(50)]}
    spec = copy.deepcopy(load_spec(SPEC))
    found = [d for d in compare(model, spec) if d.kind == "example"]
    assert len(found) == 5 and not any(d.deliberate for d in found)
    media = spec["paths"]["/v1/{project_id}/images/group"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]
    media["x-deliberate"] = "the page's example is older than the spec"
    found = [d for d in compare(model, spec) if d.kind == "example"]
    assert found and all(d.deliberate and "older than the spec" in d.note for d in found)


def test_enum_descriptions_are_compared_as_words() -> None:
    # Case, spacing and a final full stop are wording, not drift.
    rst = LAYOUTS[2]
    text = rst.text.replace(rst.row("type"), rst.sub(rst.row("type"), "private image", "Private  image."))
    assert compare(parse_page(text), load_spec(SPEC)) == []


def test_a_broken_rst_table_is_named_in_the_error() -> None:
    rst = LAYOUTS[2]
    text = rst.text.replace(rst.row("limit"), rst.row("limit").replace("| No ", "| No  ", 1))
    with pytest.raises(PageFormatError, match=r"no 'Query Parameters' table .*line \d+: Malformed table"):
        parse_page(text)


def test_sort_key_must_be_sent_comma_joined() -> None:
    # The doc's comma-separated String is the spec's array only with style form, explode false.
    spec = load_spec(SPEC)
    params = spec["paths"]["/v1/{project_id}/images/group"]["get"]["parameters"]
    next(p for p in params if p["name"] == "sort_key")["explode"] = True
    found = compare(parse_page(page(EXPORT_LAYOUT).read_text(encoding="utf-8")), spec)
    assert [(d.kind, d.location, d.doc, d.spec) for d in found] == [
        ("type", "query parameter sort_key", "string", "array of string")
    ]
    assert "comma-joined" in found[0].note


def test_x_deliberate_on_a_parameter_declares_its_difference() -> None:
    spec = copy.deepcopy(load_spec(SPEC))
    params = spec["paths"]["/v1/{project_id}/images/group"]["get"]["parameters"]
    next(p for p in params if p["name"] == "type")["x-deliberate"] = "kept for 23.3.0 clients"
    found = {d.location: d for d in compare(parse_page(page(EXPORT_LAYOUT, "query_five").read_text()), spec)}
    assert found["query parameter type"] == Difference(
        "missing-in-doc", "query parameter type", None, "string, optional", True, "kept for 23.3.0 clients"
    )
    assert sum(d.deliberate for d in found.values()) == 1


@pytest.mark.parametrize(
    "argv",
    [
        [str(FIXTURES / "not_a_page.html")],  # no query-parameter table
        [str(FIXTURES / "does-not-exist.html")],
        [str(FIXTURES / "match.html"), "--spec", str(FIXTURES / "does-not-exist.yaml")],
        [str(FIXTURES / "match.html"), "--format", "xml"],
        [str(FIXTURES / "match.html"), "--max-bytes", "100"],  # larger than the cap
        [str(FIXTURES / "match.html"), "--timeout", "0"],
        [],
    ],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert capsys.readouterr().err


@pytest.mark.slow
def test_cli_as_a_module() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "modelarts_contract.drift", str(page(LAYOUTS[2], "fields")), f"--spec={SPEC}"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert "(reStructuredText)" in done.stdout.splitlines()[0]
    assert "field ImageGroup (2):" in done.stdout
    assert done.stdout.splitlines()[-1] == "undeclared drift 2, deliberate 0"
