"""Findings: the statement of one rule applied to numbers drawn from records.

A finding names the rule (and the treaty text it comes from), the numbers, whether
they comply, and the records it rests on (sequence numbers and hashes), so any party
can re-derive it from its own copy of the ledger. Findings are adopted by consensus
(see :mod:`treatyverify.records.consensus`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from treatyverify.records.keys import PartyKey
from treatyverify.records.ledger import Ledger, Record

__all__ = ["FINDING_KIND", "REPORT_KIND", "Finding", "submit_finding", "submit_report"]

FINDING_KIND = "finding"
REPORT_KIND = "report"


@dataclass(frozen=True)
class Finding:
    """One rule applied to declared or observed numbers.

    Attributes
    ----------
    rule
        Rule identifier, for example ``"limit:deployed-warheads"``.
    subject
        The party whose obligation the rule concerns.
    statement
        The finding in one sentence, numbers included.
    compliant
        Whether the numbers comply with the rule.
    values
        The numbers the finding rests on, by name.
    source
        Where the rule comes from (treaty article and paragraph).
    basis
        The records the numbers were taken from.
    """

    rule: str
    subject: str
    statement: str
    compliant: bool
    values: dict[str, Any]
    source: str
    basis: Sequence[Record] = field(default=(), repr=False)

    def body(self, treaty: str) -> dict[str, Any]:
        """The record body of this finding."""
        return {
            "treaty": treaty,
            "rule": self.rule,
            "subject": self.subject,
            "statement": self.statement,
            "compliant": self.compliant,
            "values": self.values,
            "source": self.source,
            "basis": [{"seq": r.seq, "hash": r.hash_hex} for r in self.basis],
        }


def submit_finding(
    ledger: Ledger, signer: PartyKey, finding: Finding, *, time: datetime | None = None
) -> Record:
    """Append ``finding`` as a record proposed by ``signer``, awaiting co-signatures."""
    return ledger.append(FINDING_KIND, finding.body(ledger.treaty), signer, time=time)


def submit_report(
    ledger: Ledger,
    signer: PartyKey,
    title: str,
    findings: Sequence[Record],
    summary: str,
    *,
    time: datetime | None = None,
) -> Record:
    """Append a report that gathers findings (by sequence number and hash)."""
    body = {
        "title": title,
        "summary": summary,
        "findings": [
            {"seq": r.seq, "hash": r.hash_hex, "compliant": r.body.get("compliant")}
            for r in findings
        ],
    }
    return ledger.append(REPORT_KIND, body, signer, time=time)
