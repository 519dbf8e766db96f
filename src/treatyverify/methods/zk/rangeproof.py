"""Non-interactive zero-knowledge range proofs for Pedersen commitments.

A value ``v`` committed as ``C = v·G + r·H`` is proven to lie in ``[0, 2^n)`` by its bits:
each bit ``b_i`` is committed as ``C_i = b_i·G + r_i·H``, with blindings chosen so that
``Σ 2^i r_i = r``; the verifier checks ``Σ 2^i C_i = C`` itself, and an OR-proof shows
that each ``C_i`` opens to 0 or to 1: a Schnorr proof of knowledge of ``log_H C_i`` OR of
``log_H (C_i − G)``, the false branch simulated (Cramer, Damgård & Schoenmakers, CRYPTO
'94). All bit proofs of all statements share one Fiat–Shamir challenge ``e`` (Fiat &
Shamir, CRYPTO '86); each bit proof splits it, ``e0 + e1 = e``.

The transcript (:class:`Transcript`) is SHA-512 over length-framed items: the
domain-separation tag :data:`RANGE_TAG`, the treaty, party and period of the
:class:`ProofContext`, the caller's statement, and for every range statement its
commitment and bit width, then every bit commitment and both first messages.

``v ≤ L`` is proven (:func:`prove_at_most`) by two range proofs on ``n = bit_length(L)``
bits sharing one challenge: ``v ∈ [0, 2^n)`` on ``C``, and ``L − v ∈ [0, 2^n)`` on
``L·G − C``, which the verifier computes and which the prover opens with ``−r``.
Since ``2^(n+1) < ℓ`` nothing wraps, so ``0 ≤ v ≤ L`` as integers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from treatyverify.errors import InputError
from treatyverify.methods.zk.group import Point, Scalar
from treatyverify.methods.zk.pedersen import GENERATOR_G, GENERATOR_H, Opening, commit_scalar

__all__ = [
    "BIT_PROOF_BYTES",
    "LIMIT_KIND",
    "MAX_BITS",
    "RANGE_KIND",
    "RANGE_TAG",
    "BitProof",
    "BitTranscript",
    "LimitProof",
    "ProofContext",
    "RangeProof",
    "Transcript",
    "bits_for_limit",
    "check_bit_transcript",
    "honest_bit_transcript",
    "prove_at_most",
    "prove_range",
    "prove_ranges",
    "simulate_bit_transcript",
    "slack_commitment",
    "verify_at_most",
    "verify_range",
    "verify_ranges",
]

RANGE_TAG: Final = b"treatyverify/zk/rangeproof/v1"
"""Domain-separation tag that opens every range-proof transcript."""
RANGE_KIND: Final = b"range"
"""Statement kind of :func:`prove_range`."""
LIMIT_KIND: Final = b"at-most"
"""Statement kind of :func:`prove_at_most`."""
MAX_BITS: Final = 64
"""Largest bit width of a range (``2^(MAX_BITS+1)`` is far below the group order)."""

BIT_PROOF_BYTES: Final = 160
"""Size of one bit proof: a point and four scalars, 32 bytes each."""

_BIT_FIELDS: Final = ("C", "e0", "e1", "z0", "z1")


@dataclass(frozen=True)
class ProofContext:
    """What a proof is about, bound into its Fiat–Shamir challenge.

    Attributes
    ----------
    treaty
        Treaty identifier (for example ``"new-start"``).
    party
        Identifier of the declaring (proving) party.
    period
        Reporting period or as-of date of the declaration (for example ``"2026-09-01"``).
    """

    treaty: str
    party: str
    period: str

    def __post_init__(self) -> None:
        for name in ("treaty", "party", "period"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise InputError("must be a non-empty string", where=f"context.{name}")


class Transcript:
    """A Fiat–Shamir transcript: SHA-512 over length-framed labelled items.

    Parameters
    ----------
    tag
        Domain-separation tag, the first item hashed.
    """

    def __init__(self, tag: bytes) -> None:
        if not tag:
            raise ValueError("a domain-separation tag is required")
        self._h = hashlib.sha512()
        self._frame(tag)

    def _frame(self, data: bytes) -> None:
        self._h.update(len(data).to_bytes(8, "big"))
        self._h.update(data)

    @classmethod
    def for_context(cls, context: ProofContext, tag: bytes = RANGE_TAG) -> Transcript:
        """A transcript opened with ``tag`` and the treaty, party and period of ``context``."""
        transcript = cls(tag)
        transcript.append(b"treaty", context.treaty.encode())
        transcript.append(b"party", context.party.encode())
        transcript.append(b"period", context.period.encode())
        return transcript

    def append(self, label: bytes, data: bytes) -> None:
        """Absorb one labelled item."""
        self._frame(label)
        self._frame(data)

    def append_int(self, label: bytes, value: int) -> None:
        """Absorb a non-negative integer (16 bytes, big-endian)."""
        self.append(label, value.to_bytes(16, "big"))

    def challenge(self, label: bytes) -> Scalar:
        """The challenge scalar for everything absorbed so far; the challenge is absorbed too."""
        self._frame(label)
        e = Scalar.from_wide_bytes(self._h.copy().digest())
        self.append(b"challenge", bytes(e))
        return e


@dataclass(frozen=True)
class BitProof:
    """The proof that ``commitment`` opens to 0 or 1.

    Attributes
    ----------
    commitment
        The bit commitment ``C_i``.
    e0, e1
        Challenge shares of the branches "bit 0" and "bit 1" (``e0 + e1 = e``).
    z0, z1
        Responses of the two branches.
    """

    commitment: Point
    e0: Scalar
    e1: Scalar
    z0: Scalar
    z1: Scalar

    def first_messages(self) -> tuple[Point, Point]:
        """The first messages ``A0 = z0·H − e0·C`` and ``A1 = z1·H − e1·(C − G)``."""
        c = self.commitment
        return (
            GENERATOR_H * self.z0 - c * self.e0,
            GENERATOR_H * self.z1 - (c - GENERATOR_G) * self.e1,
        )

    def to_bytes(self) -> bytes:
        """``C || e0 || e1 || z0 || z1`` (160 bytes)."""
        return b"".join(bytes(x) for x in (self.commitment, self.e0, self.e1, self.z0, self.z1))

    @classmethod
    def from_bytes(cls, data: bytes, *, field: str = "bit proof") -> BitProof:
        """Parse the 160-byte form of :meth:`to_bytes` strictly."""
        if len(data) != BIT_PROOF_BYTES:
            raise InputError(f"a bit proof is {BIT_PROOF_BYTES} bytes", where=field)
        c, e0, e1, z0, z1 = (data[i : i + 32] for i in range(0, BIT_PROOF_BYTES, 32))
        return cls(
            Point(c, field=f"{field}.C"),
            Scalar(e0, field=f"{field}.e0"),
            Scalar(e1, field=f"{field}.e1"),
            Scalar(z0, field=f"{field}.z0"),
            Scalar(z1, field=f"{field}.z1"),
        )

    def to_dict(self) -> dict[str, str]:
        """JSON form: each field as 64 lowercase hex digits."""
        return {
            "C": self.commitment.hex(),
            "e0": self.e0.hex(),
            "e1": self.e1.hex(),
            "z0": self.z0.hex(),
            "z1": self.z1.hex(),
        }

    @classmethod
    def from_dict(cls, data: object, *, field: str) -> BitProof:
        """Parse the JSON form strictly (exact keys, canonical encodings)."""
        if not isinstance(data, Mapping) or set(data) != set(_BIT_FIELDS):
            raise InputError(f"expected an object with keys {list(_BIT_FIELDS)}", where=field)
        return cls(
            Point.from_hex(data["C"], field=f"{field}.C"),
            Scalar.from_hex(data["e0"], field=f"{field}.e0"),
            Scalar.from_hex(data["e1"], field=f"{field}.e1"),
            Scalar.from_hex(data["z0"], field=f"{field}.z0"),
            Scalar.from_hex(data["z1"], field=f"{field}.z1"),
        )


@dataclass(frozen=True)
class RangeProof:
    """The proof that a commitment opens to a value in ``[0, 2^n)``, ``n = len(bits)``.

    Attributes
    ----------
    bits
        One :class:`BitProof` per bit, least significant first.
    """

    bits: tuple[BitProof, ...]

    def to_bytes(self) -> bytes:
        """The bit proofs concatenated (160 bytes per bit)."""
        return b"".join(b.to_bytes() for b in self.bits)

    @classmethod
    def from_bytes(cls, data: bytes, *, field: str = "range proof") -> RangeProof:
        """Parse the form of :meth:`to_bytes` strictly (a whole number of bit proofs)."""
        count, rest = divmod(len(data), BIT_PROOF_BYTES)
        if rest or not 1 <= count <= MAX_BITS:
            raise InputError(
                f"expected 1 to {MAX_BITS} bit proofs of {BIT_PROOF_BYTES} bytes", where=field
            )
        return cls(
            tuple(
                BitProof.from_bytes(
                    data[i * BIT_PROOF_BYTES : (i + 1) * BIT_PROOF_BYTES], field=f"{field}[{i}]"
                )
                for i in range(count)
            )
        )

    def to_list(self) -> list[dict[str, str]]:
        """JSON form: a list of bit proofs."""
        return [b.to_dict() for b in self.bits]

    @classmethod
    def from_list(cls, data: object, *, field: str) -> RangeProof:
        """Parse the JSON form strictly."""
        if not isinstance(data, list) or not 1 <= len(data) <= MAX_BITS:
            raise InputError(f"expected a list of 1 to {MAX_BITS} bit proofs", where=field)
        return cls(tuple(BitProof.from_dict(b, field=f"{field}[{i}]") for i, b in enumerate(data)))


def _check_bits(bits: int) -> None:
    if isinstance(bits, bool) or not isinstance(bits, int) or not 1 <= bits <= MAX_BITS:
        raise InputError(f"the bit width must be an integer in [1, {MAX_BITS}]", where="bits")


def _weighted_sum(points: Sequence[Point]) -> Point:
    """``Σ 2^i P_i`` by Horner's rule (doublings are additions; no scalar multiplication)."""
    acc = Point.identity()
    for p in reversed(points):
        acc = acc + acc + p
    return acc


