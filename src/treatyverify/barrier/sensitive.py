"""A container for measurement data that must never leave the information barrier.

Sensitive values (spectra, neutron counts, masses) live only inside
:class:`SensitiveData`. Its text forms show the names of the items it holds and
nothing of their values, it refuses to be pickled or copied out as a whole, and the
hash it gives is a salted commitment, so that a released input hash cannot be matched
against guessed spectra.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import secrets
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from pathlib import PurePath
from typing import Any, NoReturn

import numpy as np
from pydantic import BaseModel

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
        """Hex SHA-256 commitment to every input, salted, for the release record.

        Every value enters with a type tag and its length: arrays (dtype, shape, bytes),
        numbers, text, bytes and ``None`` (their ``repr``), numpy scalars, times with a
        zone (the instant in UTC, ISO 8601), dates, enum members, paths, lists, tuples,
        mappings, and frozen dataclasses and pydantic models (field by field).

        Raises
        ------
        InputError
            For any other value (a time without a zone, a mutable dataclass or model,
            a set, an array of objects, a container holding itself), naming the input
            and the path to the value, never the value.
        """
        digest = hashlib.sha256(_COMMIT_DOMAIN + self.__salt)
        for name in sorted(self.__values):
            digest.update(name.encode() + b"\x00")
            _absorb(digest, self.__values[name], name)
        return digest.hexdigest()


def _absorb(digest: Any, value: Any, where: str, path: tuple[int, ...] = ()) -> None:
    """Feed a value into a hash unambiguously: a type tag, then lengths and bytes.

    ``where`` names the value (``"gamma.spectrum.start_time"``) for the error raised on
    a value that cannot be committed to; ``path`` holds the ids of the containers
    being absorbed, to refuse a container that holds itself.
    """
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            raise InputError(
                "cannot commit to an array of Python objects; give numbers", where=where
            )
        array = np.ascontiguousarray(value)
        header = f"ndarray:{array.dtype.str}:{array.shape}".encode()
        digest.update(len(header).to_bytes(4, "big") + header)
        digest.update(array.tobytes())
        return
    if isinstance(value, enum.Enum):  # before int and str: IntEnum and StrEnum are both
        kind = type(value)
        _tagged(digest, b"e", f"{kind.__module__}.{kind.__qualname__}.{value.name}")
        return
    if isinstance(value, bool | int | float | str | bytes) or value is None:
        text = repr(value).encode()
        digest.update(b"s" + len(text).to_bytes(8, "big") + text)
        return
    if isinstance(value, np.generic):  # a numpy scalar: its dtype and bytes
        _tagged(digest, b"g", value.dtype.str)
        digest.update(value.tobytes())
        return
    if isinstance(value, datetime):  # before date: a datetime is a date
        if value.utcoffset() is None:
            raise InputError(
                "cannot commit to a time without a zone (ambiguous); give it one, UTC",
                where=where,
            )
        _tagged(digest, b"t", value.astimezone(UTC).isoformat())
        return
    if isinstance(value, date):
        _tagged(digest, b"D", value.isoformat())
        return
    if isinstance(value, PurePath):
        _tagged(digest, b"p", str(value))
        return
    if isinstance(value, list | tuple | Mapping) or _is_record(value):
        if id(value) in path:
            raise InputError("cannot commit to a value that contains itself", where=where)
        _absorb_container(digest, value, where, (*path, id(value)))
        return
    raise InputError(
        f"cannot commit to a value of type {type(value).__name__} (commitments take numbers, "
        "text, bytes, arrays, times with a zone, dates, enums, paths, lists, mappings and "
        "frozen dataclasses or pydantic models)",
        where=where,
    )


def _absorb_container(digest: Any, value: Any, where: str, path: tuple[int, ...]) -> None:
    """Absorb a list, tuple, mapping, frozen dataclass or frozen pydantic model."""
    if isinstance(value, list | tuple):
        digest.update(b"l" + len(value).to_bytes(8, "big"))
        for index, item in enumerate(value):
            _absorb(digest, item, f"{where}[{index}]", path)
        return
    if isinstance(value, Mapping):
        digest.update(b"m" + len(value).to_bytes(8, "big"))
        keys = sorted(value, key=lambda k: (str(k), type(k).__name__))
        for index, key in enumerate(keys):
            # Name the entry by its key only when the key is a name: other keys
            # (numbers, say) could be measured values.
            entry = f"{where}[{key!r}]" if isinstance(key, str) else f"{where}[key {index}]"
            _absorb(digest, key, f"{entry} (its key)", path)
            _absorb(digest, value[key], entry, path)
        return
    kind = type(value)
    if dataclasses.is_dataclass(value):
        if not kind.__dataclass_params__.frozen:
            raise _mutable(kind, where)
        digest.update(b"d" + kind.__qualname__.encode() + b"\x00")
        for name in sorted(f.name for f in dataclasses.fields(value)):
            _absorb(digest, name, where, path)
            _absorb(digest, getattr(value, name), f"{where}.{name}", path)
        return
    if not kind.model_config.get("frozen", False):
        raise _mutable(kind, where)
    fields = dict(value)  # the declared fields and any extra ones
    _tagged(digest, b"P", f"{kind.__module__}.{kind.__qualname__}")
    digest.update(len(fields).to_bytes(8, "big"))
    for name in sorted(fields):
        _absorb(digest, name, where, path)
        _absorb(digest, fields[name], f"{where}.{name}", path)


def _is_record(value: Any) -> bool:
    """Whether ``value`` is a dataclass or pydantic model instance (not a class)."""
    if isinstance(value, type):
        return False
    return dataclasses.is_dataclass(value) or isinstance(value, BaseModel)


def _mutable(kind: type, where: str) -> InputError:
    return InputError(
        f"cannot commit to a mutable {kind.__name__}: the methods could change it after "
        "the commitment; make it frozen",
        where=where,
    )


def _tagged(digest: Any, tag: bytes, text: str) -> None:
    """One type tag, then the length and bytes of ``text`` (UTF-8)."""
    data = text.encode()
    digest.update(tag + len(data).to_bytes(8, "big") + data)
