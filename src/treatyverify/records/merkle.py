"""Merkle hash trees exactly as RFC 9162 (Certificate Transparency 2.0) section 2.1.

The ledger commits to its history with the Merkle Tree Hash (MTH) of RFC 9162
section 2.1.1 (https://www.rfc-editor.org/rfc/rfc9162#section-2.1), with SHA-256
(FIPS 180-4) as the hash:

* the hash of an empty list is ``SHA-256()`` (:data:`EMPTY_ROOT`);
* the hash of one entry is the leaf hash ``SHA-256(0x00 || d(0))``;
* for ``n > 1`` entries, with ``k`` the largest power of two smaller than ``n``,
  ``MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))``.

These are the trees of RFC 6962 (Certificate Transparency 1.0), so roots and proofs
agree with every CT implementation and with the published CT test vectors.

Everything here works on *leaf hashes* (32-byte outputs of :func:`leaf_hash`), so a
leaf's data can stay private while its hash is published. Proof generation takes the
list of leaf hashes and costs O(n) hashing; verification (what an auditing party
runs) needs only the sizes, the roots and the O(log n) proof.

Argument conventions: the proof *generators* raise ``ValueError`` for arguments that
make no sense (an index outside the tree, an old size larger than the tree, a leaf
hash that is not 32 bytes). The *verifiers* never raise for data they are handed:
they return ``False`` for any proof that does not check out, including negative or
inconsistent sizes, hashes of the wrong length and proofs of the wrong length.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Final

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MerkleAccumulator",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root_from_leaf_hashes",
    "verify_consistency",
    "verify_inclusion",
]

#: Size of a SHA-256 digest, bytes (FIPS 180-4, section 1).
HASH_SIZE: Final = 32

#: Merkle Tree Hash of the empty list: SHA-256 of no bytes (RFC 9162 section 2.1.1),
#: e3b0c442...b855.
EMPTY_ROOT: Final = hashlib.sha256(b"").digest()

# Domain separation prefixes of RFC 9162 section 2.1.1: leaves and interior nodes
# can never hash alike.
_LEAF_PREFIX: Final = b"\x00"
_NODE_PREFIX: Final = b"\x01"

_sha256: Final = hashlib.sha256


def leaf_hash(data: bytes) -> bytes:
    """Hash one leaf: ``SHA-256(0x00 || data)``.

    Parameters
    ----------
    data
        The leaf's entry (for the ledger, a record's canonical bytes).

    Returns
    -------
    bytes
        The 32-byte leaf hash.
    """
    return _sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash an interior node: ``SHA-256(0x01 || left || right)``.

    Parameters
    ----------
    left, right
        The 32-byte hashes of the left and right subtrees.

    Returns
    -------
    bytes
        The 32-byte node hash.
    """
    return _sha256(_NODE_PREFIX + left + right).digest()


def root_from_leaf_hashes(leaf_hashes: Sequence[bytes]) -> bytes:
    """Return the Merkle Tree Hash of a list of leaf hashes (RFC 9162 section 2.1.1).

    One pass, no recursion: the hashes are folded into a stack of perfect subtree
    roots (as :class:`MerkleAccumulator` does), which is then folded right to left.

    Parameters
    ----------
    leaf_hashes
        The leaf hashes, 32 bytes each, in log order.

    Returns
    -------
    bytes
        The 32-byte root; :data:`EMPTY_ROOT` for no leaves.

    Raises
    ------
    ValueError
        If a leaf hash is not 32 ``bytes``.
    """
    _require_hashes(leaf_hashes)
    return _fold_stack(_perfect_subtree_roots(leaf_hashes))