@dataclass
class _BitState:
    bit: int
    blinding: Scalar
    commitment: Point
    nonce: Scalar
    e_fake: Scalar
    z_fake: Scalar
    a0: Point
    a1: Point


def _bit_commit(bit: int, blinding: Scalar) -> _BitState:
    """First move of the OR-proof: the real branch's nonce, the false branch simulated."""
    c = commit_scalar(Scalar.from_int(bit), blinding)
    k, e_fake, z_fake = Scalar.random(), Scalar.random(), Scalar.random()
    if bit == 0:
        a0 = GENERATOR_H * k
        a1 = GENERATOR_H * z_fake - (c - GENERATOR_G) * e_fake
    else:
        a0 = GENERATOR_H * z_fake - c * e_fake
        a1 = GENERATOR_H * k
    return _BitState(bit, blinding, c, k, e_fake, z_fake, a0, a1)


def _bit_respond(state: _BitState, e: Scalar) -> BitProof:
    """Last move: split the challenge and answer the real branch."""
    e_real = e - state.e_fake
    z_real = state.nonce + e_real * state.blinding
    if state.bit == 0:
        return BitProof(state.commitment, e_real, state.e_fake, z_real, state.z_fake)
    return BitProof(state.commitment, state.e_fake, e_real, state.z_fake, z_real)


