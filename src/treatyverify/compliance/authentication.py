"""Findings of item authentication and material balance: what the methods released
through the information barrier, judged against the treaty's methods.

Only an ``ok`` release can pass; an inconclusive one (to be measured or evaluated
again) and an error are findings of non-compliance that say so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from treatyverify.barrier.barrier import STATUS_INCONCLUSIVE, STATUS_OK, Release
from treatyverify.compliance.findings import Finding
from treatyverify.records.ledger import Record
from treatyverify.treaty import MethodSpec

__all__ = [
    "AUTHENTICATION_RULE",
    "authentication_finding",
    "material_balance_finding",
    "method_verdicts",
]

AUTHENTICATION_RULE = "authentication:item"
"""Rule of the finding on one item presented for dismantlement."""


def method_verdicts(releases: Sequence[Release]) -> tuple[list[str], list[str], list[str]]:
    """Methods that failed, that were inconclusive, and that ended in an error.

    An inconclusive method is never a pass: the item is not authenticated, and in
    practice it would be measured again.
    """
    failed = [
        r.method_id for r in releases if r.status == STATUS_OK and r.outputs.get("pass") is False
    ]
    inconclusive = [r.method_id for r in releases if r.status == STATUS_INCONCLUSIVE]
    errors = [  # "error", or any status this code does not know
        r.method_id for r in releases if r.status not in (STATUS_OK, STATUS_INCONCLUSIVE)
    ]
    return failed, inconclusive, errors


def authentication_finding(
    *,
    treaty: str,
    host: str,
    item: str,
    step: int,
    releases: Sequence[Release],
    basis: Sequence[Record],
) -> Finding:
    """The finding on one item: authenticated only when every method passed.

    Parameters
    ----------
    treaty, host
        Treaty id and the party presenting the item.
    item
        The item's identifier.
    step
        The dismantlement step at which items are authenticated.
    releases
        What each method released through the barrier.
    basis
        The records the finding rests on (declaration, release).
    """
    failed, inconclusive, errors = method_verdicts(releases)
    compliant = not failed and not inconclusive and not errors
    if compliant:
        statement = f"item {item} passed every attribute ({len(releases)} methods)"
    else:
        parts = [
            f"failed {', '.join(failed)}" if failed else "",
            f"inconclusive {', '.join(inconclusive)} (to be measured again)"
            if inconclusive
            else "",
            f"no decision from {', '.join(errors)}" if errors else "",
        ]
        statement = f"item {item} is not authenticated: " + "; ".join(p for p in parts if p)
    return Finding(
        rule=AUTHENTICATION_RULE,
        subject=host,
        statement=statement,
        compliant=compliant,
        values={"item": item, "failed": failed, "inconclusive": inconclusive, "errors": errors},
        source=f"{treaty}: dismantlement step {step}, "
        f"methods {', '.join(r.method_id for r in releases)}",
        basis=tuple(basis),
    )


def material_balance_finding(
    *,
    method: MethodSpec,
    host: str,
    facility: str,
    material: str,
    campaign: str,
    periods: int,
    release: Release,
    basis: Sequence[Record],
) -> Finding:
    """The finding on a campaign's material balance, from the method's one release.

    Parameters
    ----------
    method
        The treaty's material-balance method (its ``false_alarm_probability``).
    host, facility, material, campaign
        Who and what the balance is of.
    periods
        Number of balance periods in the campaign.
    release
        What the method released through the barrier.
    basis
        The records the finding rests on.
    """
    status, reason = release.status, release.reason
    outputs: Mapping[str, Any] = release.outputs if status == STATUS_OK else {}
    passed = outputs.get("pass") is True
    alpha = method.number("false_alarm_probability")
    if status == STATUS_OK:
        verdict = "closes within" if passed else "does not close within"
    elif status == STATUS_INCONCLUSIVE:
        verdict = f"is inconclusive ({reason}; to be evaluated again) against"
    else:
        verdict = f"could not be evaluated ({reason}) against"
    return Finding(
        rule=f"material-balance:{method.id}",
        subject=host,
        statement=(
            f"the {material} balance of {campaign} ({periods} balance periods) {verdict} the "
            f"measurement errors at a campaign false-alarm probability of {alpha:g}"
        ),
        compliant=passed,
        values={
            "item": campaign,
            "facility": facility,
            "periods": periods,
            "false_alarm_probability": alpha,
            "status": status,
            **({} if reason is None else {"reason": reason}),
        },
        source=method.source,
        basis=tuple(basis),
    )
