"""Compliance of declarations with a treaty's numerical limits, from the date each applies.

Counts are those the treaty counts (:func:`~treatyverify.compliance.counting.counted_totals`):
an attributed class (one warhead per deployed heavy bomber) counts its attributed number.
"""

from __future__ import annotations

from collections.abc import Mapping

from treatyverify.compliance.counting import counted_totals, evaluate_counting
from treatyverify.compliance.findings import Finding
from treatyverify.errors import SpecError
from treatyverify.exchange.declarations import Declaration, DeclarationsInEffect
from treatyverify.records.ledger import Record
from treatyverify.treaty import TreatySpec

__all__ = [
    "MALFORMED_DECLARATION_RULE",
    "evaluate_declarations",
    "evaluate_limits",
    "malformed_findings",
]

MALFORMED_DECLARATION_RULE = "declaration:well-formed"
"""Rule of the finding made for a declaration record that cannot be read."""


def evaluate_declarations(spec: TreatySpec, state: DeclarationsInEffect) -> list[Finding]:
    """One non-compliant finding per unreadable declaration record, then the counting
    rules and the limits applied to the declarations in effect (see
    :func:`~treatyverify.compliance.counting.evaluate_counting` and
    :func:`evaluate_limits`)."""
    findings = malformed_findings(spec, state)
    findings += evaluate_counting(spec, state.effective)
    return findings + evaluate_limits(spec, state.effective)


def malformed_findings(spec: TreatySpec, state: DeclarationsInEffect) -> list[Finding]:
    """One non-compliant finding per declaration record that cannot be read."""
    return [
        Finding(
            rule=MALFORMED_DECLARATION_RULE,
            subject=record.party,
            statement=(
                f"declaration record {record.seq} of {record.party} cannot be read "
                f"({reason}); the party's limits are evaluated without it"
            ),
            compliant=False,
            values={"seq": record.seq, "reason": reason},
            source=f"treaty {spec.id}: declaration schedules (a declaration must state them)",
            basis=(record,),
        )
        for record, reason in state.malformed
    ]


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
        One finding per party and limit, in party then limit order. A limit not yet in
        effect on the declaration's ``as_of`` (its ``effective`` rule) is reported as
        such and complied with.

    Raises
    ------
    SpecError
        When the treaty defines no numerical limits, or a limit's effective rule refers
        to a date the treaty lacks.
    """
    if not spec.limits:
        raise SpecError("the treaty defines no numerical limits", where=f"treaty {spec.id}: limits")
    findings: list[Finding] = []
    for party in sorted(declarations):
        record, declaration = declarations[party]
        totals = counted_totals(spec, declaration)
        for limit in spec.limits:
            parts = {item_class: totals.get(item_class, 0) for item_class in limit.counts}
            total = sum(parts.values())
            effective = spec.limit_effective_date(limit.id)
            in_effect = declaration.as_of >= effective
            compliant = total <= limit.maximum or not in_effect
            if not in_effect:
                relation = f"the limit of {limit.maximum} applies only from {effective}"
            else:
                relation = f"{'within' if compliant else 'exceeds'} the limit of {limit.maximum}"
            statement = (
                f"{party} counts {total} {limit.unit} as of {declaration.as_of} "
                f"({limit.description}): {relation}"
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
                        "effective": effective.isoformat(),
                        "in_effect": in_effect,
                    },
                    source=limit.source,
                    basis=(record,),
                )
            )
    return findings
