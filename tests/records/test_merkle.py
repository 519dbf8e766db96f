"""Tests of treatyverify.records.merkle: RFC 9162 section 2.1 Merkle trees (SHA-256).

Three lines of evidence:

(a) the Certificate Transparency reference vectors: the 8-leaf tree, its root at
    every size, and published inclusion and consistency proofs. The numbers are the
    public test data of Google's CT C++ code (cpp/merkletree/merkle_tree_test.cc in
    github.com/google/certificate-transparency), as carried on by
    github.com/transparency-dev/merkle, proof/verify_test.go;
(b) an independent, naive, recursive implementation written in this file straight
    from the RFC's definitions (MTH, PATH, PROOF/SUBPROOF, and verifiers that undo
    those recursions), compared over every tree size 1..70 and every index and
    old size;
(c) tampering: single-bit flips, wrong indices, swapped roots, truncated or padded
    proofs; and (d) hypothesis tests.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from treatyverify.records.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    MerkleAccumulator,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)

# --------------------------------------------------------------------- (a) CT vectors

CT_LEAF_DATA = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
CT_LEAVES = [leaf_hash(d) for d in CT_LEAF_DATA]

# Root of the tree of the first n leaves, n = 0..8.
CT_ROOTS = [
    bytes.fromhex(h)
    for h in [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]
]


def hashes(*hex_strings: str) -> list[bytes]:
    return [bytes.fromhex(h) for h in hex_strings]


# (zero-based leaf index, tree size, audit path); the source numbers leaves from 1.
CT_INCLUSION = [
    (0, 1, []),
    (
        0,
        8,
        hashes(
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ),
    ),
    (
        5,
        8,
        hashes(
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
    (2, 3, hashes("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")),
    (
        1,
        5,
        hashes(
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ),
    ),
]

# (old size, new size, consistency proof)
CT_CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        hashes(
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ),
    ),
    (
        6,
        8,
        hashes(
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
    (
        2,
        5,
        hashes(
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ),
    ),
    (
        6,
        7,
        hashes(
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ),
    ),
]

SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def test_hash_primitives() -> None:
    assert EMPTY_ROOT == CT_ROOTS[0] == hashlib.sha256(b"").digest()
    assert leaf_hash(b"") == CT_ROOTS[1]
    assert node_hash(CT_LEAVES[0], CT_LEAVES[1]) == CT_ROOTS[2]
    assert len(leaf_hash(b"x")) == HASH_SIZE


@pytest.mark.parametrize("size", range(9))
def test_ct_roots(size: int) -> None:
    assert root_from_leaf_hashes(CT_LEAVES[:size]) == CT_ROOTS[size]
    tree = MerkleAccumulator()
    tree.extend(CT_LEAVES[:size])
    assert tree.size == size
    assert tree.root() == CT_ROOTS[size]


@pytest.mark.parametrize(("index", "size", "path"), CT_INCLUSION)
def test_ct_inclusion_proofs(index: int, size: int, path: list[bytes]) -> None:
    assert inclusion_proof(index, CT_LEAVES[:size]) == path
    assert verify_inclusion(CT_LEAVES[index], index, size, path, CT_ROOTS[size])
    for probe in inclusion_probes(CT_LEAVES[index], index, size, path, CT_ROOTS[size]):
        assert not verify_inclusion(*probe)


@pytest.mark.parametrize(("old", "new", "proof"), CT_CONSISTENCY)
def test_ct_consistency_proofs(old: int, new: int, proof: list[bytes]) -> None:
    assert consistency_proof(old, CT_LEAVES[:new]) == proof
    assert verify_consistency(old, new, CT_ROOTS[old], CT_ROOTS[new], proof)
    if old == new:
        return
    for probe in consistency_probes(old, new, CT_ROOTS[old], CT_ROOTS[new], proof):
        assert not verify_consistency(*probe)


def inclusion_probes(
    leaf: bytes, index: int, size: int, path: list[bytes], root: bytes
) -> list[tuple[bytes, int, int, list[bytes], bytes]]:
    """Corruptions of a valid inclusion proof that must all fail (after the Go suite)."""
    probes = [
        (leaf, index - 1, size, path, root),
        (leaf, index + 1, size, path, root),
        (leaf, index ^ 2, size, path, root),
        (leaf, index, size * 2, path, root),
        (leaf, index, size // 2, path, root),
        (b"WrongLeaf", index, size, path, root),
        (leaf, index, size, path, EMPTY_ROOT if size > 1 else SOME_HASH),
        (leaf, index, size, path, SOME_HASH),
        (leaf, index, size, [*path, b""], root),
        (leaf, index, size, [*path, root], root),
        (leaf, index, size, [b"", *path], root),
        (leaf, index, size, [root, *path], root),
    ]
    if path:
        probes.append((leaf, index, size, path[:-1], root))
    if len(path) > 1:
        probes.append((leaf, index, size, [path[0], SOME_HASH, *path[1:]], root))
    return probes


def consistency_probes(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: list[bytes]
) -> list[tuple[int, int, bytes, bytes, list[bytes]]]:
    """Corruptions of a valid, non-trivial consistency proof that must all fail."""
    probes = [
        (old - 1, new, old_root, new_root, proof),
        (old + 1, new, old_root, new_root, proof),
        (old ^ 2, new, old_root, new_root, proof),
        (old, new * 2, old_root, new_root, proof),
        (old, new // 2, old_root, new_root, proof),
        (old, new, b"WrongRoot", new_root, proof),
        (old, new, old_root, b"WrongRoot", proof),
        (old, new, SOME_HASH, new_root, proof),
        (old, new, old_root, SOME_HASH, proof),
        (old, new, new_root, old_root, proof),  # swapped roots
        (new, old, new_root, old_root, proof),  # time travel
        (old, new, old_root, new_root, []),
        (old, new, old_root, new_root, [*proof, b""]),
        (old, new, old_root, new_root, [*proof, old_root]),
        (old, new, old_root, new_root, [*proof, new_root]),
        (old, new, old_root, new_root, [b"", *proof]),
        (old, new, old_root, new_root, [old_root, *proof]),
        (old, new, old_root, new_root, [new_root, *proof]),
        (old, new, old_root, new_root, [proof[0], *proof]),
        (old, new, old_root, new_root, proof[:-1]),
    ]
    return probes


# --------------------------------------------------------------------- (b) naive RFC


def k_of(n: int) -> int:
    """The RFC's k: the largest power of two smaller than n (n > 1), found naively."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def naive_node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def naive_mth(d: Sequence[bytes]) -> bytes:
    """MTH over leaf hashes, recursively as RFC 9162 section 2.1.1 defines it."""
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return d[0]
    k = k_of(len(d))
    return naive_node(naive_mth(d[:k]), naive_mth(d[k:]))


