"""Full re-verification of a ledger: signatures, links, order, tree heads, semantics.

Every party can run this on its own copy. It stops at the first bad record and names
it. The reasoning behind the names: a record whose own signature verifies carries an
authentic ``prev`` link, so when that link does not match the stored previous record,
the previous record is the one that was altered.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from treatyverify.errors import (
    InputError,
    RecordRejectedError,
    TreatyVerifyError,
    VerificationError,
)
from treatyverify.records.checkpoint import ledger_origin
from treatyverify.records.heads import TreeHead
from treatyverify.records.keys import PublicPartyKey
from treatyverify.records.kinds import check_body_json
from treatyverify.records.ledger import (
    GENESIS_KIND,
    GENESIS_PREV,
    MAX_CLOCK_SKEW_S,
    RECORD_DOMAIN,
    Ledger,
    Record,
    body_bytes,
    format_time,
    parse_envelope,
)
from treatyverify.records.merkle import MerkleAccumulator, leaf_hash
from treatyverify.records.semantics import SEMANTIC_KINDS, first_semantic_problem

__all__ = ["VerificationReport", "verify_ledger"]


@dataclass
class VerificationReport:
    """What a successful verification established.

    Attributes
    ----------
    treaty
        Treaty identifier.
    size
        Number of records verified.
    root
        Merkle root over all records (hex).
    kinds
        Number of records of each kind.
    heads_checked
        Signed tree heads found consistent with the ledger.
    """

    treaty: str
    size: int
    root: str
    kinds: dict[str, int] = field(default_factory=dict)
    heads_checked: int = 0


def _check_trusted(ledger: Ledger, trusted: Mapping[str, PublicPartyKey] | None) -> None:
    if trusted is None:
        return
    unpinned = sorted(set(ledger.keys) - set(trusted))
    if unpinned:
        # A key the verifier does not pin is whatever the opening record says: a forger
        # could put its own there. Pinning some parties vouches for nothing.
        raise VerificationError(
            f"the verifier pins no key for party {', '.join(unpinned)} of the opening record",
            seq=0,
        )
    for party, pinned in trusted.items():
        recorded = ledger.keys.get(party)
        if recorded is None:
            raise VerificationError(
                f"party {party}, whose key the verifier pins, is not in the opening record", seq=0
            )
        if recorded.public_key != pinned.public_key:
            raise VerificationError(
                f"the key of party {party} ({recorded.key_id}) is not the "
                f"key the verifier pins ({pinned.key_id})",
                seq=0,
            )


class _Walker:
    """Walks the records once, in order, checking each against the one before."""

    def __init__(self, ledger: Ledger, latest_time: str, skew_s: float) -> None:
        self.ledger = ledger
        self.latest_time = latest_time
        self.skew_s = skew_s
        self.verifiers: dict[str, tuple[str, Ed25519PublicKey]] = {
            k.key_id: (party, k.verifier()) for party, k in ledger.keys.items()
        }
        self.accumulator = MerkleAccumulator()
        self.kinds: Counter[str] = Counter()
        self.semantic: list[Record] = []
        self.prev_hex = GENESIS_PREV
        self.prev_time = ""

    def step(
        self,
        expected: int,
        row_seq: int,
        content: bytes,
        signature: bytes,
        stored_hash: bytes,
        mirrors: tuple[str, str, str, str | None],
    ) -> None:
        if row_seq != expected:
            raise VerificationError(
                f"record {expected} is missing (the next stored record is {row_seq})", seq=expected
            )
        try:
            envelope = parse_envelope(content, where=f"record {expected}")
        except InputError as exc:
            raise VerificationError(exc.message, seq=expected) from None
        if envelope["seq"] != expected:
            raise VerificationError(
                f"holds the content of record {envelope['seq']}: records are out of order",
                seq=expected,
            )
        party = envelope["party"]
        signer = self.verifiers.get(envelope["key"])
        if signer is None or signer[0] != party:
            raise VerificationError(
                f"signed with key {envelope['key']}, which is not the pinned key of party {party}",
                seq=expected,
            )
        try:
            signer[1].verify(signature, RECORD_DOMAIN + content)
        except InvalidSignature:
            raise VerificationError("the signature does not verify", seq=expected) from None
        if envelope["prev"] != self.prev_hex:
            raise VerificationError(
                f"record {expected} is chained to a different record "
                f"{expected - 1}: record {expected - 1} was altered or "
                "replaced",
                seq=expected - 1,
            )
        self._check_fields(expected, envelope, mirrors)
        try:
            check_body_json(
                envelope["kind"], body_bytes(content), envelope.get("ref"), where="body"
            )
        except RecordRejectedError as exc:
            raise VerificationError(exc.message, seq=expected) from None
        record_hash = leaf_hash(content + signature)
        if stored_hash != record_hash:
            raise VerificationError(
                "the stored hash column does not match the record", seq=expected
            )
        kind = envelope["kind"]
        if kind in SEMANTIC_KINDS:
            self.semantic.append(
                Record(
                    expected,
                    envelope["prev"],
                    envelope["treaty"],
                    kind,
                    party,
                    envelope["key"],
                    envelope["time"],
                    envelope.get("ref"),
                    envelope["body"],
                    content,
                    signature,
                    record_hash,
                )
            )
        self.kinds[kind] += 1
        self.accumulator.append(record_hash)
        self.prev_hex = record_hash.hex()
        self.prev_time = envelope["time"]

    def _check_fields(
        self, seq: int, envelope: dict[str, object], mirrors: tuple[str, str, str, str | None]
    ) -> None:
        if envelope["treaty"] != self.ledger.treaty:
            raise VerificationError(f"belongs to treaty {envelope['treaty']!r}", seq=seq)
        if (envelope["kind"] == GENESIS_KIND) != (seq == 0):
            raise VerificationError("only record 0 opens the ledger", seq=seq)
        time = str(envelope["time"])
        if time < self.prev_time:
            raise VerificationError(f"time {time} is earlier than the record before", seq=seq)
        if time > self.latest_time:
            raise VerificationError(
                f"time {time} is ahead of the verifier's clock by more than {self.skew_s:g} s",
                seq=seq,
            )
        if mirrors != (envelope["kind"], envelope["party"], time, envelope.get("ref")):
            raise VerificationError("the stored index columns do not match the record", seq=seq)


def _check_heads(
    ledger: Ledger, walker: _Walker, heads: Sequence[TreeHead], roots: dict[int, bytes]
) -> int:
    """Check tree heads (JSON heads or checkpoints) against the roots seen during the walk."""
    size = walker.accumulator.size
    good_sizes: list[int] = [0]
    for head in sorted(heads, key=lambda h: h.tree_size):
        if head.tree_size < 1:
            raise VerificationError(
                f"the head of size {head.tree_size} covers no record", where="tree head"
            )
        if head.treaty != ledger.treaty:
            raise VerificationError(
                f"the head of size {head.tree_size} is for treaty {head.treaty!r}",
                where="tree head",
            )
        view = head.view(ledger.keys)
        label = view.describe()
        if view.origin is not None and view.origin != ledger_origin(ledger):
            raise VerificationError(
                f"{label} is of another ledger of {ledger.treaty} (origin {view.origin})",
                where="tree head",
            )
        # A head that disagrees with the ledger says one of two things: the ledger changed
        # after the head was signed, or its signers signed a history that never was. The
        # message names the signer first, so that a false head cannot pass for proof
        # that honest records were rewritten.
        signer = view.signers[0]
        inconsistent = f"head by {signer} inconsistent with the ledger: {label}"
        if view.tree_size > size:
            raise VerificationError(
                f"{inconsistent} covers more than the {size} records the ledger holds "
                f"(records {size} to {view.tree_size - 1} were deleted, or {signer} "
                "signed records the ledger never held)",
                seq=size,
            )
        if roots[view.tree_size] != view.root:
            # The history matched every good head of a smaller size, so the rewrite lies
            # after the largest of them (two heads of one size form a split view).
            first = max(s for s in good_sizes if s < view.tree_size)
            last = view.tree_size - 1
            span = (
                f"record {first} was" if first == last else f"a record from {first} to {last} was"
            )
            message = (
                f"{inconsistent} has another root ({span} was rewritten after it was signed, "
                f"or {signer} signed a history the ledger never held)"
            )
            if first == last:
                raise VerificationError(message, seq=first)
            raise VerificationError(message, where=f"records {first}-{last}")
        good_sizes.append(view.tree_size)
    return len(heads)


def verify_ledger(
    ledger: Ledger,
    *,
    trusted_keys: Mapping[str, PublicPartyKey] | None = None,
    heads: Sequence[TreeHead] = (),
    clock: datetime | None = None,
    skew_s: float = MAX_CLOCK_SKEW_S,
) -> VerificationReport:
    """Re-verify every record of ``ledger``.

    Parameters
    ----------
    ledger
        The ledger to check.
    trusted_keys
        Public keys the verifier pins itself (obtained out of band). When given, the
        keys in the opening record must equal them.
    heads
        Heads the verifier kept (checkpoints or JSON tree heads); the ledger's history
        must match each, and a checkpoint must be of this ledger (its origin).
    clock
        The verifier's clock (now by default; an exercise passes its simulated time):
        no record may be dated more than ``skew_s`` seconds ahead of it.

    Returns
    -------
    VerificationReport
        When every check passes.

    Raises
    ------
    VerificationError
        Naming the first bad record (``seq``) and what is wrong with it.
    """
    _check_trusted(ledger, trusted_keys)
    latest = (clock or datetime.now(UTC)) + timedelta(seconds=skew_s)
    walker = _Walker(ledger, format_time(latest), skew_s)
    wanted = {h.tree_size for h in heads}
    roots: dict[int, bytes] = {}
    expected = 0
    for row in ledger.store.scan():
        walker.step(
            expected,
            row.seq,
            bytes(row.content),
            bytes(row.signature),
            bytes(row.hash),
            (row.kind, row.party, row.time, row.ref),
        )
        expected += 1
        if expected in wanted:
            roots[expected] = walker.accumulator.root()
    meta = ledger.store.read_meta()
    if int(meta["head_size"]) != expected:
        raise VerificationError(
            f"the chain head counts {meta['head_size']} records but "
            f"{expected} are stored: record {expected} is missing",
            seq=expected,
        )
    if meta["head_hash"] != walker.prev_hex:
        raise VerificationError("the chain head does not name the last record", seq=expected - 1)
    heads_checked = _check_heads(ledger, walker, heads, roots)
    problem = first_semantic_problem(walker.semantic)
    if problem is not None:
        raise VerificationError(problem[1], seq=problem[0])
    _check_pinned_spec(ledger)
    return VerificationReport(
        ledger.treaty,
        expected,
        walker.accumulator.root().hex(),
        dict(sorted(walker.kinds.items())),
        heads_checked,
    )


def _check_pinned_spec(ledger: Ledger) -> None:
    """Refuse a record 0 whose pinned specification text lacks the pinned digest.

    A ledger that pins the digest alone (opened before the text was pinned) has
    nothing more to check here.
    """
    if ledger.spec_text is None:
        return
    # Imported here: the specification models are not needed to check records.
    from treatyverify.records.pinned import ledger_spec

    try:
        ledger_spec(ledger)
    except TreatyVerifyError as exc:
        raise VerificationError(exc.message, seq=0) from None
