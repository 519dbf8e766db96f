"""RFC 8785 JSON Canonicalization Scheme (JCS) for ledger records.

A record is signed and hashed over its canonical bytes, so two parties who hold the
same JSON value must produce the same bytes, byte for byte, in any language. JCS
(RFC 8785, https://www.rfc-editor.org/rfc/rfc8785) fixes those bytes: no whitespace,
object members sorted by the UTF-16 code units of their names, strings escaped as
ECMAScript's ``JSON.stringify`` escapes them, numbers written as ECMAScript's
``Number::toString`` writes IEEE 754 doubles, and the whole encoded as UTF-8.

Only the I-JSON subset (RFC 7493) is accepted: no NaN or infinities, no lone
surrogates, and no integer that an IEEE 754 double cannot hold exactly.

How it is fast
--------------
:func:`canonical_bytes` sits on the hot path of appending signed records. A cheap
walk over the value checks what the C-accelerated :mod:`json` encoder would get
wrong silently (non-string keys, integers beyond 2**53) and notes whether anything
needs care. For the common record nothing does, and ``json`` with
``sort_keys=True, separators=(",", ":"), ensure_ascii=False`` then produces exactly
the JCS text:

* strings: with ``ensure_ascii=False`` the encoder escapes only ``"``, ``\\`` and
  the control characters U+0000..U+001F, using ``\\b \\t \\n \\f \\r`` and
  otherwise lowercase ``\\u00xx``, and writes every other character as itself,
  which is RFC 8785 section 3.2.2.2 (checked character by character in the tests);
* member order: Python sorts names by code point, which equals UTF-16 code unit
  order unless a name holds a character beyond U+FFFF (a surrogate pair in UTF-16
  sorts below U+E000..U+FFFF); such names take the slow path;
* integers within +/-2**53: both write the decimal digits;
* floats: ``repr`` gives the shortest round-trip digits and places them as
  ECMAScript does when the value is not integral and its magnitude is at least
  1e-4 (below that ``repr`` switches to exponent form, which ECMAScript does only
  below 1e-6; integral floats get a ``.0`` that ECMAScript omits; every
  non-integral double is below 2**52, where ``repr`` is still in fixed notation).

Anything else takes a pure-Python encoder that sorts names by UTF-16 code units and
formats numbers by RFC 8785 section 3.2.2.3. Problems the encoders detect themselves
(unsupported types, NaN and infinities, lone surrogates failing UTF-8) cost nothing
on the hot path: when anything fails, a second, thorough walk finds the first
offending value and names its JSON path. Both paths assume that
``sys.float_repr_style`` is ``"short"`` (true of every CPython on IEEE 754 hardware).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from json.encoder import encode_basestring
from typing import Final

from treatyverify.errors import InputError

__all__ = [
    "MAX_EXACT_INTEGER",
    "CanonicalError",
    "canonical_bytes",
    "canonical_string",
    "is_canonical",
    "parse_canonical",
    "parse_exactly_canonical",
]

#: Largest integer magnitude written as a JSON integer. IEEE 754 binary64 has a 53-bit
#: significand, so every integer in [-2**53, 2**53] is exactly representable and
#: 2**53 + 1 is the first that is not (IEEE 754-2019, section 3.6; RFC 8785 section
#: 3.2.2.3 serializes numbers as doubles). I-JSON (RFC 7493 section 2.2) advises the
#: narrower interoperable range [-(2**53 - 1), 2**53 - 1].
MAX_EXACT_INTEGER: Final = 2**53

# A float is written exactly by ``repr`` (hence by the fast path) when it is not
# integral and its magnitude is at least this (see the module docstring).
_FAST_FLOAT_MIN: Final = 1e-4

# Where parse errors are reported: they are located in the text, not in a value.
_TEXT: Final = "JSON text"

_SURROGATE: Final = re.compile("[\ud800-\udfff]")
_ASTRAL: Final = re.compile("[\U00010000-\U0010ffff]")
_PLAIN_NAME: Final = re.compile("[A-Za-z_][A-Za-z0-9_]*")

# The string quoting of json's encoder with ensure_ascii=False (C-accelerated).
_quote: Final = encode_basestring

_ENCODER: Final = json.JSONEncoder(
    ensure_ascii=False,
    allow_nan=False,
    check_circular=False,  # the hot-path walk has already proved the value acyclic
    sort_keys=True,
    separators=(",", ":"),
)


class CanonicalError(InputError):
    """A value cannot be canonicalized, or bytes are not canonical JSON.

    ``where`` is the JSON path of the offending value (for example
    ``"$.body.items[3].mass"``) or ``"JSON text"`` for a problem in parsed text.
    """


class _PathError(Exception):
    """Internal: a validation failure collecting its JSON path while unwinding.

    ``culprit`` is the child of the container being unwound that holds the
    problem; the container turns it into a path segment (see :func:`_scan_values`).
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.segments: list[str] = []
        self.culprit: object = None

    def error(self) -> CanonicalError:
        """Return the public error, with the path assembled root first."""
        return CanonicalError(self.message, where="$" + "".join(reversed(self.segments)))


