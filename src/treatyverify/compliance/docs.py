"""The index of ``docs/treaties/`` with its table of every stated rule and its check.

The table is generated from the code (:func:`~treatyverify.compliance.engine.stated_rules`),
so it cannot claim a check that does not exist; write the treaty pages and the index with::

    python -m treatyverify.compliance.docs docs/treaties
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from treatyverify.compliance.engine import RULES, stated_rules
from treatyverify.treaty import TreatySpec, list_treaties, load_treaty
from treatyverify.treaty.docs import index_markdown, write_docs

__all__ = ["index_with_rules", "main", "rules_markdown"]


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split()) or "—"


def rules_markdown(specs: Sequence[TreatySpec]) -> str:
    """The section listing, per treaty, each stated rule and the check that reads it."""
    out = [
        "## Rules and their checks",
        "",
        "Every rule a shipped specification states, and the compliance rule",
        "(`treatyverify.compliance.engine.RULES`, applied by `treatyverify record evaluate`)",
        "or library check that reads it. See [../compliance.md](../compliance.md).",
        "",
        "| rule | reads | checks |",
        "| --- | --- | --- |",
    ]
    out += [
        f"| `{r.id}` | {', '.join(f'`{p}`' for p in r.reads)} | {r.description} |" for r in RULES
    ]
    for spec in specs:
        listed = stated_rules(spec)
        out += ["", f"### {spec.short_name} (`{spec.id}`)", ""]
        if not listed:
            out.append(
                "States no limits, counting rules, declarations, notices or inspections; its "
                "parameters are read by the methods and exercises that use them."
            )
            continue
        out += ["| field | value | source | checked by |", "| --- | --- | --- | --- |"]
        out += [
            f"| `{s.field}` | {_cell(s.value)} | {_cell(s.source)} | "
            f"{'**unchecked**' if s.checker is None else f'`{s.checker}`'} |"
            for s in listed
        ]
    unchecked = sum(1 for spec in specs for s in stated_rules(spec) if s.checker is None)
    out += ["", f"Stated rules that nothing checks: {unchecked}."]
    return "\n".join(out) + "\n"


def index_with_rules(specs: Sequence[TreatySpec]) -> str:
    """``docs/treaties/README.md``: the index of treaty pages and the table of rules."""
    return f"{index_markdown(specs)}\n{rules_markdown(specs)}"


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry: ``python -m treatyverify.compliance.docs [DIRECTORY]``."""
    args = list(sys.argv[1:] if argv is None else argv)
    directory = Path(args[0]) if args else Path("docs/treaties")
    written = write_docs(directory)
    specs = [load_treaty(t) for t in list_treaties()]
    (directory / "README.md").write_text(index_with_rules(specs), encoding="utf-8")
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
