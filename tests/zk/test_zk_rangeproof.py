"""Range and limit proofs: completeness, soundness against tampering and cheats, zero-knowledge."""

from __future__ import annotations

import random

import pytest
from scipy import stats

from treatyverify.errors import InputError
from treatyverify.methods.zk.group import GROUP_ORDER, Point, Scalar
from treatyverify.methods.zk.pedersen import GENERATOR_G, GENERATOR_H, commit
from treatyverify.methods.zk.rangeproof import (
    BIT_PROOF_BYTES,
    BitProof,
    BitTranscript,
    LimitProof,
    ProofContext,
    RangeProof,
    _absorb_statement,
    _bit_commit,
    _bit_respond,
    _limit_transcript,
    _split_blindings,
    bits_for_limit,
    check_bit_transcript,
    honest_bit_transcript,
    prove_at_most,
    prove_range,
    simulate_bit_transcript,
    slack_commitment,
    verify_at_most,
    verify_range,
)

CTX = ProofContext("new-start", "us", "2026-09-01")


@pytest.mark.parametrize("value", [0, 1, 5, 255])
def test_range_completeness(value: int) -> None:
    c, o = commit(value)
    proof = prove_range(o, 8, CTX)
    assert len(proof.to_bytes()) == 8 * BIT_PROOF_BYTES
    assert verify_range(c, proof, 8, CTX)
    assert not verify_range(c, proof, 7, CTX)
    assert verify_range(c, RangeProof.from_bytes(proof.to_bytes()), 8, CTX)


def test_range_prover_refuses_out_of_range() -> None:
    _, o = commit(256)
    with pytest.raises(InputError, match="refusing"):
        prove_range(o, 8, CTX)


@pytest.mark.parametrize(("value", "limit"), [(0, 0), (0, 1550), (1549, 1550), (1550, 1550)])
def test_limit_completeness(value: int, limit: int) -> None:
    c, o = commit(value)
    proof = prove_at_most(o, limit, CTX)
    assert verify_at_most(c, limit, proof, CTX)
    assert bits_for_limit(1550) == 11


def test_over_limit_prover_refuses() -> None:
    _, o = commit(1551)
    with pytest.raises(InputError, match="exceeds the limit"):
        prove_at_most(o, 1550, CTX)


def test_proof_for_another_commitment_fails() -> None:
    c_over, _ = commit(1600)
    _, o_ok = commit(1500)
    proof = prove_at_most(o_ok, 1550, CTX)
    assert not verify_at_most(c_over, 1550, proof, CTX)


def test_forged_over_limit_proof_fails() -> None:
    """The obvious cheat: total = limit + 1, so the slack is −1 mod ℓ (no bit decomposition).

    The forger commits honestly to the bits of some in-range number for all bits but the
    lowest, then sets the lowest "bit" commitment to whatever makes Σ 2^i C_i equal the
    slack commitment. It knows neither opening of that commitment to 0 or 1, so it must
    simulate both branches, fixing e0 and e1 before the challenge exists.
    """
    limit, total = 1550, 1551
    c_total, o_total = commit(total)
    bits = bits_for_limit(limit)
    # the total itself is in range: its bits are proven honestly
    slack_c = slack_commitment(c_total, limit)
    rs = _split_blindings(o_total.blinding, bits)
    states_total = [_bit_commit((total >> i) & 1, rs[i]) for i in range(bits)]
    # slack: bits 1.. honest commitments to 1, bit 0 chosen to close the sum
    upper = [_bit_commit(1, Scalar.random()) for _ in range(bits - 1)]
    acc = Point.identity()
    for i, s in enumerate(upper, start=1):
        acc = acc + s.commitment * Scalar.from_int(1 << i)
    c0 = slack_c - acc
    e0, e1, z0, z1 = (Scalar.random() for _ in range(4))
    fake0 = BitProof(c0, e0, e1, z0, z1)
    a0, a1 = fake0.first_messages()
    transcript = _limit_transcript(CTX, limit, b"")
    _absorb_statement(transcript, c_total, bits, states_total)
    transcript.append(b"statement-commitment", bytes(slack_c))
    transcript.append_int(b"statement-bits", bits)
    for c, x0, x1 in [(c0, a0, a1)] + [(s.commitment, s.a0, s.a1) for s in upper]:
        transcript.append(b"bit-commitment", bytes(c))
        transcript.append(b"A0", bytes(x0))
        transcript.append(b"A1", bytes(x1))
    e = transcript.challenge(b"range-challenge")
    forged = LimitProof(
        RangeProof(tuple(_bit_respond(s, e) for s in states_total)),
        RangeProof((fake0, *(_bit_respond(s, e) for s in upper))),
    )
    # the structure is right: the sums check, every honest bit proof splits e correctly
    assert all(b.e0 + b.e1 == e for b in forged.total.bits)
    assert all(b.e0 + b.e1 == e for b in forged.slack.bits[1:])
    assert not verify_at_most(c_total, limit, forged, CTX)


