"""Verifiable random draws by commit-reveal among all parties.

A draw (of inspection sites, items or samples) is opened by a ``draw_open`` record
that fixes the population, the number to draw, the parties and two deadlines. Each
party commits to a fresh 32-byte secret, ``H(domain || statement || party || secret)``,
where the statement is the hash of the opening record; once every party has committed
(or the commit deadline has passed) each reveals its secret. The seed is
``H(domain || statement || party_1 || secret_1 || ...)`` over the revealed secrets in
party order, and the selection is a Fisher-Yates draw driven by SHA-256 in counter
mode with rejection sampling, so it is uniform and anyone can recompute it from the
ledger. As long as one party keeps its secret unpredictable, no party can steer the
result. A party that does not commit or reveal in time is recorded as defaulted; its
withholding is on the ledger for the parties to judge (withholding a reveal can only
choose between two outcomes, and it is visible).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from treatyverify.errors import DrawError, InputError
from treatyverify.records.keys import PartyKey
from treatyverify.records.ledger import Ledger, Record, format_time, parse_time

__all__ = [
    "DRAW_KINDS",
    "SECRET_BYTES",
    "DrawOutcome",
    "check_draw_results",
    "commit",
    "commitment",
    "compute_outcome",
    "new_secret",
    "open_draw",
    "reveal",
    "sample_indices",
    "seed_from_secrets",
    "settle",
]

OPEN_KIND = "draw_open"
COMMIT_KIND = "draw_commit"
REVEAL_KIND = "draw_reveal"
RESULT_KIND = "draw_result"
DRAW_KINDS = (OPEN_KIND, COMMIT_KIND, REVEAL_KIND, RESULT_KIND)
SECRET_BYTES = 32
COMMIT_DOMAIN = b"treatyverify/draw-commit/v1\x00"
SEED_DOMAIN = b"treatyverify/draw-seed/v1\x00"
STREAM_DOMAIN = b"treatyverify/draw-stream/v1\x00"


def new_secret() -> bytes:
    """A fresh secret from the operating system's CSPRNG."""
    return secrets.token_bytes(SECRET_BYTES)


def commitment(statement: bytes, party: str, secret: bytes) -> bytes:
    """Commitment of ``party`` to ``secret`` for the draw whose statement hash is given."""
    return hashlib.sha256(COMMIT_DOMAIN + statement + party.encode() + b"\x00" + secret).digest()


def seed_from_secrets(statement: bytes, revealed: dict[str, bytes]) -> bytes:
    """The draw seed from the revealed secrets (parties in sorted order)."""
    digest = hashlib.sha256(SEED_DOMAIN + statement)
    for party in sorted(revealed):
        digest.update(party.encode() + b"\x00" + revealed[party])
    return digest.digest()


class _Stream:
    """Uniform integers from SHA-256 in counter mode (rejection sampling, no modulo bias)."""

    def __init__(self, seed: bytes) -> None:
        self.seed = seed
        self.counter = 0
        self.buffer = b""

    def _next64(self) -> int:
        if len(self.buffer) < 8:
            block = hashlib.sha256(
                STREAM_DOMAIN + self.seed + self.counter.to_bytes(8, "big")
            ).digest()
            self.counter += 1
            self.buffer += block
        value, self.buffer = int.from_bytes(self.buffer[:8], "big"), self.buffer[8:]
        return value

    def below(self, bound: int) -> int:
        """A uniform integer in ``[0, bound)``."""
        limit = (1 << 64) - ((1 << 64) % bound)
        while True:
            value = self._next64()
            if value < limit:
                return value % bound


def sample_indices(seed: bytes, population: int, count: int) -> list[int]:
    """Draw ``count`` distinct indices from ``range(population)`` (partial Fisher-Yates)."""
    if not 0 <= count <= population:
        raise DrawError(f"cannot draw {count} of {population}")
    stream = _Stream(seed)
    order = list(range(population))
    for i in range(count):
        j = i + stream.below(population - i)
        order[i], order[j] = order[j], order[i]
    return order[:count]