class MerkleAccumulator:
    """A growing Merkle tree that keeps only the roots of its perfect subtrees.

    After ``n`` appends it holds one root per set bit of ``n`` (largest subtree
    first), so appending costs amortized O(1) hashes and :meth:`root` O(log n).

    Examples
    --------
    >>> tree = MerkleAccumulator()
    >>> tree.append(leaf_hash(b""))
    >>> tree.size, tree.root().hex()[:16]
    (1, '6e340b9cffb37a98')
    """

    __slots__ = ("_size", "_stack")

    def __init__(self) -> None:
        self._size = 0
        self._stack: list[bytes] = []

    @property
    def size(self) -> int:
        """Number of leaves appended so far."""
        return self._size

    def append(self, leaf_hash: bytes) -> None:
        """Append one leaf hash.

        Parameters
        ----------
        leaf_hash
            The new leaf's 32-byte hash (see :func:`leaf_hash`).

        Raises
        ------
        ValueError
            If ``leaf_hash`` is not 32 ``bytes``.
        """
        if not _is_hash(leaf_hash):
            raise ValueError(f"a leaf hash is {HASH_SIZE} bytes, not {_describe(leaf_hash)}")
        _push(self._stack, self._size, leaf_hash)
        self._size += 1

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Append leaf hashes in order (see :meth:`append`).

        All are checked first, so a bad one leaves the tree as it was; then they are
        folded in one loop (what :func:`root_from_leaf_hashes` does), which makes a
        large extension several times cheaper than appending one by one.
        """
        items = list(leaf_hashes)
        _require_hashes(items)
        stack, size = self._stack, self._size
        for item in items:
            _push(stack, size, item)
            size += 1
        self._size = size

    def root(self) -> bytes:
        """Return the Merkle Tree Hash of the leaves appended so far.

        Returns
        -------
        bytes
            The 32-byte root; :data:`EMPTY_ROOT` before the first append.
        """
        return _fold_stack(self._stack)


def inclusion_proof(index: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """Return the audit path of one leaf (RFC 9162 section 2.1.3.1, ``PATH``).

    Parameters
    ----------
    index
        Zero-based position of the leaf (``m`` in the RFC).
    leaf_hashes
        All leaf hashes of the tree, 32 bytes each.

    Returns
    -------
    list of bytes
        The sibling subtree hashes from the leaf up to the root: the shortest list
        from which :func:`verify_inclusion` recomputes the root.

    Raises
    ------
    ValueError
        If ``index`` is not in ``[0, len(leaf_hashes))`` or a leaf hash is not
        32 bytes long.
    """
    size = len(leaf_hashes)
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of {size} leaves")
    _require_hashes(leaf_hashes)
    siblings: list[bytes] = []  # collected root first; the RFC lists them leaf first
    low, high = 0, size
    while high - low > 1:
        split = low + _largest_power_of_two_below(high - low)
        if index < split:
            siblings.append(_subtree_root(leaf_hashes, split, high))
            high = split
        else:
            siblings.append(_subtree_root(leaf_hashes, low, split))
            low = split
    siblings.reverse()
    return siblings


def consistency_proof(old_size: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """Return the proof that a tree extends its first ``old_size`` leaves.

    RFC 9162 section 2.1.4.1 (``PROOF`` and ``SUBPROOF``): the proof lets anyone
    holding the old root and the new root check that the new tree is the old tree
    with leaves appended, nothing changed or removed.

    Parameters
    ----------
    old_size
        Number of leaves of the earlier tree (``m`` in the RFC).
    leaf_hashes
        All leaf hashes of the current tree, 32 bytes each.

    Returns
    -------
    list of bytes
        The proof; empty when ``old_size`` is 0 or the whole tree (nothing to prove).

    Raises
    ------
    ValueError
        If ``old_size`` is not in ``[0, len(leaf_hashes)]`` or a leaf hash is not
        32 bytes long.
    """
    size = len(leaf_hashes)
    if not 0 <= old_size <= size:
        raise ValueError(f"old size {old_size} is outside [0, {size}]")
    _require_hashes(leaf_hashes)
    if old_size in (0, size):
        return []
    tail: list[bytes] = []  # appended subtree hashes, root first
    low, high, remaining, whole_old_tree = 0, size, old_size, True
    while remaining != high - low:  # SUBPROOF(m, D[low:high], b)
        split = _largest_power_of_two_below(high - low)
        if remaining <= split:
            tail.append(_subtree_root(leaf_hashes, low + split, high))
            high = low + split
        else:
            tail.append(_subtree_root(leaf_hashes, low, low + split))
            low += split
            remaining -= split
            whole_old_tree = False
    # SUBPROOF(m, D[m], true) is empty: the verifier holds the old root already.
    head = [] if whole_old_tree else [_subtree_root(leaf_hashes, low, high)]
    return head + tail[::-1]


def verify_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Check an inclusion proof (RFC 9162 section 2.1.3.2), without the leaves.

    Parameters
    ----------
    leaf_hash
        The 32-byte hash of the leaf claimed to be in the tree.
    index
        Its claimed zero-based position.
    tree_size
        Number of leaves of the tree whose root is ``root``.
    proof
        The audit path, leaf first (as :func:`inclusion_proof` returns it).
    root
        The 32-byte root the leaf should be under.

    Returns
    -------
    bool
        ``True`` only if the proof shows the leaf at ``index`` in that tree;
        ``False`` for anything else (never raises for bad data).

    Notes
    -----
    ``tree_size`` and ``root`` must come from one signed tree head: the hashes bind
    a root to a size only through that signature. A genuine root presented with
    another size can verify when both sizes give the path the same shape (leaf 0
    of a 3-leaf tree has the same path shape as in a 4-leaf tree).
    """
    if not (_is_hash(leaf_hash) and _is_hash(root) and all(map(_is_hash, proof))):
        return False
    # Step 1: the index must lie in the tree.
    if not 0 <= index < tree_size:
        return False
    # Steps 2 and 3.
    fn, sn = index, tree_size - 1
    r = leaf_hash
    # Step 4.
    for p in proof:
        if sn == 0:  # 4a: more path than tree
            return False
        if fn & 1 or fn == sn:  # 4b: p is a left sibling
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:  # skip levels where the node has no sibling
                fn >>= 1
                sn >>= 1
        else:  # p is a right sibling
            r = node_hash(r, p)
        fn >>= 1  # 4c
        sn >>= 1
    # Step 5: the whole path was used and it led to the root.
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Check a consistency proof (RFC 9162 section 2.1.4.2), without the leaves.

    The RFC defines proofs for ``0 < old_size < new_size``. The edge cases are
    decided here as follows: equal sizes are consistent when the proof is empty
    and the roots are equal; an empty old tree is consistent with any tree when
    the proof is empty and ``old_root`` is :data:`EMPTY_ROOT` (so is an empty new
    tree only with ``new_root`` equal to it too).

    Parameters
    ----------
    old_size, new_size
        Numbers of leaves of the earlier and the later tree.
    old_root, new_root
        Their 32-byte roots.
    proof
        The consistency proof (as :func:`consistency_proof` returns it).

    Returns
    -------
    bool
        ``True`` only if the later tree provably extends the earlier one;
        ``False`` for anything else (never raises for bad data).

    Notes
    -----
    As for :func:`verify_inclusion`, each size must come with its own root from a
    signed tree head.
    """
    if not (_is_hash(old_root) and _is_hash(new_root) and all(map(_is_hash, proof))):
        return False
    if not 0 <= old_size <= new_size:
        return False
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT and (new_size > 0 or new_root == EMPTY_ROOT)
    if old_size == new_size:
        return not proof and old_root == new_root
    return _verify_consistency_rfc9162(old_size, new_size, old_root, new_root, proof)


def _verify_consistency_rfc9162(
    first: int, second: int, first_hash: bytes, second_hash: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 section 2.1.4.2, step by step, for ``0 < first < second``."""
    # Step 1.
    if not proof:
        return False
    # Step 2: a perfect old tree is a node of the new tree; its root starts the path.
    path = [first_hash, *proof] if first & (first - 1) == 0 else list(proof)
    # Step 3.
    fn, sn = first - 1, second - 1
    # Step 4.
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # Step 5.
    fr = sr = path[0]
    # Step 6.
    for c in path[1:]:
        if sn == 0:  # 6a
            return False
        if fn & 1 or fn == sn:  # 6b
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:  # otherwise: c is only in the new tree, to the right
            sr = node_hash(sr, c)
        fn >>= 1  # 6c
        sn >>= 1
    # Step 7.
    return fr == first_hash and sr == second_hash and sn == 0