def test_every_altered_proof_byte_fails() -> None:
    limit = 3  # 2 bits per range, 4 bit proofs, 640 bytes: flip one bit in every byte
    c, o = commit(2)
    proof = prove_at_most(o, limit, CTX)
    raw = proof.to_bytes()
    assert verify_at_most(c, limit, LimitProof.from_bytes(raw), CTX)
    rng = random.Random(7)
    for index in range(len(raw)):
        altered = bytearray(raw)
        altered[index] ^= 1 << rng.randrange(8)
        try:
            forged = LimitProof.from_bytes(bytes(altered))
        except InputError:
            continue  # non-canonical encoding: rejected at parsing
        assert not verify_at_most(c, limit, forged, CTX), index


def test_altered_commitment_or_context_fails() -> None:
    c, o = commit(1200)
    proof = prove_at_most(o, 1550, CTX)
    assert verify_at_most(c, 1550, proof, CTX)
    assert not verify_at_most(c + GENERATOR_H, 1550, proof, CTX)
    assert not verify_at_most(c - GENERATOR_G, 1550, proof, CTX)
    assert not verify_at_most(c, 1549, proof, CTX)  # same bit width, other limit
    for other in (
        ProofContext("inf", "us", "2026-09-01"),
        ProofContext("new-start", "ru", "2026-09-01"),
        ProofContext("new-start", "us", "2027-03-01"),
    ):
        assert not verify_at_most(c, 1550, proof, other)
    assert not verify_at_most(c, 1550, proof, CTX, statement=b"x")
    swapped = LimitProof(proof.slack, proof.total)
    assert not verify_at_most(c, 1550, swapped, CTX)


def test_context_fields_required() -> None:
    with pytest.raises(InputError) as info:
        ProofContext("new-start", "", "2026")
    assert info.value.where == "context.party"


# ------------------------------------------------------------------ zero-knowledge


def _coordinates(ts: list[BitTranscript]) -> dict[str, list[float]]:
    return {
        name: [getattr(t, name).to_int() / GROUP_ORDER for t in ts] for name in ("e0", "z0", "z1")
    }


def test_simulated_and_real_or_transcripts_indistinguishable() -> None:
    """Honest-verifier ZK of the bit OR-proof, checked statistically.

    Real transcripts (half for bit 0, half for bit 1, uniform challenges) and simulated
    ones (no witness, same commitments and challenges) all verify; their response and
    challenge-share coordinates, scaled to [0, 1), are compared with two-sample KS tests,
    and the first byte of the first message A0 with a chi-square test of homogeneity.
    A deliberately leaky simulator is shown to be caught by the same test.
    """
    n = 600
    real, sim, leaky = [], [], []
    for i in range(n):
        bit, r, e = i % 2, Scalar.random(), Scalar.random()
        t = honest_bit_transcript(bit, r, e)
        s = simulate_bit_transcript(t.commitment, e)
        assert check_bit_transcript(t) and check_bit_transcript(s)
        real.append(t)
        sim.append(s)
        # leaky: e0 carries the bit (confined to one half of [0, ℓ) by the bit)
        half = Scalar.from_int(
            random.Random(i).randrange(GROUP_ORDER // 2) + bit * GROUP_ORDER // 2
        )
        leaky.append(BitTranscript(t.commitment, t.a0, t.a1, e, half, e - half, t.z0, t.z1))
    cr, cs = _coordinates(real), _coordinates(sim)
    for name in cr:
        assert stats.ks_2samp(cr[name], cs[name]).pvalue > 1e-4, name
        assert stats.kstest(cr[name], "uniform").pvalue > 1e-4, name
    table = [[0] * 8 for _ in range(2)]
    for row, ts in enumerate((real, sim)):
        for t in ts:
            table[row][(bytes(t.a0)[0] >> 1) % 8] += 1  # bit 0 is always 0
    assert stats.chi2_contingency(table).pvalue > 1e-4
    # the test has power: a transcript whose e0 depends on the bit is told apart from
    # the simulator's by conditioning on the (hidden) bit
    leaky_bit1 = [t.e0.to_int() / GROUP_ORDER for i, t in enumerate(leaky) if i % 2]
    sim_bit1 = [t.e0.to_int() / GROUP_ORDER for i, t in enumerate(sim) if i % 2]
    assert stats.ks_2samp(leaky_bit1, sim_bit1).pvalue < 1e-6
    real_bit1 = [t.e0.to_int() / GROUP_ORDER for i, t in enumerate(real) if i % 2]
    assert stats.ks_2samp(real_bit1, sim_bit1).pvalue > 1e-4


def test_simulated_transcript_needs_programmed_challenge() -> None:
    """Without choosing the challenge, a simulated transcript fails a fresh challenge."""
    c, _ = commit(1)
    s = simulate_bit_transcript(c, Scalar.random())
    fresh = BitTranscript(s.commitment, s.a0, s.a1, Scalar.random(), s.e0, s.e1, s.z0, s.z1)
    assert not check_bit_transcript(fresh)
    # and a commitment to 2 has no real transcript: the prover refuses the bit
    with pytest.raises(InputError):
        honest_bit_transcript(2, Scalar.random(), Scalar.random())
