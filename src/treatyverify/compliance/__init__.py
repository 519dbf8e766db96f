"""Every rule that turns records into findings, behind one interface (records in,
findings out): :func:`evaluate` applies each rule of :data:`RULES` that a treaty states;
:func:`stated_rules` lists what a treaty states and what checks it. See
``docs/compliance.md``.

>>> from treatyverify.compliance import evaluate
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from treatyverify.compliance.engine import (
        RULES,
        Rule,
        StatedRule,
        evaluate,
        stated_rules,
        unchecked,
    )
    from treatyverify.compliance.findings import Finding

__all__ = ["RULES", "Finding", "Rule", "StatedRule", "evaluate", "stated_rules", "unchecked"]


def __getattr__(name: str) -> Any:
    # Loaded on first use, so that importing ``compliance.findings`` stays light.
    if name == "Finding":
        from treatyverify.compliance import findings

        return findings.Finding
    if name in __all__:
        from treatyverify.compliance import engine

        return getattr(engine, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
