"""Findings of the roll-forward: a periodic declaration against the holdings that the
baseline and the notices since give (:mod:`treatyverify.notifications.rollforward`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from treatyverify.compliance.findings import Finding
from treatyverify.errors import InputError
from treatyverify.notifications.rollforward import Baseline, CountDeclaration, Holdings
from treatyverify.records.ledger import Record, format_time

__all__ = ["check_declaration"]


def check_declaration(
    rolled: Holdings,
    declaration: Baseline | CountDeclaration,
    *,
    source: str | None = None,
    records: Mapping[str, Record] | None = None,
) -> list[Finding]:
    """Compare a periodic declaration with the rolled-forward holdings.

    Roll forward with ``until=declaration.as_of`` first, so that both hold for the
    same time.

    Parameters
    ----------
    rolled
        Holdings rolled forward from the baseline.
    declaration
        Item-level (:class:`Baseline`) or count-level (:class:`CountDeclaration`).
    source
        Treaty provision for the findings (e.g. the declaration schedule's source);
        a description of the roll-forward by default.
    records
        Notice ref -> ledger record, to cite the records in each finding's basis.

    Returns
    -------
    list of Finding
        One per mismatch (rules ``rollforward:item-mismatch``,
        ``rollforward:item-undeclared``, ``rollforward:item-unexpected``,
        ``rollforward:count-mismatch``), each naming in ``values["notices"]`` the
        notices that touched the item or facility since the baseline.

    Raises
    ------
    InputError
        The declaration is by another party than the baseline.
    """
    party = rolled.baseline.party
    if declaration.party != party:
        raise InputError(
            f"the declaration is by {declaration.party!r}, the baseline by {party!r}",
            where=f"declaration {declaration.ref}: party",
        )
    cited = source or (
        f"declaration {declaration.ref} against the roll-forward of notices from "
        f"baseline {rolled.baseline.ref}"
    )

    def basis(refs: list[str]) -> tuple[Record, ...]:
        if records is None:
            return ()
        return tuple(records[r] for r in refs if r in records)

    def finding(rule: str, statement: str, values: dict[str, Any], refs: list[str]) -> Finding:
        values = {"declaration": declaration.ref, **values, "notices": refs}
        return Finding(
            rule=f"rollforward:{rule}",
            subject=party,
            statement=statement,
            compliant=False,
            values=values,
            source=cited,
            basis=basis(refs),
        )

    findings: list[Finding] = []
    as_of = format_time(declaration.as_of)
    if isinstance(declaration, Baseline):
        for item in sorted(set(rolled.items) | set(declaration.items)):
            have = rolled.items.get(item)
            said = declaration.items.get(item)
            if have == said:
                continue
            refs = rolled.touched.get(item, [])
            if said is None and have is not None:
                findings.append(
                    finding(
                        "item-undeclared",
                        f"{party} did not declare item {item} ({have[0]} at {have[1]}) as of "
                        f"{as_of}, which the notices since the baseline leave in place",
                        {"item": item, "rolled": list(have), "declared": None},
                        refs,
                    )
                )
            elif have is None and said is not None:
                gone = rolled.eliminated.get(item)
                why = f"eliminated by notice {gone}" if gone else "not in the baseline"
                findings.append(
                    finding(
                        "item-unexpected",
                        f"{party} declared item {item} ({said[0]} at {said[1]}) as of {as_of}, "
                        f"but it is {why}",
                        {"item": item, "rolled": None, "declared": list(said)},
                        refs,
                    )
                )
            elif have is not None and said is not None:
                findings.append(
                    finding(
                        "item-mismatch",
                        f"{party} declared item {item} as {said[0]} at {said[1]} as of "
                        f"{as_of}; the notices give {have[0]} at {have[1]}",
                        {"item": item, "rolled": list(have), "declared": list(said)},
                        refs,
                    )
                )
        return findings
    rolled_counts = rolled.counts()
    for key in sorted(set(rolled_counts) | set(declaration.counts)):
        have_n = rolled_counts.get(key, 0)
        said_n = declaration.counts.get(key, 0)
        if have_n == said_n:
            continue
        item_class, facility = key
        refs = rolled.facility_touched.get(facility, [])
        findings.append(
            finding(
                "count-mismatch",
                f"{party} declared {said_n} {item_class} at {facility} as of {as_of}; "
                f"the notices since the baseline give {have_n}",
                {
                    "item_class": item_class,
                    "facility": facility,
                    "rolled": have_n,
                    "declared": said_n,
                },
                refs,
            )
        )
    return findings