# --------------------------------------------------------------------------- encoding


def canonical_bytes(value: object) -> bytes:
    """Return the RFC 8785 canonical UTF-8 encoding of a JSON value.

    Parameters
    ----------
    value
        A JSON value built from ``dict`` (with ``str`` keys), ``list``, ``tuple``,
        ``str``, ``int``, ``float``, ``bool`` and ``None`` (subclasses such as
        ``OrderedDict`` or ``IntEnum`` are encoded as their base type). Integers
        must lie within +/-:data:`MAX_EXACT_INTEGER`. Floats must be finite; an
        integral float such as ``3.0`` is written ``3`` and ``-0.0`` is written
        ``0``.

    Returns
    -------
    bytes
        The canonical encoding.

    Raises
    ------
    CanonicalError
        With ``where`` set to the JSON path of the first offending value: a
        non-string object key, NaN or an infinity, an integer beyond 2**53 in
        magnitude, a string holding a lone surrogate, a value of another type, or
        nesting too deep for the interpreter's recursion limit (or a container
        that contains itself).
    """
    try:
        if _needs_slow_path((value,)):
            return _encode_slow(value).encode("utf-8")
        return _ENCODER.encode(value).encode("utf-8")
    except RecursionError:
        raise CanonicalError(
            "nesting is too deep, or a container contains itself", where="$"
        ) from None
    except (_UnfitError, _PathError, TypeError, ValueError):
        # ValueError covers UnicodeEncodeError (lone surrogates) and NaN/Infinity.
        error = _diagnose(value)
        if error is None:  # not a problem with the value: let the original through
            raise
        raise error from None


def canonical_string(text: str, *, where: str) -> bytes:
    """Return the RFC 8785 encoding of one JSON string, quotes included, as UTF-8.

    The same bytes as ``canonical_bytes(text)``, for building a record envelope
    around a body encoded once. ``where`` names the field in an error.
    """
    if type(text) is not str:
        raise CanonicalError(f"expected a string, not {_type_name(text)}", where=where)
    try:
        return _quote(text).encode("utf-8")
    except UnicodeEncodeError:
        raise CanonicalError("a string holds a lone surrogate", where=where) from None


class _UnfitError(Exception):
    """Internal: the hot-path walk met a value that cannot be encoded."""


def _needs_slow_path(values: Iterable[object]) -> bool:
    """Hot-path walk: return whether the fast encoder would not be exact.

    Raises :class:`_UnfitError` (or ``TypeError`` for a non-string key, or
    :class:`_PathError`) on a value the fast encoder would encode silently although
    it is not allowed. Strings are not looked at: a lone surrogate fails the final
    UTF-8 encoding instead. Exact type tests keep this loop cheap; subclasses of
    the JSON types go to the thorough walk and then the slow encoder.
    """
    slow = False
    for item in values:
        if type(item) is str or item is None or type(item) is bool:
            continue
        if type(item) is dict:
            names = "".join(item)  # a TypeError here is a non-string key
            if not names.isascii() and _ASTRAL.search(names) is not None:
                slow = True
            slow = _needs_slow_path(item.values()) or slow
        elif type(item) is list or type(item) is tuple:
            slow = _needs_slow_path(item) or slow
        elif type(item) is int:
            if not -MAX_EXACT_INTEGER <= item <= MAX_EXACT_INTEGER:
                raise _UnfitError
        elif type(item) is float:
            if item.is_integer() or not _FAST_FLOAT_MIN <= abs(item) < math.inf:
                if not math.isfinite(item):
                    raise _UnfitError
                slow = True
        else:
            _scan(item)  # a subclass, or a _PathError
            slow = True
    return slow


