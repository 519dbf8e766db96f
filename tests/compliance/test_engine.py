"""The compliance interface: every stated rule has its check, the table in
docs/treaties/README.md is the generated one, and no package cycle runs through
compliance, exchange or notifications."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from treatyverify.compliance.docs import index_with_rules
from treatyverify.compliance.engine import RULES, evaluate, rule, stated_rules, unchecked
from treatyverify.treaty import list_treaties, load_treaty

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "treatyverify"


@pytest.mark.parametrize("treaty_id", list_treaties())
def test_every_stated_rule_is_checked(treaty_id: str) -> None:
    spec = load_treaty(treaty_id)
    assert unchecked(spec) == []
    rule_ids = {r.id for r in RULES}
    for stated in stated_rules(spec):
        assert stated.source, stated.field
        if stated.checker is not None and stated.checker not in rule_ids:
            assert callable(_resolve(stated.checker)), stated.checker


def _resolve(dotted: str) -> object:
    """The object a dotted name gives: the longest importable module, then attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            found = getattr(found, name)
        return found
    raise AssertionError(f"nothing importable in {dotted}")


def test_new_start_states_counting_quota_and_due_rules_that_are_checked() -> None:
    checked = {s.field: s.checker for s in stated_rules(load_treaty("new-start"))}
    assert checked["counting_rules.heavy-bomber-warheads"] == "limit"
    assert checked["inspections.type-one.annual_quota"] == "inspection-quota"
    assert checked["declarations.six-month-update.due"] == "declaration-due"
    assert checked["limits.warheads.effective"] == "limit"


def test_limits_apply_only_from_their_effective_date() -> None:
    from rule_helpers import declaration

    spec = load_treaty("inf")  # shorter-range missiles: zero from 18 months after 1 June 1988
    early = declaration(
        1,
        "su",
        "1989-06-01T00:00:00Z",
        "initial-data-update",
        date(1989, 6, 1),
        {"shorter-range-missile": 10},
    )
    late = early._replace(body={**early.body, "as_of": "1989-12-01"})
    before = {f.rule: f for f in evaluate(spec, [early], as_of=date(1989, 6, 2))}
    after = {f.rule: f for f in evaluate(spec, [late], as_of=date(1989, 12, 2))}
    assert before["limit:shorter-range-missiles"].compliant
    assert before["limit:shorter-range-missiles"].values["effective"] == "1989-12-01"
    assert not after["limit:shorter-range-missiles"].compliant


def test_rule_lookup_names_the_known_rules() -> None:
    assert rule("limit").covers("limits.warheads.maximum")
    with pytest.raises(KeyError, match="inspection-quota"):
        rule("no-such-rule")


def test_committed_index_has_the_generated_rule_table() -> None:
    specs = [load_treaty(t) for t in list_treaties()]
    index = (ROOT / "docs" / "treaties" / "README.md").read_text(encoding="utf-8")
    assert index == index_with_rules(specs), (
        "regenerate with: python -m treatyverify.compliance.docs docs/treaties"
    )


def _package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        parts = path.relative_to(SRC).parts
        package = parts[0] if len(parts) > 1 else parts[0].removesuffix(".py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                pieces = name.split(".")
                if pieces[0] == "treatyverify" and len(pieces) > 1 and pieces[1] != package:
                    graph.setdefault(package, set()).add(pieces[1])
    return graph


def _reaches(graph: dict[str, set[str]], start: str, goal: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        for nxt in graph.get(node, set()):
            if nxt == goal:
                return True
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return False


@pytest.mark.parametrize("package", ["compliance", "exchange", "notifications"])
def test_no_import_cycle_through_the_rule_packages(package: str) -> None:
    graph = _package_graph()
    assert not _reaches(graph, package, package), f"{package} imports itself back"


@pytest.mark.parametrize("package", ["compliance", "exchange", "notifications", "treaty"])
def test_each_package_imports_alone_in_a_fresh_interpreter(package: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", f"import treatyverify.{package}"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_a_rule_the_engine_does_not_know_is_refused_with_its_line(tmp_path: Path) -> None:
    from treatyverify.compliance.coverage import require_every_rule_checked
    from treatyverify.errors import SpecError

    text = (SRC / "treaties" / "us-ussr-launch-notification-1988.yaml").read_text()
    stated = "    conditions:\n      impact_area:"
    assert stated in text
    text = text.replace(
        stated, "    conditions:\n      max_launches_per_day: 3\n      impact_area:"
    )
    path = tmp_path / "mine.yaml"
    path.write_text(text)
    spec = load_treaty(path)
    line = text.splitlines().index("      max_launches_per_day: 3") + 1
    with pytest.raises(SpecError) as caught:
        require_every_rule_checked(spec, name="mine.yaml", text=text)
    assert caught.value.where == (
        f"mine.yaml:{line}:7: notifications[0].conditions.max_launches_per_day"
    )
    assert "does not know" in caught.value.message
