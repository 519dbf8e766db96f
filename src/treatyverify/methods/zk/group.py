"""The ristretto255 prime-order group (RFC 9496), typed, over libsodium through pysodium.

:class:`Scalar` is an integer modulo the group order ``ℓ`` and :class:`Point` a group
element, each held as its canonical 32-byte encoding. Parsing from bytes or hex is
strict: a scalar must be the little-endian encoding of an integer below ``ℓ``, a point
must pass ``crypto_core_ristretto255_is_valid_point`` (canonical, on the group) and
have its top bit clear (libsodium 1.0.18 ignores that bit, RFC 9496 rejects it); any
other string raises :class:`~treatyverify.errors.InputError` naming the field.

libsodium refuses to multiply by the zero scalar and to return the identity from a
scalar multiplication; :meth:`Point.__mul__` handles both cases itself (the identity is
the all-zero encoding, RFC 9496 section 4.3), so ``0·P`` and ``s·O`` are the identity.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Final, final

import pysodium

from treatyverify.errors import InputError

__all__ = [
    "GROUP_ORDER",
    "POINT_BYTES",
    "SCALAR_BYTES",
    "Point",
    "Scalar",
    "hash_to_point",
    "hash_to_scalar",
]

GROUP_ORDER: Final = 2**252 + 27742317777372353535851937790883648493
"""Order ``ℓ`` of the ristretto255 group (RFC 9496, section 4)."""

SCALAR_BYTES: Final = 32
"""Length of a scalar's encoding (bytes)."""
POINT_BYTES: Final = 32
"""Length of a point's encoding (bytes)."""

_HEX = re.compile(r"[0-9a-f]{64}")
_IDENTITY = bytes(POINT_BYTES)


def _parse_hex(text: object, field: str) -> bytes:
    """Decode exactly 64 lowercase hexadecimal digits (32 bytes), else raise."""
    if not isinstance(text, str):
        raise InputError("expected a string of 64 lowercase hex digits", where=field)
    if _HEX.fullmatch(text) is None:
        raise InputError(
            f"expected 64 lowercase hex digits (32 bytes), got {len(text)} characters",
            where=field,
        )
    return bytes.fromhex(text)


@final
class Scalar:
    """An integer modulo the group order ``ℓ``, as its canonical 32-byte little-endian encoding.

    Parameters
    ----------
    encoding
        32 bytes, little-endian, value below ``ℓ``.
    field
        Name of the field the bytes came from, for error messages.
    """

    __slots__ = ("_b",)

    def __init__(self, encoding: bytes, *, field: str = "scalar") -> None:
        if not isinstance(encoding, bytes) or len(encoding) != SCALAR_BYTES:
            raise InputError(f"a scalar is {SCALAR_BYTES} bytes", where=field)
        if int.from_bytes(encoding, "little") >= GROUP_ORDER:
            raise InputError("non-canonical scalar (not below the group order)", where=field)
        self._b = encoding

    @classmethod
    def _trusted(cls, encoding: bytes) -> Scalar:
        """Wrap bytes that libsodium produced (already canonical) without re-checking."""
        obj = object.__new__(cls)
        obj._b = encoding
        return obj

    @classmethod
    def from_int(cls, value: int) -> Scalar:
        """The scalar ``value mod ℓ`` (negative integers wrap: ``-1`` is ``ℓ - 1``)."""
        return cls._trusted((value % GROUP_ORDER).to_bytes(SCALAR_BYTES, "little"))

    @classmethod
    def from_hex(cls, text: object, *, field: str = "scalar") -> Scalar:
        """Parse 64 lowercase hex digits strictly (length, alphabet and canonical value)."""
        return cls(_parse_hex(text, field), field=field)

    @classmethod
    def from_wide_bytes(cls, data: bytes) -> Scalar:
        """Reduce 64 bytes (a little-endian integer, e.g. a SHA-512 digest) modulo ``ℓ``."""
        if len(data) != 64:
            raise ValueError("expected 64 bytes")
        return cls._trusted(pysodium.crypto_core_ristretto255_scalar_reduce(data))

    @classmethod
    def random(cls) -> Scalar:
        """A uniformly random scalar from the operating system's CSPRNG."""
        return cls.from_wide_bytes(secrets.token_bytes(64))

    @classmethod
    def zero(cls) -> Scalar:
        """The scalar 0."""
        return cls._trusted(bytes(SCALAR_BYTES))

    def __bytes__(self) -> bytes:
        return self._b

    def hex(self) -> str:
        """The encoding as 64 lowercase hex digits."""
        return self._b.hex()

    def to_int(self) -> int:
        """The integer in ``[0, ℓ)``."""
        return int.from_bytes(self._b, "little")

    def is_zero(self) -> bool:
        """Whether this is the scalar 0."""
        return self._b == bytes(SCALAR_BYTES)

    def __add__(self, other: Scalar) -> Scalar:
        if not isinstance(other, Scalar):
            return NotImplemented
        return Scalar._trusted(pysodium.crypto_core_ristretto255_scalar_add(self._b, other._b))

    def __sub__(self, other: Scalar) -> Scalar:
        if not isinstance(other, Scalar):
            return NotImplemented
        return Scalar._trusted(pysodium.crypto_core_ristretto255_scalar_sub(self._b, other._b))

    def __mul__(self, other: Scalar) -> Scalar:
        if not isinstance(other, Scalar):
            return NotImplemented
        return Scalar._trusted(pysodium.crypto_core_ristretto255_scalar_mul(self._b, other._b))

    def __neg__(self) -> Scalar:
        return Scalar._trusted(pysodium.crypto_core_ristretto255_scalar_negate(self._b))

    def invert(self) -> Scalar:
        """The multiplicative inverse modulo ``ℓ``; raises ``ZeroDivisionError`` for 0."""
        if self.is_zero():
            raise ZeroDivisionError("the scalar 0 has no inverse")
        return Scalar._trusted(pysodium.crypto_core_ristretto255_scalar_invert(self._b))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Scalar) and secrets.compare_digest(self._b, other._b)

    def __hash__(self) -> int:
        return hash((Scalar, self._b))

    def __repr__(self) -> str:
        return "Scalar(<hidden>)"


