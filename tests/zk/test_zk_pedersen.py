"""Pedersen commitments: generators, opening, homomorphism, input checks."""

from __future__ import annotations

import hashlib

import pysodium
import pytest

from treatyverify.errors import InputError
from treatyverify.methods.zk.group import Point, Scalar
from treatyverify.methods.zk.pedersen import (
    GENERATOR_G,
    GENERATOR_H,
    H_SEED,
    H_TAG,
    MAX_COUNT,
    check_opening,
    commit,
    commit_counts,
    commit_scalar,
    sum_commitments,
    sum_openings,
)


def test_generator_h_from_documented_string() -> None:
    # Recompute H independently: SHA-512 over the 8-byte big-endian length-framed tag and seed.
    framed = b"".join(len(x).to_bytes(8, "big") + x for x in (H_TAG, H_SEED))
    expected = pysodium.crypto_core_ristretto255_from_hash(hashlib.sha512(framed).digest())
    assert bytes(GENERATOR_H) == expected
    assert Point.base() == GENERATOR_G
    assert not GENERATOR_H.is_identity()
    assert GENERATOR_H != GENERATOR_G


def test_commit_and_open() -> None:
    c, opening = commit(31)
    assert check_opening(c, 31, opening.blinding)
    assert not check_opening(c, 30, opening.blinding)
    assert not check_opening(c, 31, opening.blinding + Scalar.from_int(1))
    assert not check_opening(c, -1, opening.blinding)
    assert "hidden" in repr(opening)


def test_commitment_to_zero_is_blinding_times_h() -> None:
    r = Scalar.random()
    c, _ = commit(0, r)
    assert c == GENERATOR_H * r
    assert commit(0, Scalar.zero())[0].is_identity()


def test_commitments_hide_equal_values() -> None:
    assert commit(5)[0] != commit(5)[0]


def test_homomorphic_sum() -> None:
    parts = [commit(v) for v in (3, 0, 17, 250)]
    total_c = sum_commitments(c for c, _ in parts)
    total_o = sum_openings(o for _, o in parts)
    assert total_o.value == 270
    assert check_opening(total_c, 270, total_o.blinding)
    assert sum_commitments([]).is_identity()
    assert commit_scalar(Scalar.from_int(270), total_o.blinding) == total_c


@pytest.mark.parametrize("bad", [-1, MAX_COUNT + 1, True, 1.5, "3"])
def test_bad_counts_rejected(bad: object) -> None:
    with pytest.raises(InputError) as info:
        commit(bad, field="counts[Minot]")  # type: ignore[arg-type]
    assert info.value.where == "counts[Minot]"


def test_commit_counts_table() -> None:
    table = commit_counts({"Minot": 150, "Malmstrom": 150, "Warren": 150})
    assert list(table.commitments) == ["Minot", "Malmstrom", "Warren"]
    for name, c in table.commitments.items():
        assert check_opening(c, table.openings[name].value, table.openings[name].blinding)
    c, o = table.total()
    assert o.value == 450 and check_opening(c, 450, o.blinding)
    with pytest.raises(InputError, match="non-empty"):
        commit_counts({"": 1})
    with pytest.raises(InputError) as info:
        commit_counts({"Minot": -3}, field="sites")
    assert info.value.where == "sites[Minot]"