@dataclass(frozen=True)
class DrawOutcome:
    """The result of a draw as anyone recomputes it from the ledger."""

    draw: str
    statement: str
    seed: str
    selected: list[str]
    revealed: list[str]
    defaulted: list[str]

    def to_body(self) -> dict[str, Any]:
        """The body of a ``draw_result`` record."""
        return {
            "draw": self.draw,
            "statement": self.statement,
            "seed": self.seed,
            "selected": self.selected,
            "revealed": self.revealed,
            "defaulted": self.defaulted,
        }


def open_draw(
    ledger: Ledger,
    signer: PartyKey,
    draw: str,
    *,
    purpose: str,
    population: Sequence[str],
    count: int,
    commit_by: datetime,
    reveal_by: datetime,
    time: datetime | None = None,
) -> Record:
    """Open a draw of ``count`` labels out of ``population``.

    Parameters
    ----------
    draw
        Unique draw identifier (for example ``"type-one-2026-03"``).
    purpose
        What is drawn (for example ``"inspection site"``).
    population
        Distinct labels to draw from (sites, item identifiers, sample positions).
    count
        How many to draw.
    commit_by, reveal_by
        UTC deadlines for commitments and reveals; ``commit_by < reveal_by``.
    """
    labels = list(population)
    if len(set(labels)) != len(labels) or not labels:
        raise InputError(
            "the population must be a non-empty list of distinct labels", where="population"
        )
    if not 1 <= count <= len(labels):
        raise InputError(f"count must be between 1 and {len(labels)}", where="count")
    if commit_by >= reveal_by:
        raise InputError(
            "the commit deadline must come before the reveal deadline", where="commit_by"
        )
    if not ledger.consensus_parties:
        raise DrawError("the ledger names no consensus parties to take part in draws")
    body = {
        "draw": draw,
        "purpose": purpose,
        "population": labels,
        "count": count,
        "parties": list(ledger.consensus_parties),
        "commit_by": format_time(commit_by),
        "reveal_by": format_time(reveal_by),
    }
    return ledger.append(OPEN_KIND, body, signer, ref=draw, time=time)


def _draw_records(ledger: Ledger, draw: str) -> list[Record]:
    """The records of one draw, found by their reference (the store's index on kind
    and reference narrows the scan; verification makes sure reference and body agree)."""
    return [r for r in ledger.records(kinds=DRAW_KINDS, ref=draw) if r.body.get("draw") == draw]


def _opening(records: Iterable[Record], draw: str) -> Record:
    for record in records:
        if record.kind == OPEN_KIND:
            return record
    raise DrawError(f"no draw {draw!r} was opened", where=f"draw {draw}")


def commit(
    ledger: Ledger, signer: PartyKey, draw: str, secret: bytes, *, time: datetime | None = None
) -> Record:
    """Append ``signer``'s commitment to ``secret`` (keep the secret until the reveal)."""
    opening = _opening(_draw_records(ledger, draw), draw)
    if signer.party not in opening.body["parties"]:
        raise DrawError(
            f"party {signer.party} does not take part in this draw", where=f"draw {draw}"
        )
    when = time or datetime.now(UTC)
    if when > parse_time(opening.body["commit_by"]):
        raise DrawError("the commit deadline has passed", where=f"draw {draw}")
    value = commitment(opening.hash, signer.party, secret)
    return ledger.append(
        COMMIT_KIND, {"draw": draw, "commitment": value.hex()}, signer, ref=draw, time=when
    )


def reveal(
    ledger: Ledger, signer: PartyKey, draw: str, secret: bytes, *, time: datetime | None = None
) -> Record:
    """Append ``signer``'s reveal, once commitments are closed and before the deadline."""
    records = _draw_records(ledger, draw)
    opening = _opening(records, draw)
    when = time or datetime.now(UTC)
    commits = {r.party: r for r in records if r.kind == COMMIT_KIND}
    if signer.party not in commits:
        raise DrawError(f"party {signer.party} made no commitment", where=f"draw {draw}")
    closed = set(commits) >= set(opening.body["parties"])
    if not closed and when <= parse_time(opening.body["commit_by"]):
        raise DrawError(
            "commitments are still open; reveal after all parties commit or "
            "the commit deadline passes",
            where=f"draw {draw}",
        )
    if when > parse_time(opening.body["reveal_by"]):
        raise DrawError("the reveal deadline has passed", where=f"draw {draw}")
    expected = commits[signer.party].body["commitment"]
    if commitment(opening.hash, signer.party, secret).hex() != expected:
        raise DrawError("this secret does not match the party's commitment", where=f"draw {draw}")
    return ledger.append(
        REVEAL_KIND, {"draw": draw, "secret": secret.hex()}, signer, ref=draw, time=when
    )