@final
class Point:
    """An element of the ristretto255 group, as its canonical 32-byte encoding.

    Parameters
    ----------
    encoding
        32 bytes with the top bit clear that pass
        ``crypto_core_ristretto255_is_valid_point``; the identity is the all-zero string.
    field
        Name of the field the bytes came from, for error messages.
    """

    __slots__ = ("_b",)

    def __init__(self, encoding: bytes, *, field: str = "point") -> None:
        if not isinstance(encoding, bytes) or len(encoding) != POINT_BYTES:
            raise InputError(f"a point is {POINT_BYTES} bytes", where=field)
        # libsodium 1.0.18 ignores the top bit; RFC 9496 (decoding, section 4.3) requires it clear.
        if encoding[31] & 0x80 or not pysodium.crypto_core_ristretto255_is_valid_point(encoding):
            raise InputError("not a canonical ristretto255 encoding", where=field)
        self._b = encoding

    @classmethod
    def _trusted(cls, encoding: bytes) -> Point:
        """Wrap bytes that libsodium produced (already canonical) without re-checking."""
        obj = object.__new__(cls)
        obj._b = encoding
        return obj

    @classmethod
    def from_hex(cls, text: object, *, field: str = "point") -> Point:
        """Parse 64 lowercase hex digits strictly (length, alphabet and canonical encoding)."""
        return cls(_parse_hex(text, field), field=field)

    @classmethod
    def base(cls) -> Point:
        """The standard generator ``B`` of RFC 9496 (encoded in its Appendix A.1 as 1·B)."""
        return _BASE

    @classmethod
    def identity(cls) -> Point:
        """The neutral element (all-zero encoding)."""
        return _IDENTITY_POINT

    @classmethod
    def base_times(cls, scalar: Scalar) -> Point:
        """``scalar·B``, with libsodium's fixed-base multiplication; ``0·B`` is the identity."""
        if scalar.is_zero():
            return _IDENTITY_POINT
        return cls._trusted(pysodium.crypto_scalarmult_ristretto255_base(bytes(scalar)))

    def __bytes__(self) -> bytes:
        return self._b

    def hex(self) -> str:
        """The encoding as 64 lowercase hex digits."""
        return self._b.hex()

    def is_identity(self) -> bool:
        """Whether this is the neutral element."""
        return self._b == _IDENTITY

    def __add__(self, other: Point) -> Point:
        if not isinstance(other, Point):
            return NotImplemented
        return Point._trusted(pysodium.crypto_core_ristretto255_add(self._b, other._b))

    def __sub__(self, other: Point) -> Point:
        if not isinstance(other, Point):
            return NotImplemented
        return Point._trusted(pysodium.crypto_core_ristretto255_sub(self._b, other._b))

    def __neg__(self) -> Point:
        return _IDENTITY_POINT - self

    def __mul__(self, scalar: Scalar) -> Point:
        """``scalar·self``; the zero scalar or the identity give the identity.

        The group has prime order, so for a non-identity point the product is the
        identity only when the scalar is 0: libsodium's refusal cannot be reached.
        """
        if not isinstance(scalar, Scalar):
            return NotImplemented
        if scalar.is_zero() or self.is_identity():
            return _IDENTITY_POINT
        if self is _BASE:
            return Point.base_times(scalar)
        return Point._trusted(pysodium.crypto_scalarmult_ristretto255(bytes(scalar), self._b))

    def __rmul__(self, scalar: Scalar) -> Point:
        return self.__mul__(scalar)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Point) and self._b == other._b

    def __hash__(self) -> int:
        return hash((Point, self._b))

    def __repr__(self) -> str:
        return f"Point({self._b.hex()})"


_IDENTITY_POINT = Point._trusted(_IDENTITY)
_BASE = Point._trusted(pysodium.crypto_scalarmult_ristretto255_base((1).to_bytes(32, "little")))


def _framed_hash(tag: bytes, parts: tuple[bytes, ...]) -> bytes:
    """SHA-512 over the tag and the parts, each prefixed by its 8-byte big-endian length."""
    if not tag:
        raise ValueError("a domain-separation tag is required")
    h = hashlib.sha512()
    for item in (tag, *parts):
        h.update(len(item).to_bytes(8, "big"))
        h.update(item)
    return h.digest()


def hash_to_scalar(tag: bytes, *parts: bytes) -> Scalar:
    """Hash to a scalar: SHA-512 of the length-framed tag and parts, reduced modulo ``ℓ``.

    Parameters
    ----------
    tag
        Domain-separation tag (non-empty), so that hashes made for one purpose
        never serve another.
    parts
        Byte strings hashed in order, each length-prefixed (no ambiguity of framing).
    """
    return Scalar.from_wide_bytes(_framed_hash(tag, parts))


def hash_to_point(tag: bytes, *parts: bytes) -> Point:
    """Hash to a point: SHA-512 of the length-framed tag and parts, then the RFC 9496
    one-way map (``crypto_core_ristretto255_from_hash``, section 4.3).

    Nobody knows the discrete logarithm of the result with respect to any other point.
    """
    return Point._trusted(pysodium.crypto_core_ristretto255_from_hash(_framed_hash(tag, parts)))