def _split_blindings(blinding: Scalar, bits: int) -> list[Scalar]:
    """Random ``r_0 .. r_{n-2}`` and ``r_{n-1}`` such that ``Σ 2^i r_i = blinding``."""
    rs = [Scalar.random() for _ in range(bits - 1)]
    rest = blinding
    for i, r in enumerate(rs):
        rest = rest - Scalar.from_int(1 << i) * r
    rs.append(rest * Scalar.from_int(1 << (bits - 1)).invert())
    return rs


def _absorb_statement(
    transcript: Transcript, commitment: Point, bits: int, proof_bits: Sequence[BitProof | _BitState]
) -> None:
    transcript.append(b"statement-commitment", bytes(commitment))
    transcript.append_int(b"statement-bits", bits)
    for item in proof_bits:
        if isinstance(item, BitProof):
            a0, a1 = item.first_messages()
        else:
            a0, a1 = item.a0, item.a1
        transcript.append(b"bit-commitment", bytes(item.commitment))
        transcript.append(b"A0", bytes(a0))
        transcript.append(b"A1", bytes(a1))


def prove_ranges(
    statements: Sequence[tuple[Opening, int]], transcript: Transcript
) -> tuple[RangeProof, ...]:
    """Prove several range statements under one Fiat–Shamir challenge.

    Parameters
    ----------
    statements
        ``(opening, n)`` pairs: prove that the commitment opened by ``opening`` holds a
        value in ``[0, 2^n)``.
    transcript
        Transcript already holding the context; the statements are absorbed into it.

    Raises
    ------
    InputError
        A value lies outside its range: no proof exists and none is made.
    """
    states: list[list[_BitState]] = []
    for index, (opening, bits) in enumerate(statements):
        _check_bits(bits)
        if not 0 <= opening.value < (1 << bits):
            raise InputError(
                f"the committed value is outside [0, 2^{bits}); refusing to prove",
                where=f"statement {index}",
            )
        rs = _split_blindings(opening.blinding, bits)
        bit_states = [_bit_commit((opening.value >> i) & 1, rs[i]) for i in range(bits)]
        commitment = commit_scalar(Scalar.from_int(opening.value), opening.blinding)
        _absorb_statement(transcript, commitment, bits, bit_states)
        states.append(bit_states)
    e = transcript.challenge(b"range-challenge")
    return tuple(RangeProof(tuple(_bit_respond(s, e) for s in bit_states)) for bit_states in states)


