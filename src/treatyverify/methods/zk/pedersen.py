"""Pedersen commitments ``C = v·G + r·H`` on ristretto255 (Pedersen, CRYPTO '91).

``G`` is the standard generator of RFC 9496 and ``H`` is :func:`.group.hash_to_point`
of the public string :data:`H_SEED` under the tag :data:`H_TAG`, so nobody knows
``log_G H``. A commitment hides ``v`` perfectly (for uniform ``r`` it is a uniform
group element) and binds it computationally (opening one commitment to two values
yields ``log_G H``). Commitments add: ``C(v1, r1) + C(v2, r2) = C(v1 + v2, r1 + r2)``,
so the commitment to a total is the sum of the commitments to its parts.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import reduce
from typing import Final

from treatyverify.errors import InputError
from treatyverify.methods.zk.group import GROUP_ORDER, Point, Scalar, hash_to_point

__all__ = [
    "GENERATOR_G",
    "GENERATOR_H",
    "H_SEED",
    "H_TAG",
    "MAX_COUNT",
    "CommittedCounts",
    "Opening",
    "check_opening",
    "commit",
    "commit_counts",
    "commit_scalar",
    "sum_commitments",
    "sum_openings",
]

H_TAG: Final = b"treatyverify/zk/pedersen/generator/v1"
"""Domain-separation tag under which :data:`GENERATOR_H` is hashed to the group."""
H_SEED: Final = b"treatyverify Pedersen generator H for ristretto255 commitments to counts"
"""The public string hashed to :data:`GENERATOR_H`."""

GENERATOR_G: Final = Point.base()
"""Value generator ``G``: the ristretto255 base point (RFC 9496, section 4)."""
GENERATOR_H: Final = hash_to_point(H_TAG, H_SEED)
"""Blinding generator ``H = from_hash(SHA-512(frame(H_TAG) || frame(H_SEED)))``."""

MAX_COUNT: Final = 2**64 - 1
"""Largest count :func:`commit` accepts (far below ``ℓ``, so sums of counts never wrap)."""


@dataclass(frozen=True, repr=False)
class Opening:
    """What opens a commitment: the committed count and its blinding.

    Attributes
    ----------
    value
        The committed count (items), ``0 <= value <= MAX_COUNT``.
    blinding
        The blinding scalar ``r``.
    """

    value: int
    blinding: Scalar

    def __repr__(self) -> str:
        return "Opening(<hidden>)"


def _check_count(value: int, field: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError("a count must be an integer", where=field)
    if not 0 <= value <= MAX_COUNT:
        raise InputError(f"a count must lie in [0, {MAX_COUNT}]", where=field)


def commit_scalar(value: Scalar, blinding: Scalar) -> Point:
    """``value·G + blinding·H`` for any scalars (values modulo ``ℓ``)."""
    return Point.base_times(value) + GENERATOR_H * blinding


def commit(
    value: int, blinding: Scalar | None = None, *, field: str = "value"
) -> tuple[Point, Opening]:
    """Commit to a count.

    Parameters
    ----------
    value
        The count (items), ``0 <= value <= MAX_COUNT``.
    blinding
        The blinding scalar; a fresh uniform one when ``None`` (the normal case).
    field
        Name of the count, for error messages.

    Returns
    -------
    tuple
        The commitment and its opening.
    """
    _check_count(value, field)
    r = Scalar.random() if blinding is None else blinding
    return commit_scalar(Scalar.from_int(value), r), Opening(value, r)


def check_opening(commitment: Point, value: int, blinding: Scalar) -> bool:
    """Whether ``(value, blinding)`` opens ``commitment`` (a count in ``[0, MAX_COUNT]``)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        return False
    return commit_scalar(Scalar.from_int(value), blinding) == commitment


def sum_commitments(commitments: Iterable[Point]) -> Point:
    """The homomorphic sum of commitments (the identity for none)."""
    return reduce(operator.add, commitments, Point.identity())


def sum_openings(openings: Iterable[Opening]) -> Opening:
    """The opening of :func:`sum_commitments` of the matching commitments."""
    value, blinding = 0, Scalar.zero()
    for opening in openings:
        value += opening.value
        blinding = blinding + opening.blinding
    if value >= GROUP_ORDER:  # pragma: no cover - needs more than 2**188 counts at MAX_COUNT
        raise InputError("the sum of counts wraps modulo the group order", where="counts")
    return Opening(value, blinding)


@dataclass(frozen=True)
class CommittedCounts:
    """Commitments to named counts (per site or per category) with their openings.

    Attributes
    ----------
    commitments
        Public: one commitment per name, in the order given.
    openings
        Secret, kept by the declaring party: one opening per name.
    """

    commitments: Mapping[str, Point]
    openings: Mapping[str, Opening]

    def total(self) -> tuple[Point, Opening]:
        """The commitment to the sum of all counts and its opening."""
        return (
            sum_commitments(self.commitments.values()),
            sum_openings(self.openings.values()),
        )


def commit_counts(counts: Mapping[str, int], *, field: str = "counts") -> CommittedCounts:
    """Commit to each count of a table (site or category → count), each with a fresh blinding.

    Parameters
    ----------
    counts
        Name → count (items); names are non-empty strings.
    field
        Name of the table, for error messages (``"counts[name]"`` names the entry).
    """
    commitments: dict[str, Point] = {}
    openings: dict[str, Opening] = {}
    for name, value in counts.items():
        if not isinstance(name, str) or not name:
            raise InputError("names must be non-empty strings", where=field)
        commitments[name], openings[name] = commit(value, field=f"{field}[{name}]")
    return CommittedCounts(commitments, openings)
