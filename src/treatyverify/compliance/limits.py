"""Compliance of declarations with a treaty's numerical limits."""

from __future__ import annotations

from collections.abc import Mapping

from treatyverify.compliance.findings import Finding
from treatyverify.errors import SpecError
from treatyverify.exchange.declarations import Declaration
from treatyverify.records.ledger import Record
from treatyverify.treaty import TreatySpec

__all__ = ["evaluate_limits"]


def evaluate_limits(
    spec: TreatySpec, declarations: Mapping[str, tuple[Record, Declaration]]
) -> list[Finding]:
    """Apply every limit of ``spec`` to each party's declaration.

    Parameters
    ----------
    spec
        The treaty specification; it must define limits.
    declarations
        The declaration record and parsed declaration of each party to evaluate.

    Returns
    -------
    list of Finding
        One finding per party and limit, in party then limit order.

    Raises
    ------
    SpecError
        When the treaty defines no numerical limits.
    """
    if not spec.limits:
        raise SpecError("the treaty defines no numerical limits", where=f"treaty {spec.id}: limits")
    findings: list[Finding] = []
    for party in sorted(declarations):
        record, declaration = declarations[party]
        totals = declaration.totals()
        for limit in spec.limits:
            parts = {item_class: totals.get(item_class, 0) for item_class in limit.counts}
            total = sum(parts.values())
            compliant = total <= limit.maximum
            relation = "within" if compliant else "exceeds"
            statement = (
                f"{party} declared {total} {limit.unit} as of {declaration.as_of} "
                f"({limit.description}): {relation} the limit of {limit.maximum}"
            )
            findings.append(
                Finding(
                    rule=f"limit:{limit.id}",
                    subject=party,
                    statement=statement,
                    compliant=compliant,
                    values={
                        "declared": total,
                        "maximum": limit.maximum,
                        "by_class": parts,
                        "as_of": declaration.as_of.isoformat(),
                    },
                    source=limit.source,
                    basis=(record,),
                )
            )
    return findings
