"""Counting rules applied to declarations: attributions and consistency of counts.

The rules come from the treaty's ``counting_rules`` (:mod:`treatyverify.treaty.rules`).
An attribution fixes the count of one class from another (New START Article III.2(c):
one warhead for each deployed heavy bomber); that count, not the declared one, is what
the limits add up (:func:`counted_totals`). A consistency rule ties two declared counts
(as many deployed ICBMs as deployed ICBM launchers).
"""

from __future__ import annotations

from collections.abc import Mapping

from treatyverify.compliance.findings import Finding
from treatyverify.exchange.declarations import Declaration
from treatyverify.records.ledger import Record
from treatyverify.treaty import TreatySpec
from treatyverify.treaty.rules import AttributionRule, ConsistencyRule

__all__ = ["counted_totals", "evaluate_counting"]


def counted_totals(spec: TreatySpec, declaration: Declaration) -> dict[str, int]:
    """Count per item class as the treaty counts it: declared totals, with every
    attributed class replaced by its attributed number.

    Parameters
    ----------
    spec
        The treaty; its attributions are applied in order.
    declaration
        The declaration of holdings.
    """
    totals = declaration.totals()
    for rule in spec.counting_rules:
        if isinstance(rule, AttributionRule):
            totals[rule.attributed_class] = rule.per_item * totals.get(rule.item_class, 0)
    return totals


def evaluate_counting(
    spec: TreatySpec, declarations: Mapping[str, tuple[Record, Declaration]]
) -> list[Finding]:
    """One finding per party and counting rule of ``spec``, in party then rule order.

    An attribution is complied with when the declaration states no number for the
    attributed class or states the attributed number; a consistency rule when the two
    declared totals stand in the rule's relation.
    """
    findings: list[Finding] = []
    for party in sorted(declarations):
        record, declaration = declarations[party]
        totals = declaration.totals()
        for rule in spec.counting_rules:
            if isinstance(rule, AttributionRule):
                findings.append(_attribution(rule, party, record, declaration, totals))
            elif isinstance(rule, ConsistencyRule):
                findings.append(_consistency(rule, party, record, declaration, totals))
    return findings


def _attribution(
    rule: AttributionRule,
    party: str,
    record: Record,
    declaration: Declaration,
    totals: Mapping[str, int],
) -> Finding:
    items = totals.get(rule.item_class, 0)
    attributed = rule.per_item * items
    declared = totals.get(rule.attributed_class)
    compliant = declared is None or declared == attributed
    counted = f"{attributed} {rule.attributed_class} counted for {items} {rule.item_class}"
    if declared is None:
        said = "declared none, so the counted number applies"
    elif compliant:
        said = "as declared"
    else:
        said = f"but {declared} declared"
    return Finding(
        rule=f"counting:{rule.id}",
        subject=party,
        statement=(
            f"{party} as of {declaration.as_of}: {counted} ({rule.per_item} per item), {said}"
        ),
        compliant=compliant,
        values={
            "item_class": rule.item_class,
            "items": items,
            "per_item": rule.per_item,
            "attributed": attributed,
            "declared": declared,
            "as_of": declaration.as_of.isoformat(),
        },
        source=rule.source,
        basis=(record,),
    )


def _consistency(
    rule: ConsistencyRule,
    party: str,
    record: Record,
    declaration: Declaration,
    totals: Mapping[str, int],
) -> Finding:
    count = totals.get(rule.item_class, 0)
    other = totals.get(rule.other_class, 0)
    compliant = rule.holds(count, other)
    relation = "equal to" if rule.relation == "equals" else "at most"
    verdict = "as the rule requires" if compliant else "in breach of the rule"
    return Finding(
        rule=f"counting:{rule.id}",
        subject=party,
        statement=(
            f"{party} declared {count} {rule.item_class} and {other} {rule.other_class} as "
            f"of {declaration.as_of}; the first must be {relation} the second: {verdict}"
        ),
        compliant=compliant,
        values={
            rule.item_class: count,
            rule.other_class: other,
            "relation": rule.relation,
            "as_of": declaration.as_of.isoformat(),
        },
        source=rule.source,
        basis=(record,),
    )