def compute_outcome(
    records: Sequence[Record], draw: str, *, now: datetime | None = None
) -> DrawOutcome:
    """Recompute a draw from its records (opening, commitments, reveals).

    Only commitments made by the commit deadline and reveals that match them, made
    after commitments closed (later in the ledger than every counted commitment) and
    by the reveal deadline, count. Raises DrawError
    while a party may still reveal, or when nobody revealed.
    """
    opening = _opening(records, draw)
    parties: list[str] = list(opening.body["parties"])
    commit_by = opening.body["commit_by"]
    reveal_by = opening.body["reveal_by"]
    commits = {
        r.party: r
        for r in records
        if r.kind == COMMIT_KIND and r.time <= commit_by and r.party in parties
    }
    all_committed_at = max((r.time for r in commits.values()), default=commit_by)
    closed_at = all_committed_at if set(commits) >= set(parties) else commit_by
    # Ledger order decides, not timestamps alone: a reveal recorded before the last
    # counted commitment could have been read by that committer, so it does not count.
    last_commit_seq = max((r.seq for r in commits.values()), default=-1)
    revealed: dict[str, bytes] = {}
    for record in records:
        if record.kind != REVEAL_KIND or record.party not in commits:
            continue
        if record.seq <= last_commit_seq or not closed_at <= record.time <= reveal_by:
            continue
        secret = bytes.fromhex(record.body["secret"])
        if (
            commitment(opening.hash, record.party, secret).hex()
            == commits[record.party].body["commitment"]
        ):
            revealed[record.party] = secret
    missing = [p for p in parties if p not in revealed]
    deadline_passed = now is not None and format_time(now) > reveal_by
    if missing and not deadline_passed:
        raise DrawError(
            f"waiting for reveals from {', '.join(missing)} until {reveal_by}", where=f"draw {draw}"
        )
    if not revealed:
        raise DrawError("no party revealed its secret; the draw failed", where=f"draw {draw}")
    seed = seed_from_secrets(opening.hash, revealed)
    population: list[str] = list(opening.body["population"])
    chosen = sample_indices(seed, len(population), int(opening.body["count"]))
    return DrawOutcome(
        draw,
        opening.hash_hex,
        seed.hex(),
        [population[i] for i in chosen],
        sorted(revealed),
        missing,
    )


def settle(ledger: Ledger, signer: PartyKey, draw: str, *, time: datetime | None = None) -> Record:
    """Compute the draw from the ledger and append the ``draw_result`` record."""
    when = time or datetime.now(UTC)
    outcome = compute_outcome(_draw_records(ledger, draw), draw, now=when)
    return ledger.append(RESULT_KIND, outcome.to_body(), signer, ref=draw, time=when)


def check_draw_results(records: Sequence[Record]) -> tuple[int, str] | None:
    """Recompute every ``draw_result`` from the draw records before it.

    Returns the sequence number of the first result that does not match its
    recomputation, or of the first draw record whose reference is not its draw (the
    functions here find a draw's records by reference), with the reason; None when
    all are sound.
    """
    by_draw: dict[str, list[Record]] = {}
    for record in records:
        draw = str(record.body.get("draw"))
        if record.ref != draw:
            return record.seq, f"{record.kind} names draw {draw} but its reference is {record.ref}"
        if record.kind != RESULT_KIND:
            by_draw.setdefault(draw, []).append(record)
            continue
        try:
            outcome = compute_outcome(by_draw.get(draw, []), draw, now=parse_time(record.time))
        except (DrawError, InputError, KeyError, ValueError, TypeError) as exc:
            return record.seq, f"draw {draw} cannot be recomputed ({exc})"
        if outcome.to_body() != record.body:
            return record.seq, f"draw {draw} does not match its recomputation from the ledger"
    return None