def naive_path(m: int, d: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 section 2.1.3.1."""
    if len(d) == 1:
        return []
    k = k_of(len(d))
    if m < k:
        return [*naive_path(m, d[:k]), naive_mth(d[k:])]
    return [*naive_path(m - k, d[k:]), naive_mth(d[:k])]


def naive_subproof(m: int, d: Sequence[bytes], b: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b) of RFC 9162 section 2.1.4.1."""
    n = len(d)
    if m == n:
        return [] if b else [naive_mth(d)]
    k = k_of(n)
    if m <= k:
        return [*naive_subproof(m, d[:k], b), naive_mth(d[k:])]
    return [*naive_subproof(m - k, d[k:], False), naive_mth(d[:k])]


def naive_proof(m: int, d: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]); empty where the RFC leaves it undefined (m = 0 or m = n)."""
    return [] if m in (0, len(d)) else naive_subproof(m, d, True)


def naive_root_from_path(m: int, n: int, leaf: bytes, path: list[bytes]) -> bytes | None:
    """Undo PATH: the root that leaf m of n and this path imply (None: wrong length)."""
    if n == 1:
        return leaf if not path else None
    if not path:
        return None
    k = k_of(n)
    *rest, last = path
    if m < k:
        left = naive_root_from_path(m, k, leaf, rest)
        return None if left is None else naive_node(left, last)
    right = naive_root_from_path(m - k, n - k, leaf, rest)
    return None if right is None else naive_node(last, right)


def naive_verify_inclusion(leaf: bytes, m: int, n: int, path: list[bytes], root: bytes) -> bool:
    if not 0 <= m < n or not all(len(h) == HASH_SIZE for h in [leaf, root, *path]):
        return False
    return naive_root_from_path(m, n, leaf, path) == root


def naive_roots_from_subproof(
    m: int, n: int, b: bool, proof: list[bytes], old_root: bytes
) -> tuple[bytes, bytes] | None:
    """Undo SUBPROOF(m, D[n], b): (root of the old leaves in D[n], root of D[n])."""
    if m == n:
        if b:
            return (old_root, old_root) if not proof else None
        return (proof[0], proof[0]) if len(proof) == 1 else None
    if not proof:
        return None
    k = k_of(n)
    *rest, last = proof
    if m <= k:
        inner = naive_roots_from_subproof(m, k, b, rest, old_root)
        return None if inner is None else (inner[0], naive_node(inner[1], last))
    inner = naive_roots_from_subproof(m - k, n - k, False, rest, old_root)
    if inner is None:
        return None
    return naive_node(last, inner[0]), naive_node(last, inner[1])


def naive_verify_consistency(
    m: int, n: int, old_root: bytes, new_root: bytes, proof: list[bytes]
) -> bool:
    if not all(len(h) == HASH_SIZE for h in [old_root, new_root, *proof]):
        return False
    if not 0 <= m <= n:
        return False
    if m == 0:  # the library's documented choice for the RFC's undefined cases
        return not proof and old_root == EMPTY_ROOT and (n > 0 or new_root == EMPTY_ROOT)
    if m == n:
        return not proof and old_root == new_root
    roots = naive_roots_from_subproof(m, n, True, proof, old_root)
    return roots == (old_root, new_root)


def synthetic_leaves(count: int, seed: int = 9162) -> list[bytes]:
    rng = random.Random(seed)
    return [leaf_hash(rng.randbytes(rng.randrange(0, 40))) for _ in range(count)]


LEAVES_70 = synthetic_leaves(70)
ROOTS_70 = [naive_mth(LEAVES_70[:n]) for n in range(71)]


def test_naive_implementation_reproduces_the_ct_vectors() -> None:
    assert [naive_mth(CT_LEAVES[:n]) for n in range(9)] == CT_ROOTS
    for index, size, path in CT_INCLUSION:
        assert naive_path(index, CT_LEAVES[:size]) == path
        assert naive_verify_inclusion(CT_LEAVES[index], index, size, path, CT_ROOTS[size])
    for old, new, proof in CT_CONSISTENCY:
        assert naive_proof(old, CT_LEAVES[:new]) == proof
        assert naive_verify_consistency(old, new, CT_ROOTS[old], CT_ROOTS[new], proof)


def test_roots_match_naive_for_every_size_up_to_70() -> None:
    tree = MerkleAccumulator()
    assert tree.root() == ROOTS_70[0]
    for n in range(1, 71):
        tree.append(LEAVES_70[n - 1])
        assert tree.size == n
        assert tree.root() == ROOTS_70[n]
        assert root_from_leaf_hashes(LEAVES_70[:n]) == ROOTS_70[n]


@pytest.mark.parametrize("size", range(1, 71))
def test_inclusion_matches_naive_for_every_index(size: int) -> None:
    leaves, root = LEAVES_70[:size], ROOTS_70[size]
    for index in range(size):
        path = inclusion_proof(index, leaves)
        assert path == naive_path(index, leaves)
        assert verify_inclusion(leaves[index], index, size, path, root)
        # The proof holds for no other position, and the naive verifier agrees on
        # other sizes (see test_a_root_presented_with_another_size below).
        for other in range(size):
            if other != index:
                assert not verify_inclusion(leaves[index], other, size, path, root)
        for other_size in {size - 1, size + 1, 2 * size, size // 2}:
            probe = (leaves[index], index, other_size, path, root)
            assert verify_inclusion(*probe) == naive_verify_inclusion(*probe)


@pytest.mark.parametrize("size", range(1, 71))
def test_consistency_matches_naive_for_every_old_size(size: int) -> None:
    leaves, root = LEAVES_70[:size], ROOTS_70[size]
    for old in range(size + 1):
        proof = consistency_proof(old, leaves)
        assert proof == naive_proof(old, leaves)
        assert verify_consistency(old, size, ROOTS_70[old], root, proof)
        if 0 < old < size:
            assert not verify_consistency(old, size, root, ROOTS_70[old], proof)  # swapped
        for other in range(size + 1):
            if other != old:
                probe = (other, size, ROOTS_70[other], root, proof)
                assert verify_consistency(*probe) == naive_verify_consistency(*probe)
                assert not verify_consistency(other, size, ROOTS_70[old], root, proof)


@pytest.mark.parametrize("size", range(1, 71))
def test_verifiers_agree_with_naive_on_corrupted_proofs(size: int) -> None:
    leaves, root = LEAVES_70[:size], ROOTS_70[size]
    for index in range(size):
        path = inclusion_proof(index, leaves)
        for probe in inclusion_probes(leaves[index], index, size, path, root):
            assert verify_inclusion(*probe) == naive_verify_inclusion(*probe)
    for old in range(1, size):
        proof = consistency_proof(old, leaves)
        for cprobe in consistency_probes(old, size, ROOTS_70[old], root, proof):
            assert verify_consistency(*cprobe) == naive_verify_consistency(*cprobe)


def test_a_root_presented_with_another_size_can_pass_rfc_verification() -> None:
    # RFC 9162 binds a size and a root only through the signed tree head: the path of
    # leaf 0 in a 3-leaf tree has the same shape as in a 4-leaf tree, so the genuine
    # 3-leaf root checks out when someone claims that tree has 4 leaves. Verifiers
    # must take size and root from one signed tree head; both implementations agree.
    path = inclusion_proof(0, CT_LEAVES[:3])
    assert verify_inclusion(CT_LEAVES[0], 0, 4, path, CT_ROOTS[3])
    assert naive_verify_inclusion(CT_LEAVES[0], 0, 4, path, CT_ROOTS[3])


# --------------------------------------------------------------------- (c) bit flips


def flipped(proof: list[bytes], element: int, bit: int) -> list[bytes]:
    """A copy of ``proof`` with one bit of one element inverted."""
    damaged = bytearray(proof[element])
    damaged[bit // 8] ^= 1 << (bit % 8)
    return [*proof[:element], bytes(damaged), *proof[element + 1 :]]


def flip(value: bytes, bit: int) -> bytes:
    return flipped([value], 0, bit)[0]


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13, 16, 31, 70])
def test_every_single_bit_flip_breaks_an_inclusion_proof(size: int) -> None:
    leaves, root = LEAVES_70[:size], ROOTS_70[size]
    for index in sorted({0, size // 3, size - 1}):
        path = inclusion_proof(index, leaves)
        for bit in range(8 * HASH_SIZE):
            assert not verify_inclusion(flip(leaves[index], bit), index, size, path, root)
            assert not verify_inclusion(leaves[index], index, size, path, flip(root, bit))
            for element in range(len(path)):
                damaged = flipped(path, element, bit)
                assert not verify_inclusion(leaves[index], index, size, damaged, root)


@pytest.mark.parametrize("size", [2, 3, 5, 8, 13, 16, 31, 70])
def test_every_single_bit_flip_breaks_a_consistency_proof(size: int) -> None:
    leaves, root = LEAVES_70[:size], ROOTS_70[size]
    for old in sorted({1, size // 2, size - 1}):
        proof = consistency_proof(old, leaves)
        old_root = ROOTS_70[old]
        for bit in range(8 * HASH_SIZE):
            assert not verify_consistency(old, size, flip(old_root, bit), root, proof)
            assert not verify_consistency(old, size, old_root, flip(root, bit), proof)
            for element in range(len(proof)):
                damaged = flipped(proof, element, bit)
                assert not verify_consistency(old, size, old_root, root, damaged)


# --------------------------------------------------------------------- edge cases


def test_trivial_consistency_cases() -> None:
    root = ROOTS_70[5]
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    assert verify_consistency(0, 5, EMPTY_ROOT, root, [])
    assert verify_consistency(5, 5, root, root, [])
    assert not verify_consistency(0, 0, EMPTY_ROOT, root, [])
    assert not verify_consistency(0, 5, root, root, [])  # an empty tree has EMPTY_ROOT
    assert not verify_consistency(0, 5, EMPTY_ROOT, root, [EMPTY_ROOT])
    assert not verify_consistency(5, 5, root, ROOTS_70[6], [])
    assert not verify_consistency(5, 5, root, root, [root])
    assert not verify_consistency(6, 5, ROOTS_70[6], root, [])


@pytest.mark.parametrize(
    "args",
    [
        (LEAVES_70[0], -1, 1, [], LEAVES_70[0]),
        (LEAVES_70[0], 0, -1, [], LEAVES_70[0]),
        (LEAVES_70[0], 0, 0, [], EMPTY_ROOT),
        (LEAVES_70[0], 1, 1, [], LEAVES_70[0]),
        (LEAVES_70[0][:31], 0, 1, [], LEAVES_70[0][:31]),
        ("not bytes", 0, 1, [], "not bytes"),
        (LEAVES_70[0], 0, 2, [bytearray(LEAVES_70[1])], ROOTS_70[2]),
        (LEAVES_70[0], 0, 2, [None], ROOTS_70[2]),
    ],
)
def test_verify_inclusion_returns_false_for_nonsense(args: tuple[object, ...]) -> None:
    assert verify_inclusion(*args) is False  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "args",
    [
        (-1, 5, EMPTY_ROOT, ROOTS_70[5], []),
        (2, -5, ROOTS_70[2], ROOTS_70[5], []),
        (2, 5, ROOTS_70[2][:16], ROOTS_70[5], consistency_proof(2, LEAVES_70[:5])),
        (2, 5, ROOTS_70[2], ROOTS_70[5], [*consistency_proof(2, LEAVES_70[:5]), 7]),
    ],
)
def test_verify_consistency_returns_false_for_nonsense(args: tuple[object, ...]) -> None:
    assert verify_consistency(*args) is False  # type: ignore[arg-type]


def test_generators_raise_value_error_for_nonsense() -> None:
    with pytest.raises(ValueError, match="outside a tree of 5"):
        inclusion_proof(5, LEAVES_70[:5])
    with pytest.raises(ValueError, match="outside a tree of 0"):
        inclusion_proof(0, [])
    with pytest.raises(ValueError, match="outside a tree"):
        inclusion_proof(-1, LEAVES_70[:5])
    with pytest.raises(ValueError, match="outside"):
        consistency_proof(6, LEAVES_70[:5])
    with pytest.raises(ValueError, match="outside"):
        consistency_proof(-1, LEAVES_70[:5])
    with pytest.raises(ValueError, match="not 3 bytes"):
        root_from_leaf_hashes([*LEAVES_70[:4], b"abc"])
    with pytest.raises(ValueError, match="not a str"):
        root_from_leaf_hashes(["x" * 32])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="not 33 bytes"):
        inclusion_proof(0, [LEAVES_70[0], LEAVES_70[1] + b"!"])
    with pytest.raises(ValueError, match="not 0 bytes"):
        MerkleAccumulator().append(b"")
    assert consistency_proof(0, []) == []


def test_accumulator_root_is_stable_and_cheap_to_repeat() -> None:
    tree = MerkleAccumulator()
    tree.extend(LEAVES_70)
    assert tree.root() == tree.root() == ROOTS_70[70]
    assert tree.size == 70


def test_extending_in_pieces_equals_one_tree_and_a_bad_hash_changes_nothing() -> None:
    tree = MerkleAccumulator()
    for low, high in ((0, 1), (1, 1), (1, 13), (13, 64), (64, 70)):
        tree.extend(LEAVES_70[low:high])
        assert (tree.size, tree.root()) == (high, ROOTS_70[high])
    with pytest.raises(ValueError, match="not 31 bytes"):
        tree.extend([LEAVES_70[0], b"x" * 31])
    assert (tree.size, tree.root()) == (70, ROOTS_70[70])


def test_large_tree_agrees_across_implementations() -> None:
    leaves = synthetic_leaves(5000, seed=1)
    tree = MerkleAccumulator()
    tree.extend(leaves)
    assert tree.root() == root_from_leaf_hashes(leaves) == naive_mth(leaves)
    path = inclusion_proof(4321, leaves)
    assert path == naive_path(4321, leaves)
    assert verify_inclusion(leaves[4321], 4321, 5000, path, tree.root())
    proof = consistency_proof(3333, leaves)
    assert proof == naive_proof(3333, leaves)
    assert verify_consistency(3333, 5000, naive_mth(leaves[:3333]), tree.root(), proof)


# --------------------------------------------------------------------- (d) hypothesis


@st.composite
def trees(draw: st.DrawFn) -> list[bytes]:
    count = draw(st.integers(1, 300))
    seed = draw(st.integers(0, 2**32))
    return synthetic_leaves(count, seed)


@settings(max_examples=150, deadline=None)
@given(trees(), st.data())
def test_random_inclusion_proofs(leaves: list[bytes], data: st.DataObject) -> None:
    size = len(leaves)
    index = data.draw(st.integers(0, size - 1))
    root = root_from_leaf_hashes(leaves)
    path = inclusion_proof(index, leaves)
    assert path == naive_path(index, leaves)
    assert verify_inclusion(leaves[index], index, size, path, root)
    if path:
        element = data.draw(st.integers(0, len(path) - 1))
        bit = data.draw(st.integers(0, 8 * HASH_SIZE - 1))
        assert not verify_inclusion(leaves[index], index, size, flipped(path, element, bit), root)
    other = data.draw(st.integers(-2, size + 2).filter(lambda i: i != index))
    assert not verify_inclusion(leaves[index], other, size, path, root)


@settings(max_examples=150, deadline=None)
@given(trees(), st.data())
def test_random_consistency_proofs(leaves: list[bytes], data: st.DataObject) -> None:
    size = len(leaves)
    old = data.draw(st.integers(0, size))
    old_root, new_root = root_from_leaf_hashes(leaves[:old]), root_from_leaf_hashes(leaves)
    proof = consistency_proof(old, leaves)
    assert proof == naive_proof(old, leaves)
    assert verify_consistency(old, size, old_root, new_root, proof)
    if proof:
        element = data.draw(st.integers(0, len(proof) - 1))
        bit = data.draw(st.integers(0, 8 * HASH_SIZE - 1))
        damaged = flipped(proof, element, bit)
        assert not verify_consistency(old, size, old_root, new_root, damaged)
    # A different history of the same length is caught.
    if 0 < old < size:
        forged = [*leaves[: old - 1], leaf_hash(b"forged"), *leaves[old:]]
        assert not verify_consistency(old, size, old_root, root_from_leaf_hashes(forged), proof)


@settings(max_examples=100, deadline=None)
@given(trees())
def test_accumulator_matches_batch_root_at_every_size(leaves: list[bytes]) -> None:
    tree = MerkleAccumulator()
    for n, item in enumerate(leaves, start=1):
        tree.append(item)
        if n % 7 == 0 or n == len(leaves):
            assert tree.root() == root_from_leaf_hashes(leaves[:n])
