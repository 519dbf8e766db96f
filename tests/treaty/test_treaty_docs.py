"""The committed pages in docs/treaties equal the generated ones, so docs never drift."""

from __future__ import annotations

from pathlib import Path

import pytest

from treatyverify.treaty import index_markdown, list_treaties, load_treaty, treaty_markdown
from treatyverify.treaty.docs import write_docs

DOCS = Path(__file__).resolve().parents[2] / "docs" / "treaties"
REGENERATE = "regenerate with: python -m treatyverify.compliance.docs docs/treaties"


@pytest.mark.parametrize("treaty_id", list_treaties())
def test_committed_page_matches_generated(treaty_id: str) -> None:
    page = DOCS / f"{treaty_id}.md"
    assert page.is_file(), f"{page} is missing; {REGENERATE}"
    expected = treaty_markdown(load_treaty(treaty_id))
    assert page.read_text(encoding="utf-8") == expected, f"{page} is stale; {REGENERATE}"


def test_committed_index_matches_generated() -> None:
    # The index carries the table of rules and their checks, from the compliance package.
    from treatyverify.compliance.docs import index_with_rules

    specs = [load_treaty(t) for t in list_treaties()]
    index = DOCS / "README.md"
    assert index_markdown(specs).split("\n", 1)[1] in index.read_text(encoding="utf-8")
    assert index.read_text(encoding="utf-8") == index_with_rules(specs), REGENERATE


def test_page_lists_every_number_with_its_source() -> None:
    page = treaty_markdown(load_treaty("new-start"))
    for text in ["700", "1550", "800", "Article II.1(a)", "Article II.1(b)", "Article II.1(c)"]:
        assert text in page
    assert load_treaty("new-start").digest() in page


def test_write_docs(tmp_path: Path) -> None:
    written = write_docs(tmp_path / "out")
    assert {p.name for p in written} == {f"{t}.md" for t in list_treaties()} | {"README.md"}