def verify_ranges(
    statements: Sequence[tuple[Point, int, RangeProof]], transcript: Transcript
) -> bool:
    """Verify range statements proven together by :func:`prove_ranges`.

    Parameters
    ----------
    statements
        ``(commitment, n, proof)`` triples, in the prover's order.
    transcript
        Transcript holding the same context as the prover's.
    """
    all_bits: list[BitProof] = []
    for commitment, bits, proof in statements:
        _check_bits(bits)
        if len(proof.bits) != bits:
            return False
        if _weighted_sum([b.commitment for b in proof.bits]) != commitment:
            return False
        _absorb_statement(transcript, commitment, bits, proof.bits)
        all_bits.extend(proof.bits)
    e = transcript.challenge(b"range-challenge")
    return all(b.e0 + b.e1 == e for b in all_bits)


def prove_range(opening: Opening, bits: int, context: ProofContext) -> RangeProof:
    """Prove that the commitment opened by ``opening`` holds a value in ``[0, 2^bits)``."""
    transcript = Transcript.for_context(context)
    transcript.append(b"kind", RANGE_KIND)
    return prove_ranges([(opening, bits)], transcript)[0]


def verify_range(commitment: Point, proof: RangeProof, bits: int, context: ProofContext) -> bool:
    """Verify a proof of :func:`prove_range`."""
    transcript = Transcript.for_context(context)
    transcript.append(b"kind", RANGE_KIND)
    return verify_ranges([(commitment, bits, proof)], transcript)


def bits_for_limit(limit: int) -> int:
    """The bit width ``n`` of the ranges that prove ``v ≤ limit``: ``2^n > limit``."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 <= limit < (1 << MAX_BITS):
        raise InputError(f"the limit must be an integer in [0, 2^{MAX_BITS})", where="limit")
    return max(1, limit.bit_length())


def slack_commitment(commitment: Point, limit: int) -> Point:
    """``limit·G − commitment``: a commitment to ``limit − v`` with blinding ``−r``."""
    return Point.base_times(Scalar.from_int(limit)) - commitment


@dataclass(frozen=True)
class LimitProof:
    """The proof that a commitment holds ``v`` with ``0 ≤ v ≤ limit``.

    Attributes
    ----------
    total
        Range proof of ``v ∈ [0, 2^n)`` on the commitment.
    slack
        Range proof of ``limit − v ∈ [0, 2^n)`` on :func:`slack_commitment`.
    """

    total: RangeProof
    slack: RangeProof

    def to_bytes(self) -> bytes:
        """The two range proofs concatenated."""
        return self.total.to_bytes() + self.slack.to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes, *, field: str = "limit proof") -> LimitProof:
        """Parse the form of :meth:`to_bytes`: two range proofs of equal length."""
        half, rest = divmod(len(data), 2)
        if rest:
            raise InputError("expected two range proofs of equal length", where=field)
        return cls(
            RangeProof.from_bytes(data[:half], field=f"{field}.total"),
            RangeProof.from_bytes(data[half:], field=f"{field}.slack"),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON form: ``{"total": [...], "slack": [...]}``."""
        return {"total": self.total.to_list(), "slack": self.slack.to_list()}

    @classmethod
    def from_dict(cls, data: object, *, field: str) -> LimitProof:
        """Parse the JSON form strictly."""
        if not isinstance(data, Mapping) or set(data) != {"total", "slack"}:
            raise InputError('expected an object with keys ["slack", "total"]', where=field)
        return cls(
            RangeProof.from_list(data["total"], field=f"{field}.total"),
            RangeProof.from_list(data["slack"], field=f"{field}.slack"),
        )


