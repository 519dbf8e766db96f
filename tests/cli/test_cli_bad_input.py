"""No traceback, hang or multi-line error for bad input, in any command (issue 17).

The commands come from the CLI's own command tree (``benchmarks/cli_bad_input.py``), so
a new command is covered without anyone listing it. One test feeds every parameter of
every command the fixed malformed cases (files that are missing, folders, undecodable,
deeply nested, alias bombs, NaN and overflowing numbers; NaN, infinite, huge and negative
numbers; empty, NUL-bearing and very long strings; for an output, an existing file, the
ledger, an owner-only file and a FIFO, which must be left as they were); the other
draws values with Hypothesis.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import cli_bad_input as harness

BAD = ("traceback", "hang", "multi-line", "overwrote")
SLOW = {("exercise run", "runs"), ("exercise run", "workers"), ("template compare", "monte_carlo")}
"""Parameters whose largest valid values legitimately run for minutes."""


def test_every_command_refuses_every_malformed_case_in_one_line() -> None:
    outcomes = harness.run(timeout_s=60)
    bad = [
        f"{o.command} {o.parameter} {o.case}: {o.kind} {o.detail}"
        for o in outcomes
        if o.kind in BAD
    ]
    assert not bad, bad
    assert len({o.command for o in outcomes}) >= 45
    assert len(outcomes) >= 1500


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[harness.Workspace]:
    yield harness.Workspace(tmp_path_factory.mktemp("bad-input"))


def _visible_entries() -> set[Path]:
    """The working folder's entries, less the tools' own (.hypothesis, caches)."""
    return {p for p in Path.cwd().iterdir() if not p.name.startswith(".")}


STARTED_IN = _visible_entries()
"""The working folder's entries before any case ran: the cases run in a scratch folder."""

COMMANDS = [
    (name, command) for name, command in harness.commands() if name not in ("serve", "demo")
]


def _value(annotation: Any) -> st.SearchStrategy[str]:
    base = harness.base_type(annotation)
    if base is int:
        return st.one_of(st.integers(-(2**70), 2**70).map(str), st.text(max_size=12))
    if base is float:
        return st.one_of(
            st.floats(allow_nan=True, allow_infinity=True).map(repr), st.text(max_size=12)
        )
    return st.text(max_size=300)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_drawn_values_never_crash_a_command(
    data: st.DataObject, workspace: harness.Workspace
) -> None:
    name, command = data.draw(st.sampled_from(COMMANDS))
    hints = harness.annotations(command)
    params = [p for p in command.params if not getattr(p, "is_flag", False)]
    candidates = [p for p in params if (name, p.name) not in SLOW]
    if not candidates:
        return
    target = data.draw(st.sampled_from(candidates))
    value = data.draw(_value(hints.get(target.name)))
    args = harness.arguments(workspace, name, params, target, value, hints)
    kind, detail = harness.invoke(args, 60, workspace.scratch)
    assert kind not in BAD, (args, kind, detail)
    assert _visible_entries() == STARTED_IN, "a case wrote into the working folder"
