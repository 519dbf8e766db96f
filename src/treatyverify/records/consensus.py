"""Consensus on findings and reports: co-signatures and dissents.

A finding or report is adopted only when every consensus party named in the ledger's
opening record has signed the same record hash. The proposer's own record signature
counts as its signature; every other party appends a ``cosign`` record naming the
target's sequence number and hash, or a ``dissent`` record with its reason. Dissents
are never dropped: they stay in the ledger and in every state shown. A party's later
position (a co-signature after a dissent, or the reverse) supersedes its earlier one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from treatyverify.errors import ConsensusError
from treatyverify.records.keys import PartyKey
from treatyverify.records.ledger import Ledger, Record

__all__ = [
    "CONSENSUS_KINDS",
    "COSIGN_KIND",
    "DISSENT_KIND",
    "ConsensusState",
    "check_position",
    "check_positions",
    "consensus_state",
    "cosign",
    "dissent",
]

CONSENSUS_KINDS = frozenset({"finding", "report"})
COSIGN_KIND = "cosign"
DISSENT_KIND = "dissent"
MAX_REASON_LENGTH = 2000


@dataclass
class ConsensusState:
    """Who has signed a finding or report, who dissents, and whether it is adopted.

    Attributes
    ----------
    target
        Sequence number of the finding or report.
    target_hash
        Its record hash (hex).
    proposer
        The party that submitted it.
    signed
        Parties whose current position is a signature of this hash.
    dissents
        Parties whose current position is a dissent, with their reasons.
    pending
        Consensus parties that have not taken a position.
    """

    target: int
    target_hash: str
    proposer: str
    required: tuple[str, ...]
    signed: list[str] = field(default_factory=list)
    dissents: dict[str, str] = field(default_factory=dict)
    pending: list[str] = field(default_factory=list)

    @property
    def adopted(self) -> bool:
        """True when every consensus party has signed and none dissents."""
        return not self.pending and not self.dissents

    @property
    def status(self) -> str:
        """``"adopted"``, ``"disputed"`` (a dissent stands) or ``"pending"``."""
        if self.dissents:
            return "disputed"
        return "adopted" if self.adopted else "pending"


def _target(ledger: Ledger, seq: int) -> Record:
    record = ledger.get(seq)
    if record.kind not in CONSENSUS_KINDS:
        raise ConsensusError(
            f"record {seq} is a {record.kind}; only findings and reports are co-signed",
            where=f"record {seq}",
        )
    return record


def cosign(
    ledger: Ledger, target: int, signer: PartyKey, *, time: datetime | None = None
) -> Record:
    """Append ``signer``'s co-signature of the finding or report ``target``."""
    record = _target(ledger, target)
    if signer.party not in ledger.consensus_parties:
        raise ConsensusError(
            f"party {signer.party} is not a consensus party", where=f"record {target}"
        )
    body = {"target": target, "target_hash": record.hash_hex}
    return ledger.append(COSIGN_KIND, body, signer, ref=str(target), time=time)


def dissent(
    ledger: Ledger, target: int, signer: PartyKey, reason: str, *, time: datetime | None = None
) -> Record:
    """Append ``signer``'s dissent from ``target``, with its reason (kept for good)."""
    record = _target(ledger, target)
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON_LENGTH:
        raise ConsensusError(
            f"a dissent states its reason in 1 to {MAX_REASON_LENGTH} characters", where="reason"
        )
    if signer.party not in ledger.consensus_parties:
        raise ConsensusError(
            f"party {signer.party} is not a consensus party", where=f"record {target}"
        )
    body = {"target": target, "target_hash": record.hash_hex, "reason": reason}
    return ledger.append(DISSENT_KIND, body, signer, ref=str(target), time=time)