# --------------------------------------------------------------------------- helpers


def _push(stack: list[bytes], size: int, item: bytes) -> None:
    """Append leaf hash ``item`` to the stack of a tree of ``size`` leaves.

    Each trailing one bit of ``size`` is a perfect subtree of the same height as
    the carry: merge them, as in binary addition.
    """
    while size & 1:
        item = _sha256(_NODE_PREFIX + stack.pop() + item).digest()
        size >>= 1
    stack.append(item)


def _perfect_subtree_roots(leaf_hashes: Iterable[bytes]) -> list[bytes]:
    """Fold leaf hashes into the roots of the tree's perfect subtrees, left first."""
    stack: list[bytes] = []
    for size, item in enumerate(leaf_hashes):
        while size & 1:  # inlined _push: this loop runs once per leaf
            item = _sha256(_NODE_PREFIX + stack.pop() + item).digest()
            size >>= 1
        stack.append(item)
    return stack


def _fold_stack(stack: Sequence[bytes]) -> bytes:
    """Combine perfect subtree roots right to left into the tree's root.

    The leftmost perfect subtree has ``k`` leaves, the largest power of two below
    the size (RFC 9162's split), and the rest of the stack is the right subtree, so
    folding from the right applies the RFC's recursion.
    """
    if not stack:
        return EMPTY_ROOT
    root = stack[-1]
    for index in range(len(stack) - 2, -1, -1):
        root = _sha256(_NODE_PREFIX + stack[index] + root).digest()
    return root


def _subtree_root(leaf_hashes: Sequence[bytes], low: int, high: int) -> bytes:
    """MTH of ``leaf_hashes[low:high]`` (already validated)."""
    return _fold_stack(_perfect_subtree_roots(leaf_hashes[low:high]))


def _largest_power_of_two_below(count: int) -> int:
    """The RFC's ``k``: the largest power of two strictly smaller than ``count`` (>= 2)."""
    return 1 << ((count - 1).bit_length() - 1)


def _require_hashes(leaf_hashes: Sequence[bytes]) -> None:
    """Raise ``ValueError`` unless every leaf hash is 32 ``bytes`` (C-speed checks)."""
    lengths_ok = set(map(len, leaf_hashes)) <= {HASH_SIZE}
    types_ok = set(map(type, leaf_hashes)) <= {bytes}
    if not (lengths_ok and types_ok):
        wrong = next(item for item in leaf_hashes if not _is_hash(item))
        raise ValueError(f"a leaf hash is {HASH_SIZE} bytes, not {_describe(wrong)}")


def _describe(value: object) -> str:
    """Say what a would-be hash is, for an error message."""
    if isinstance(value, bytes):
        return f"{len(value)} bytes"
    return f"a {type(value).__name__}"


def _is_hash(value: object) -> bool:
    """Whether ``value`` is a 32-byte ``bytes`` (exactly that type)."""
    return type(value) is bytes and len(value) == HASH_SIZE