def _diagnose(value: object) -> CanonicalError | None:
    """Run the thorough walk; return the error for the first bad value, if any."""
    try:
        _scan(value)
    except _PathError as problem:
        return problem.error()
    except RecursionError:
        return CanonicalError("nesting is too deep, or a container contains itself", where="$")
    return None


def _scan(value: object) -> bool:
    """Validate a JSON value thoroughly, raising :class:`_PathError` with its path.

    Returns
    -------
    bool
        Whether the fast encoder would not be exact (as :func:`_needs_slow_path`).
    """
    return _scan_values((value,))


def _scan_values(values: Iterable[object]) -> bool:
    """Validate sibling values; return whether any needs the slow path.

    On failure the offending child is left in ``problem.culprit`` for the
    enclosing container to name.
    """
    slow = False
    item: object = None
    try:
        for item in values:
            if isinstance(item, str):
                _check_text(item)
            elif isinstance(item, dict):
                slow = _scan_object(item) or slow
            elif isinstance(item, (list, tuple)):
                slow = _scan_array(item) or slow
            elif item is None or item is True or item is False:
                pass
            elif isinstance(item, int):
                _check_integer(item)
            elif isinstance(item, float):
                slow = _float_needs_slow_path(item) or slow
            else:
                raise _PathError(
                    f"values of type {_type_name(item)} cannot be encoded as JSON "
                    "(use dict, list, str, int, float, bool or None)"
                )
    except _PathError as problem:
        problem.culprit = item
        raise
    return slow


def _scan_object(obj: dict[object, object]) -> bool:
    """Validate an object's names and members; return whether it needs the slow path."""
    slow = _scan_names(obj)
    try:
        return _scan_values(obj.values()) or slow
    except _PathError as problem:
        # The scan is context-free, so the first member holding the failing object
        # is the first member that fails.
        name = next(key for key, item in obj.items() if item is problem.culprit)
        problem.segments.append(_name_segment(str(name)))
        raise


def _scan_array(items: list[object] | tuple[object, ...]) -> bool:
    """Validate an array's elements; return whether it needs the slow path."""
    try:
        return _scan_values(items)
    except _PathError as problem:
        index = next(i for i, item in enumerate(items) if item is problem.culprit)
        problem.segments.append(f"[{index}]")
        raise


def _scan_names(obj: dict[object, object]) -> bool:
    """Validate member names; return whether UTF-16 order may differ from code points."""
    slow = False
    for key in obj:
        if not isinstance(key, str):
            raise _PathError(
                f"object key of type {_type_name(key)} is not a string "
                "(JSON object member names must be strings)"
            )
        if _check_name(key):
            slow = True
    return slow


def _check_text(text: str) -> None:
    """Reject a string holding a surrogate code point (it has no UTF-8 encoding)."""
    if text.isascii():
        return
    match = _SURROGATE.search(text)
    if match is not None:
        raise _PathError(
            f"string holds a lone surrogate U+{ord(match.group()):04X} at character "
            f"{match.start()}, which has no UTF-8 encoding (RFC 8785 section 3.2.2.2)"
        )


def _check_name(name: str) -> bool:
    """Validate a member name; return whether it holds a character beyond U+FFFF."""
    if name.isascii():
        return False
    try:
        _check_text(name)
    except _PathError as problem:
        problem.message = "member name " + problem.message.removeprefix("string ")
        problem.segments.append(_name_segment(name))
        raise
    return _ASTRAL.search(name) is not None


def _check_integer(number: int) -> None:
    """Reject an integer that an IEEE 754 double cannot represent exactly."""
    if not -MAX_EXACT_INTEGER <= number <= MAX_EXACT_INTEGER:
        raise _PathError(
            "integer magnitude exceeds 2**53, so it is not exactly representable as an "
            "IEEE 754 double as RFC 8785 requires (send it as a string)"
        )


