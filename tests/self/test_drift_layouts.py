"""Which layout a page is in is told by its content; a page in no known layout is a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelarts_contract.drift import PageFormatError, parse_page
from modelarts_contract.drift.__main__ import main
from modelarts_contract.drift.read_rst import read as read_rst

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "drift"
SPHINX = (FIXTURES / "match_sphinx.html").read_text(encoding="utf-8")
RST = (FIXTURES / "match.rst").read_text(encoding="utf-8")
EXPORT = (FIXTURES / "match.html").read_text(encoding="utf-8")


def test_the_layout_comes_from_the_content_not_the_file_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    misnamed = tmp_path / "ListImageGroup.html"
    misnamed.write_text(RST, encoding="utf-8")
    assert main([str(misnamed)]) == 0
    assert "(reStructuredText)" in capsys.readouterr().out.splitlines()[0]
    assert parse_page(SPHINX).layout == "Sphinx HTML"
    assert parse_page(EXPORT).layout == "doc-exports HTML"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("Obtaining User Image Groups\n\nGET /v1/{project_id}/images/group\n", "no tables found"),
        ("| Parameter | Type |\n| --- | --- |\n| limit | Integer |\n", "no tables found"),  # Markdown
        ('{"openapi": "3.0.3", "paths": {}}', "no tables found"),
        (
            "<html><body><table><caption>Query Parameters</caption><tr><th>Parameter</th></tr>"
            "<tr><td>limit</td></tr></table></body></html>",
            "an HTML page with tables, but not one of",
        ),
    ],
    ids=["plain text", "markdown", "json", "html of another kind"],
)
def test_an_unknown_layout_names_what_was_looked_for(
    text: str, said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(PageFormatError, match=said) as caught:
        parse_page(text)
    for looked_for in (
        "doc-exports HTML: div.tablenoborder",
        "Sphinx HTML: th.head",
        "reStructuredText: tables",
    ):
        assert looked_for in str(caught.value)
    page = tmp_path / "page.txt"
    page.write_text(text, encoding="utf-8")
    assert main([str(page)]) == 2
    assert "unknown page layout" in capsys.readouterr().err


def test_sphinx_caption_numbers_and_pilcrows_are_not_caption_text() -> None:
    # With numfig on, Sphinx writes the number again before the caption's text.
    numbered = SPHINX.replace(
        '<caption><span class="caption-text">',
        '<caption><span class="caption-number">Table 9 </span><span class="caption-text">',
    )
    assert numbered.count("caption-number") == 4
    assert parse_page(numbered) == parse_page(SPHINX)


def test_rst_cannot_read_local_files_or_pass_raw_markup(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("a-local-secret-that-must-not-show", encoding="utf-8")
    hostile = RST + f"\n.. include:: {secret}\n\n.. raw:: html\n   :file: {secret}\n"
    blocks = read_rst(hostile)
    assert "a-local-secret-that-must-not-show" not in repr(blocks)
    assert len(blocks.tables) == 5  # the page's own are still read


def test_rst_sphinx_markup_is_read_as_sphinx_shows_it() -> None:
    # :ref: with and without an explicit title; code-block with a language and Sphinx's options.
    text = RST.replace(
        "See :ref:`Error Codes <modelarts_03_0095>`.",
        "See :ref:`modelarts_03_0095` and :doc:`the overview <overview>`.",
    ).replace(".. code-block::\n", ".. code-block:: json\n   :emphasize-lines: 2\n   :caption: A listing\n")
    blocks = read_rst(text)
    assert blocks.problems == []
    assert blocks.text["Error Codes"].split() == ["See", "modelarts_03_0095", "and", "the", "overview."]
    assert parse_page(text) == parse_page(RST)


def test_a_status_line_split_by_markup_still_names_the_table_below() -> None:
    # "Status code: <b>400</b>" reaches the reader in two pieces; the body table below is the 400 one.
    error_table = (
        '<p><strong>Status code: </strong><b>400</b></p><div class="tablenoborder"><table>'
        "<caption><b>Table 5 </b>Response body parameters</caption><thead><tr><th>Parameter</th>"
        "<th>Type</th><th>Description</th></tr></thead><tbody><tr><td>error_code</td><td>String</td>"
        "<td>Error code.</td></tr></tbody></table></div>"
    )
    text = EXPORT.replace(
        '<div class="section"><h4 class="sectiontitle">Example Responses</h4>',
        error_table + "</div>\n" + '<div class="section"><h4 class="sectiontitle">Example Responses</h4>',
        1,
    )
    model = parse_page(text)
    assert sorted(model.bodies) == [200, 400]
    assert [f.name for f in model.bodies[400]] == ["error_code"]
