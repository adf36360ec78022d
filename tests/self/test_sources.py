"""Every source the spec names leads somewhere inside the repository (issue 13).

The spec's sources resolve to sections of docs/contract.md, those sections exist and list what is
cited, every rule has its section, and no tracked file points outside the checkout.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml
from tests.self.helpers import ROOT

from modelarts_contract.contract import load_document
from modelarts_contract.sources import (
    CONTRACT_DOC,
    RULES,
    Reference,
    SourceError,
    parse_source,
    render_source,
    spec_sources,
)

ANCHOR = re.compile(r'<a id="([^"]+)"></a>')
DOC_TEXT = (ROOT / CONTRACT_DOC).read_text(encoding="utf-8")


def _sections(text: str) -> dict[str, str]:
    """Anchor -> the text from that anchor to the next one."""
    found = list(ANCHOR.finditer(text))
    ends = [m.start() for m in found[1:]] + [len(text)]
    return {m.group(1): text[m.end() : end] for m, end in zip(found, ends, strict=True)}


SECTIONS = _sections(DOC_TEXT)


@pytest.fixture(scope="module")
def sources() -> list[tuple[str, object]]:
    found = list(spec_sources(load_document()))
    assert len(found) > 50  # parameters, fields, responses, annotations and the clauses
    return found


@pytest.fixture(scope="module")
def references(sources) -> list[tuple[str, Reference]]:
    return [(where, ref) for where, source in sources for ref in parse_source(source)]


def test_every_source_in_the_spec_resolves(sources) -> None:
    broken = []
    for where, source in sources:
        try:
            parse_source(source)
        except SourceError as exc:
            broken.append(f"{where}: {exc}")
    assert broken == []


def test_every_clause_is_among_the_sources(sources) -> None:
    raw = load_document()
    clause_ids = {where.removeprefix("x-clauses ") for where, _ in sources if where.startswith("x-clauses ")}
    assert clause_ids == {c["id"] for c in raw["x-clauses"]}
    assert "/components/schemas/Error/properties/error_solution x-source" in dict(sources)  # inline maps too


def test_spec_sources_walks_every_depth_once() -> None:
    document = yaml.safe_load(
        "x-clauses: [{id: R1.a, source: R1}]\n"
        "a: &node {x-source: R2, b: [{c: {x-source: R3}}], again: *node}\n"  # a recursive alias
    )
    assert list(spec_sources(document)) == [
        ("x-clauses R1.a", "R1"),
        ("/a x-source", "R2"),
        ("/a/b/0/c x-source", "R3"),
    ]


def test_every_anchor_a_reference_points_to_exists(references) -> None:
    missing = sorted({ref.location for _, ref in references if ref.anchor not in SECTIONS})
    assert missing == []
    assert all(ref.location.startswith(f"{CONTRACT_DOC}#") for _, ref in references)


def test_every_row_or_field_a_reference_cites_is_listed_in_its_section(references) -> None:
    # "doc table 3, row pages" needs a row `pages` in the table of that section, and so on.
    unlisted = sorted(
        {
            f"{where}: {ref.label}: no row `{name}` in #{ref.anchor}"
            for where, ref in references
            for name in ref.names
            if not re.search(rf"^\| `{re.escape(name)}` \|", SECTIONS.get(ref.anchor, ""), re.M)
        }
    )
    assert unlisted == []


def test_every_rule_has_a_section_under_its_anchor() -> None:
    for number in RULES:
        section = SECTIONS.get(f"r{number}")
        assert section is not None, f'no <a id="r{number}"></a> in {CONTRACT_DOC}'
        assert re.match(rf"\n### R{number} \S", section), (
            f"R{number}: the anchor must stand right before its heading"
        )
        assert "**The suite asserts:**" in section, f"R{number} must say what the suite asserts"


def test_every_rule_the_spec_cites_has_a_section(sources, references) -> None:
    cited = {int(ref.label[1:]) for _, ref in references if re.fullmatch(r"R\d+", ref.label)}
    cited |= {
        int(re.match(r"x-clauses R(\d+)\.", where)[1])
        for where, _ in sources
        if where.startswith("x-clauses")
    }
    assert cited and cited <= set(RULES)
    assert all(f"r{number}" in SECTIONS for number in cited)


def test_the_contract_page_is_consistent() -> None:
    anchors = ANCHOR.findall(DOC_TEXT)
    assert len(anchors) == len(set(anchors)), "an anchor is defined twice"
    # Every anchor that opens a line opens a heading (the per-code anchors sit inside a list).
    for match in re.finditer(r'^<a id="([^"]+)"></a>\n(.*)$', DOC_TEXT, re.M):
        assert match.group(2).startswith("#"), f"{match.group(1)}: a heading must follow the anchor"
    links = set(re.findall(r"\]\(#([^)]+)\)", DOC_TEXT))
    assert links - set(anchors) == set(), "a link inside the page leads nowhere"


@pytest.mark.parametrize(
    ("source", "rendered"),
    [
        (
            "R9; doc table 3, row pages",
            "R9 (docs/contract.md#r9); doc table 3, row pages (docs/contract.md#doc-table-3)",
        ),
        (
            "doc table 2, row limit; R2 (32-bit, >= 1, no documented maximum); R3 (else 400)",
            "doc table 2, row limit (docs/contract.md#doc-table-2); R2 (docs/contract.md#r2); "
            "R3 (docs/contract.md#r3)",
        ),
        (
            "R5 (keys are ImageGroup fields; anything else 400)",  # a ';' inside a note splits nothing
            "R5 (docs/contract.md#r5)",
        ),
        (
            'doc "Status Codes", row 401; SDK ListImageGroupRequest.namespace; OTC error code ModelArts.0101',
            'doc "Status Codes", row 401 (docs/contract.md#doc-status-codes); SDK ListImageGroupRequest.namespace '
            "(docs/contract.md#sdk-listimagegrouprequest); OTC error code ModelArts.0101 "
            "(docs/contract.md#otc-modelarts-0101)",
        ),
        (
            "doc (23.3.0); SDK Signer; OTC error body",
            "doc (docs/contract.md#doc); SDK Signer (docs/contract.md#sdk-signer); "
            "OTC error body (docs/contract.md#otc-error-body)",
        ),
    ],
)
def test_render_for_a_failure_message(source: str, rendered: str) -> None:
    assert render_source(source) == rendered


def test_a_reference_keeps_its_cited_names_and_note() -> None:
    (rows,) = parse_source("doc table 2, rows name, namespace and type (filters)")
    assert rows == Reference("doc table 2, rows name, namespace and type", "docs/contract.md#doc-table-2",
                             ("name", "namespace", "type"), "filters")  # fmt: skip
    (field,) = parse_source("SDK ImageGroup.version_count")
    assert field.names == ("version_count",) and field.anchor == "sdk-imagegroup"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("", "empty source"),
        ("R19", "no rule R19"),
        ("R09", "cannot resolve 'R09'"),
        ("doc table 5, row x", "no doc table 5"),
        ('doc "Errors"', "no doc section 'Errors'"),
        ("SDK ModelArtsClient", "no SDK class ModelArtsClient"),
        ("OTC error code ModelArts.9999", "no OTC error code ModelArts.9999"),
        ("R2, R3", "cannot resolve 'R2, R3'"),  # references are joined by "; " only
        ("R9; doc table 3 row pages", "cannot resolve 'doc table 3 row pages'"),
        ("doc table 2, rows limit", "cannot resolve"),  # "rows" needs two names or more
        ("R1;R2", 'joined by "; "'),
        ("R1; ", 'joined by "; "'),
        ("R1 (unclosed", "unbalanced '('"),
        ("R1) (x", "unbalanced ')'"),
        ("R1(no space)", "cannot resolve 'R1(no space)'"),
        ("R1 ()", "cannot resolve 'R1 ()'"),
        ("huaweicloudsdkcore 3.1.219 Signer", "cannot resolve"),
    ],
)
def test_an_unresolvable_source_is_a_clear_error(source: str, message: str) -> None:
    with pytest.raises(SourceError, match=re.escape(message)) as caught:
        parse_source(source)
    assert source in str(caught.value) or not source


# The forbidden references, built from parts so that this file does not contain them itself.
_SHARED = "shared"
FORBIDDEN = (f"../{_SHARED}", f"/work/{_SHARED}", f"{_SHARED}/CONTRACT-RULINGS", f"{_SHARED}/seeds")
# .ci/run may check the real page beside the checkout, in its own step.
ALLOWED = {".ci/run": f"../{_SHARED}/seeds"}


def _tracked_files() -> list[str]:
    try:
        done = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=30
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"not a git checkout: {exc}")
    return [name for name in done.stdout.decode().split("\0") if name]


def _offences(name: str, root: Path = ROOT) -> list[str]:
    path = root / name
    if not path.is_file():
        return []  # deleted in the work tree, not yet in the index
    text = path.read_bytes().decode("utf-8", errors="replace")
    if name in ALLOWED:
        text = text.replace(ALLOWED[name], "")
    return [f"{name}: {pattern}" for pattern in FORBIDDEN if pattern in text]


def test_no_tracked_file_points_outside_the_repository() -> None:
    files = _tracked_files()
    assert "openapi/images-group.yaml" in files and CONTRACT_DOC in files, "commit docs/contract.md"
    assert [o for name in files for o in _offences(name)] == []


def test_the_guard_sees_a_forbidden_reference(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text(f"see ../{_SHARED}/seeds/page.txt\n", encoding="utf-8")
    (tmp_path / ".ci").mkdir()
    (tmp_path / ".ci" / "run").write_text(
        f"[ -d ../{_SHARED}/seeds ] && cat /work/{_SHARED}/x\n", encoding="utf-8"
    )
    assert _offences("notes.md", tmp_path) == [f"notes.md: ../{_SHARED}", f"notes.md: {_SHARED}/seeds"]
    # In .ci/run only the seed step's path is allowed.
    assert _offences(".ci/run", tmp_path) == [f".ci/run: /work/{_SHARED}"]