def _float_needs_slow_path(number: float) -> bool:
    """Reject NaN and infinities; return whether ``repr`` differs from ECMAScript."""
    if not math.isfinite(number):
        raise _PathError(
            f"float {number!r} is not allowed: JSON has no NaN or Infinity "
            "(RFC 8785 section 3.2.2.3)"
        )
    return number.is_integer() or abs(number) < _FAST_FLOAT_MIN


def _encode_slow(value: object) -> str:
    """Return the JCS text of a validated value: names in UTF-16 order, ES numbers."""
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, dict):
        return _encode_object(value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join([_encode_slow(item) for item in value]) + "]"
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return _format_number(float(value))
    raise TypeError(f"cannot encode {_type_name(value)}")


def _encode_object(obj: dict[str, object]) -> str:
    """Encode an object with members sorted by UTF-16 code units (RFC 8785 3.2.3)."""
    names = "".join(obj)
    order = sorted(obj, key=_utf16_units) if _ASTRAL.search(names) else sorted(obj)
    return "{" + ",".join([_quote(key) + ":" + _encode_slow(obj[key]) for key in order]) + "}"


def _utf16_units(name: str) -> bytes:
    """Sort key: big-endian UTF-16 bytes compare as the sequence of code units."""
    return name.encode("utf-16-be")


def _format_number(number: float) -> str:
    """Format a finite double as ECMAScript Number::toString (RFC 8785 section 3.2.2.3).

    Parameters
    ----------
    number
        A finite float (dimensionless).

    Returns
    -------
    str
        The shortest round-trip digits placed as ECMAScript places them.
    """
    if number == 0.0:
        return "0"  # both +0 and -0
    if number.is_integer() and abs(number) <= MAX_EXACT_INTEGER:
        return str(int(number))
    digits, point = _shortest_digits(abs(number))
    return ("-" if number < 0.0 else "") + _place_decimal_point(digits, point)


def _shortest_digits(number: float) -> tuple[str, int]:
    """Return ``(s, n)`` with ``number == 0.s * 10**n`` and ``s`` the shortest digits.

    Python's ``repr`` yields the shortest digit string that reads back as the same
    double, choosing the closest such string (David Gay's algorithm, mode 0), which
    is the ``s`` of ECMAScript's Number::toString step 5.
    """
    mantissa, _, exponent = repr(number).partition("e")
    whole, _, fraction = mantissa.partition(".")
    all_digits = whole + fraction
    significant = all_digits.lstrip("0")
    point = len(whole) + int(exponent or "0") - (len(all_digits) - len(significant))
    return significant.rstrip("0"), point


def _place_decimal_point(digits: str, point: int) -> str:
    """Lay out digits ``s`` of ``0.s * 10**n`` as in ECMAScript Number::toString.

    Parameters
    ----------
    digits
        The significant digits ``s`` (``k`` of them, no leading or trailing zero).
    point
        The decimal exponent ``n``.
    """
    count = len(digits)
    if count <= point <= 21:
        return digits + "0" * (point - count)
    if 0 < point <= 21:
        return digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return "0." + "0" * -point + digits
    exponent = point - 1
    sign = "+" if exponent >= 0 else "-"
    mantissa = digits if count == 1 else digits[0] + "." + digits[1:]
    return f"{mantissa}e{sign}{abs(exponent)}"


def _name_segment(name: str) -> str:
    """JSON path step for an object member: ``.mass`` or ``["odd name"]``."""
    if _PLAIN_NAME.fullmatch(name):
        return "." + name
    return "[" + json.dumps(name, ensure_ascii=True) + "]"


def _type_name(value: object) -> str:
    """Name of a value's type, qualified by module unless it is a builtin."""
    kind = type(value)
    if kind.__module__ == "builtins":
        return kind.__qualname__
    return f"{kind.__module__}.{kind.__qualname__}"


# --------------------------------------------------------------------------- parsing


def parse_canonical(data: bytes) -> object:
    """Parse UTF-8 JSON strictly: I-JSON only, no duplicate member names.

    The result is always accepted by :func:`canonical_bytes`. JSON numbers are
    IEEE 754 doubles (I-JSON): an integer literal within +/-2**53 becomes an
    ``int``, one beyond becomes the nearest ``float``.

    Parameters
    ----------
    data
        The JSON text, encoded as UTF-8 (no byte order mark).

    Returns
    -------
    object
        The parsed value (``dict``, ``list``, ``str``, ``int``, ``float``,
        ``bool`` or ``None``).

    Raises
    ------
    CanonicalError
        If the bytes are not UTF-8, not JSON, repeat a member name in one object,
        use ``NaN``/``Infinity``/``-Infinity``, hold a number too large for a
        double, hold a lone surrogate escape (then ``where`` is its JSON path), or
        nest too deeply.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CanonicalError(
            f"not UTF-8: invalid byte at offset {exc.start}", where=_TEXT
        ) from None
    value = _loads(text)
    try:
        _scan(value)
    except _PathError as problem:
        raise problem.error() from None
    except RecursionError:
        raise CanonicalError("nesting is too deep", where=_TEXT) from None
    return value


def parse_exactly_canonical(data: bytes) -> object:
    """Parse bytes that must be exactly the RFC 8785 encoding of their value.

    The fast way to read stored records: the C parser reads the text and the value
    is encoded again; equal bytes prove the text canonical, which implies every
    check of :func:`parse_canonical` (a repeated name, a non-finite or inexact
    number or a lone surrogate cannot survive the round trip unchanged).

    Raises
    ------
    CanonicalError
        The error :func:`parse_canonical` gives, or, for well-formed JSON written
        differently (whitespace, member order, escapes, number form), that the
        bytes are not canonical.
    """
    try:
        value = json.loads(data.decode("utf-8"))
        if canonical_bytes(value) == data:
            return value
    except (ValueError, RecursionError, InputError):
        pass  # UnicodeDecodeError and JSONDecodeError are ValueErrors
    parse_canonical(data)  # raises the precise error when there is one
    raise CanonicalError(
        "the bytes are not the canonical (RFC 8785) encoding of the value they hold",
        where=_TEXT,
    )


def is_canonical(data: bytes) -> bool:
    """Tell whether bytes are exactly the RFC 8785 encoding of the value they hold.

    Parameters
    ----------
    data
        Candidate canonical JSON, UTF-8 encoded.

    Returns
    -------
    bool
        ``True`` when ``canonical_bytes(parse_canonical(data)) == data``; ``False``
        otherwise, including when the bytes cannot be parsed at all.
    """
    try:
        return canonical_bytes(parse_canonical(data)) == data
    except CanonicalError:
        return False


def _loads(text: str) -> object:
    """Run :func:`json.loads` with the strict hooks, turning its errors into ours."""
    try:
        return json.loads(
            text,
            object_pairs_hook=_object_without_duplicates,
            parse_constant=_reject_constant,
            parse_float=_parse_float,
            parse_int=_parse_int,
        )
    except json.JSONDecodeError as exc:
        raise CanonicalError(
            f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})", where=_TEXT
        ) from None
    except RecursionError:
        raise CanonicalError("nesting is too deep", where=_TEXT) from None


def _object_without_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """``object_pairs_hook``: build a dict, refusing a repeated member name."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise CanonicalError(
                    f"duplicate object member name {json.dumps(key)} "
                    "(I-JSON, RFC 7493 section 2.3)",
                    where=_TEXT,
                )
            seen.add(key)
    return obj


def _reject_constant(name: str) -> object:
    """``parse_constant``: JSON has no NaN or infinities."""
    raise CanonicalError(
        f"{name} is not JSON: numbers must be finite (RFC 8785 section 3.2.2.3)", where=_TEXT
    )


def _parse_float(literal: str) -> float:
    """``parse_float``: refuse a literal that overflows a double."""
    number = float(literal)
    if not math.isfinite(number):
        raise CanonicalError(
            "a number literal overflows an IEEE 754 double (I-JSON, RFC 7493 section 2.2)",
            where=_TEXT,
        )
    return number


def _parse_int(literal: str) -> int | float:
    """``parse_int``: an integer within +/-2**53 stays ``int``, others become doubles."""
    # JSON forbids leading zeros, so a literal over 17 characters exceeds 2**53.
    if len(literal) <= 17:
        number = int(literal)
        if -MAX_EXACT_INTEGER <= number <= MAX_EXACT_INTEGER:
            return number
    return _parse_float(literal)