def check_position(ledger: Ledger, position: Record, batch: Sequence[Record] = ()) -> None:
    """Refuse a co-signature or dissent signed elsewhere that :func:`cosign` or
    :func:`dissent` would not have written here.

    For records arriving whole (the service's submissions): the signer must be a
    consensus party, the target an earlier finding or report (in the ledger, or earlier
    in ``batch``, the records submitted with it) with the hash named, and a dissent
    must give a reason. Records of other kinds pass unchecked.

    Raises
    ------
    ConsensusError
        Naming the position record and what is wrong with it.
    """
    if position.kind not in (COSIGN_KIND, DISSENT_KIND):
        return
    where = f"record {position.seq}"
    if position.party not in ledger.consensus_parties:
        raise ConsensusError(
            f"party {position.party} is not a consensus party and cannot {position.kind}",
            where=where,
        )
    target = position.body.get("target")
    if type(target) is not int or not 0 <= target < position.seq:
        raise ConsensusError(f"{position.kind} names no earlier record", where=where)
    earlier = {record.seq: record for record in batch}
    record = earlier[target] if target in earlier else ledger.get(target)
    if record.kind not in CONSENSUS_KINDS:
        raise ConsensusError(
            f"record {target} is a {record.kind}; only findings and reports are co-signed",
            where=where,
        )
    if position.body.get("target_hash") != record.hash_hex:
        raise ConsensusError(
            f"{position.kind} names a hash record {target} does not have", where=where
        )
    if position.kind == DISSENT_KIND:
        reason = position.body.get("reason")
        if not isinstance(reason, str) or not 0 < len(reason.strip()) <= MAX_REASON_LENGTH:
            raise ConsensusError(
                f"a dissent states its reason in 1 to {MAX_REASON_LENGTH} characters",
                where=where,
            )


def consensus_state(ledger: Ledger, target: int) -> ConsensusState:
    """Return the consensus state of finding or report ``target``."""
    record = _target(ledger, target)
    positions = ledger.records(kinds=[COSIGN_KIND, DISSENT_KIND], start=target + 1)
    return _state(record, ledger.consensus_parties, positions)


def _state(
    record: Record, required: tuple[str, ...], positions: Iterable[Record]
) -> ConsensusState:
    latest: dict[str, Record] = {record.party: record}
    for position in positions:
        if position.body.get("target") != record.seq:
            continue
        if position.body.get("target_hash") != record.hash_hex:
            continue
        latest[position.party] = position
    state = ConsensusState(record.seq, record.hash_hex, record.party, required)
    for party in required:
        current = latest.get(party)
        if current is None:
            state.pending.append(party)
        elif current.kind == DISSENT_KIND:
            state.dissents[party] = str(current.body.get("reason", ""))
        else:
            state.signed.append(party)
    return state


def check_positions(
    records: dict[int, Record], positions: Iterable[Record]
) -> tuple[int, str] | None:
    """Check co-signatures and dissents against the records they name, and that each
    dissent gives its reason (as :func:`dissent` requires), so that import and
    verification refuse what append refuses.

    Parameters
    ----------
    records
        Findings and reports of the ledger, by sequence number.
    positions
        The ``cosign`` and ``dissent`` records, in ledger order.

    Returns
    -------
    tuple or None
        The sequence number of the first bad position record and what is wrong with
        it, or None when all are sound.
    """
    for position in positions:
        target = position.body.get("target")
        record = records.get(target) if isinstance(target, int) else None
        if record is None or record.seq >= position.seq:
            return position.seq, f"{position.kind} names no earlier finding or report"
        if position.body.get("target_hash") != record.hash_hex:
            return position.seq, f"{position.kind} names a hash record {record.seq} does not have"
        if position.kind == DISSENT_KIND:
            reason = position.body.get("reason")
            if not isinstance(reason, str) or not 0 < len(reason.strip()) <= MAX_REASON_LENGTH:
                return position.seq, (
                    f"a dissent states its reason in 1 to {MAX_REASON_LENGTH} characters"
                )
    return None