def _limit_transcript(context: ProofContext, limit: int, statement: bytes) -> Transcript:
    transcript = Transcript.for_context(context)
    transcript.append(b"kind", LIMIT_KIND)
    transcript.append(b"statement", statement)
    transcript.append_int(b"limit", limit)
    return transcript


def prove_at_most(
    opening: Opening, limit: int, context: ProofContext, *, statement: bytes = b""
) -> LimitProof:
    """Prove that the commitment opened by ``opening`` holds a value ``≤ limit``.

    Parameters
    ----------
    opening
        Opening of the commitment (the value, items, and its blinding).
    limit
        The treaty limit (items).
    context
        Treaty, party and period, bound into the challenge.
    statement
        Further public bytes bound into the challenge (for example the site list).

    Raises
    ------
    InputError
        The value exceeds the limit: the prover refuses (no valid proof exists).
    """
    bits = bits_for_limit(limit)
    if opening.value > limit:
        raise InputError("the committed total exceeds the limit; refusing to prove", where="limit")
    slack = Opening(limit - opening.value, -opening.blinding)
    total_proof, slack_proof = prove_ranges(
        [(opening, bits), (slack, bits)], _limit_transcript(context, limit, statement)
    )
    return LimitProof(total_proof, slack_proof)


def verify_at_most(
    commitment: Point,
    limit: int,
    proof: LimitProof,
    context: ProofContext,
    *,
    statement: bytes = b"",
) -> bool:
    """Verify a proof of :func:`prove_at_most` for ``commitment`` and ``limit``."""
    bits = bits_for_limit(limit)
    return verify_ranges(
        [
            (commitment, bits, proof.total),
            (slack_commitment(commitment, limit), bits, proof.slack),
        ],
        _limit_transcript(context, limit, statement),
    )


# ---------------------------------------------------------------- interactive form (ZK study)


@dataclass(frozen=True)
class BitTranscript:
    """One run of the interactive OR-proof: first messages, challenge, responses.

    Attributes
    ----------
    commitment
        The bit commitment ``C``.
    a0, a1
        First messages of the two branches.
    challenge
        The verifier's challenge ``e``.
    e0, e1, z0, z1
        Challenge split and responses.
    """

    commitment: Point
    a0: Point
    a1: Point
    challenge: Scalar
    e0: Scalar
    e1: Scalar
    z0: Scalar
    z1: Scalar


def honest_bit_transcript(bit: int, blinding: Scalar, challenge: Scalar) -> BitTranscript:
    """A real prover's transcript with an honest verifier's ``challenge``.

    The honest verifier draws the challenge independently of the first messages, so
    passing it in advance gives the same distribution of transcripts.
    """
    if bit not in (0, 1):
        raise InputError("a bit is 0 or 1", where="bit")
    state = _bit_commit(bit, blinding)
    proof = _bit_respond(state, challenge)
    return BitTranscript(
        state.commitment, state.a0, state.a1, challenge, proof.e0, proof.e1, proof.z0, proof.z1
    )


def simulate_bit_transcript(commitment: Point, challenge: Scalar) -> BitTranscript:
    """The honest-verifier simulator: a transcript for ``challenge`` without the witness.

    Choose ``e0``, ``z0``, ``z1`` uniformly, set ``e1 = e − e0`` and solve both
    verification equations for the first messages.
    """
    e0, z0, z1 = Scalar.random(), Scalar.random(), Scalar.random()
    e1 = challenge - e0
    a0 = GENERATOR_H * z0 - commitment * e0
    a1 = GENERATOR_H * z1 - (commitment - GENERATOR_G) * e1
    return BitTranscript(commitment, a0, a1, challenge, e0, e1, z0, z1)


def check_bit_transcript(t: BitTranscript) -> bool:
    """The verifier's checks on an interactive transcript."""
    return (
        t.e0 + t.e1 == t.challenge
        and GENERATOR_H * t.z0 == t.a0 + t.commitment * t.e0
        and GENERATOR_H * t.z1 == t.a1 + (t.commitment - GENERATOR_G) * t.e1
    )
