"""A container for measurement data that must never leave the information barrier.

Sensitive values (spectra, neutron counts, masses) live only inside
:class:`SensitiveData`. Its text forms show the names of the items it holds and
nothing of their values, it refuses to be pickled or copied out as a whole, and the
hash it gives is a salted commitment, so that a released input hash cannot be matched
against guessed spectra.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator, Mapping
from typing import Any, NoReturn

import numpy as np

from treatyverify.errors import InputError

__all__ = ["SALT_BYTES", "SensitiveData"]

SALT_BYTES = 32
_COMMIT_DOMAIN = b"treatyverify/barrier-input/v1\x00"


class SensitiveData(Mapping[str, Any]):
    """Named sensitive inputs of one measured item (read-only).

    Parameters
    ----------
    values
        Inputs by name, for example ``{"spectrum": Spectrum, "neutron": Rates}``.
    salt
        32 random bytes for the input commitment; fresh from the operating system by
        default. The host keeps it inside the barrier to re-open the commitment later.
    """

    __slots__ = ("__salt", "__values")

    def __init__(self, values: Mapping[str, Any], *, salt: bytes | None = None) -> None:
        if not values:
            raise InputError("a measurement holds at least one input", where="inputs")
        for name in values:
            if not isinstance(name, str) or not name:
                raise InputError("input names are non-empty strings", where="inputs")
        self.__values = dict(values)
        self.__salt = secrets.token_bytes(SALT_BYTES) if salt is None else bytes(salt)
        if len(self.__salt) != SALT_BYTES:
            raise InputError(f"the salt has {SALT_BYTES} bytes", where="salt")

    def __getitem__(self, name: str) -> Any:
        try:
            return self.__values[name]
        except KeyError:
            raise InputError(
                f"the measurement has no input {name!r} (inputs: {', '.join(sorted(self))})",
                where="inputs",
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self.__values

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self.__values))

    def __len__(self) -> int:
        return len(self.__values)

    def __repr__(self) -> str:
        return f"<SensitiveData: {', '.join(sorted(self.__values))} (values withheld)>"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __reduce__(self) -> NoReturn:
        raise TypeError("sensitive measurement data cannot be pickled")

    def __copy__(self) -> NoReturn:
        raise TypeError("sensitive measurement data cannot be copied")

    def __deepcopy__(self, memo: dict[int, Any]) -> NoReturn:
        raise TypeError("sensitive measurement data cannot be copied")

    def commitment(self) -> str:
        """Hex SHA-256 commitment to every input, salted, for the release record."""
        digest = hashlib.sha256(_COMMIT_DOMAIN + self.__salt)
        for name in sorted(self.__values):
            digest.update(name.encode() + b"\x00")
            _absorb(digest, self.__values[name])
        return digest.hexdigest()


def _absorb(digest: Any, value: Any) -> None:
    """Feed a value into a hash unambiguously (type tag, length, bytes)."""
    if isinstance(value, np.ndarray):
        array = np.ascontiguousarray(value)
        header = f"ndarray:{array.dtype.str}:{array.shape}".encode()
        digest.update(len(header).to_bytes(4, "big") + header)
        digest.update(array.tobytes())
        return
    if isinstance(value, bool | int | float | str | bytes) or value is None:
        text = repr(value).encode()
        digest.update(b"s" + len(text).to_bytes(8, "big") + text)
        return
    if isinstance(value, list | tuple):
        digest.update(b"l" + len(value).to_bytes(8, "big"))
        for item in value:
            _absorb(digest, item)
        return
    if isinstance(value, Mapping):
        digest.update(b"m" + len(value).to_bytes(8, "big"))
        for key in sorted(value, key=str):
            _absorb(digest, str(key))
            _absorb(digest, value[key])
        return
    fields = getattr(value, "__dataclass_fields__", None)
    if fields is not None:
        digest.update(b"d" + type(value).__qualname__.encode() + b"\x00")
        for name in sorted(fields):
            _absorb(digest, name)
            _absorb(digest, getattr(value, name))
        return
    raise TypeError(f"cannot commit to a value of type {type(value).__name__}")
