"""Tests of treatyverify.canonical: RFC 8785 (JCS) encoding and strict parsing.

Reference data (public test vectors, cited where used):

* RFC 8785 Appendix B, "Number Serialization Samples" (IEEE 754 bits -> JSON text);
* RFC 8785 section 3.2.2 (sample input and output) and section 3.2.3 (sorting sample);
* the JCS reference test data of the RFC's author, github.com/cyberphone/
  json-canonicalization, testdata/input/weird.json and testdata/output/weird.json,
  which add the "</script>" member to the section 3.2.3 sample.

Independent oracle: the ``rfc8785`` package (a test extra), compared over generated
JSON values with hypothesis.
"""

from __future__ import annotations

import json
import math
import struct
import sys
from collections import OrderedDict
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any

import pytest
import rfc8785
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from treatyverify import canonical
from treatyverify.canonical import (
    MAX_EXACT_INTEGER,
    CanonicalError,
    canonical_bytes,
    is_canonical,
    parse_canonical,
)
from treatyverify.errors import InputError


def from_bits(bits: str) -> float:
    """The double whose IEEE 754 binary64 bit pattern is ``bits`` (16 hex digits)."""
    value: float = struct.unpack(">d", bytes.fromhex(bits))[0]
    return value


# --------------------------------------------------------------------- RFC 8785 vectors

# RFC 8785 Appendix B: IEEE 754 binary64 bit patterns and their JCS text.
APPENDIX_B = [
    ("0000000000000000", "0"),  # zero
    ("8000000000000000", "0"),  # minus zero
    ("0000000000000001", "5e-324"),  # min positive number
    ("8000000000000001", "-5e-324"),  # min negative number
    ("7fefffffffffffff", "1.7976931348623157e+308"),  # max positive number
    ("ffefffffffffffff", "-1.7976931348623157e+308"),  # max negative number
    ("4340000000000000", "9007199254740992"),  # max positive integer 2**53
    ("c340000000000000", "-9007199254740992"),  # max negative integer
    ("4430000000000000", "295147905179352830000"),  # ~2**68
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),  # round to even
]

# RFC 8785 Appendix B: NaN and Infinity have no JSON form.
APPENDIX_B_INVALID = ["7fffffffffffffff", "7ff0000000000000", "fff0000000000000"]


@pytest.mark.parametrize(("bits", "expected"), APPENDIX_B)
def test_rfc8785_appendix_b_numbers(bits: str, expected: str) -> None:
    number = from_bits(bits)
    assert canonical_bytes(number) == expected.encode()
    assert canonical_bytes([number]) == f"[{expected}]".encode()
    assert canonical_bytes({"x": number}) == f'{{"x":{expected}}}'.encode()


@pytest.mark.parametrize("bits", APPENDIX_B_INVALID)
def test_rfc8785_appendix_b_non_finite_numbers_are_refused(bits: str) -> None:
    with pytest.raises(CanonicalError, match="NaN or Infinity"):
        canonical_bytes({"x": from_bits(bits)})


def test_rfc8785_section_3_2_2_sample() -> None:
    # Input and output exactly as printed in RFC 8785 section 3.2.2 / 3.2.3.
    text = (
        '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],'
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
        ' "literals": [null, true, false]}'
    )
    expected = (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    assert canonical_bytes(parse_canonical(text.encode())) == expected.encode()
    assert is_canonical(expected.encode())
    assert not is_canonical(text.encode())


# RFC 8785 section 3.2.3, plus "</script>" from the reference test data weird.json.
SORTING_SAMPLE = {
    "\u20ac": "Euro Sign",
    "\r": "Carriage Return",
    "\ufb33": "Hebrew Letter Dalet With Dagesh",
    "1": "One",
    "\U0001f600": "Emoji: Grinning Face",  # "\ud83d\ude00" in the RFC's JSON text
    "\u0080": "Control",
    "\u00f6": "Latin Small Letter O With Diaeresis",
    "</script>": "Browser Challenge",
}


def test_rfc8785_section_3_2_3_sorting_by_utf16_code_units() -> None:
    expected = (
        '{"\\r":"Carriage Return","1":"One","</script>":"Browser Challenge",'
        '"\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",'
        '"\u20ac":"Euro Sign","\U0001f600":"Emoji: Grinning Face",'
        '"\ufb33":"Hebrew Letter Dalet With Dagesh"}'
    )
    assert canonical_bytes(SORTING_SAMPLE) == expected.encode("utf-8")
    # The RFC's own seven members, parsed from its JSON text with \u escapes.
    rfc_text = json.dumps({k: v for k, v in SORTING_SAMPLE.items() if k != "</script>"})
    without_script = expected.replace('"</script>":"Browser Challenge",', "")
    assert canonical_bytes(parse_canonical(rfc_text.encode())) == without_script.encode()


def test_utf16_order_differs_from_code_point_order_only_beyond_the_bmp() -> None:
    # U+1F600 is D83D DE00 in UTF-16, below U+FB33 there; by code point it is above.
    assert sorted(["\ufb33", "\U0001f600"]) == ["\ufb33", "\U0001f600"]
    assert canonical_bytes({"\ufb33": 1, "\U0001f600": 2}) == '{"😀":2,"\ufb33":1}'.encode()
    assert canonical_bytes({"\uffff": 1, "\U00010000": 2}) == '{"\U00010000":2,"\uffff":1}'.encode()
    # Below U+E000 the two orders agree.
    assert canonical_bytes({"\ud7ff": 1, "\U00010000": 2}) == '{"\ud7ff":1,"\U00010000":2}'.encode()


def test_reference_weird_json() -> None:
    # cyberphone/json-canonicalization testdata/input/weird.json -> output/weird.json
    text = (
        '{"\\u20ac": "Euro Sign", "1": "One", "\\u0080": "Control\\u007f",'
        ' "\\ud83d\\ude02": "Smiley", "\\u00f6": "Latin Small Letter O With Diaeresis",'
        ' "\\ufb33": "Hebrew Letter Dalet With Dagesh", "</script>": "Browser Challenge"}'
    )
    expected = (
        '{"1":"One","</script>":"Browser Challenge","\u0080":"Control\u007f",'
        '"\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign",'
        '"\U0001f602":"Smiley","\ufb33":"Hebrew Letter Dalet With Dagesh"}'
    )
    assert canonical_bytes(parse_canonical(text.encode())) == expected.encode()


# --------------------------------------------------------------------- string escaping


def expected_escape(char: str) -> str:
    """RFC 8785 section 3.2.2.2 (ECMAScript QuoteJSONString), written out by hand."""
    short = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n"}
    short |= {"\f": "\\f", "\r": "\\r"}
    if char in short:
        return short[char]
    if ord(char) < 0x20:
        return f"\\u{ord(char):04x}"
    return char


@pytest.mark.parametrize(
    "code_point",
    [*range(0x80), 0x80, 0x9F, 0xA0, 0xFF, 0x2028, 0x2029, 0xFEFF, 0xFFFF, 0x1F600, 0x10FFFF],
)
def test_every_string_escape_matches_rfc8785(code_point: int) -> None:
    char = chr(code_point)
    expected = ('"' + expected_escape(char) + '"').encode("utf-8")
    assert canonical_bytes(char) == expected
    assert canonical_bytes({char: char}) == b"{" + expected + b":" + expected + b"}"
    assert canonical_bytes([char, 0.5e-9]) == b"[" + expected + b",5e-10]"  # slow path


def test_string_escaping_agrees_with_rfc8785_package_for_all_of_the_bmp() -> None:
    text = "".join(chr(c) for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF)
    assert canonical_bytes(text) == rfc8785.dumps(text)


# --------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (3.0, "3"),
        (-3.0, "-3"),
        (-0.0, "0"),
        (0, "0"),
        (MAX_EXACT_INTEGER, "9007199254740992"),
        (-MAX_EXACT_INTEGER, "-9007199254740992"),
        (2.0**60, "1152921504606847000"),
        (1e16, "10000000000000000"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (123456789012345680000.0, "123456789012345680000"),
        (1e-4, "0.0001"),
        (1e-5, "0.00001"),
        (1e-6, "0.000001"),
        (1e-7, "1e-7"),
        (1.5e-7, "1.5e-7"),
        (0.1, "0.1"),
        (12.25, "12.25"),
        (1e300, "1e+300"),
        (True, "true"),
        (False, "false"),
        (None, "null"),
    ],
)
def test_number_and_literal_forms(number: object, expected: str) -> None:
    assert canonical_bytes(number) == expected.encode()


def test_float_repr_is_short_on_this_platform() -> None:
    # Both encoders take their digits from repr(); RFC 8785 needs the shortest ones.
    assert sys.float_repr_style == "short"


@given(st.floats(allow_nan=False, allow_infinity=False))
@example(1e-4)
@example(9.999999999999999e-05)
@example(2.0**52 - 0.5)
@example(2.0**52 + 1)
@example(1e16 - 2)
def test_fast_path_floats_are_written_as_the_ecmascript_formatter_writes_them(
    number: float,
) -> None:
    # The claim the fast path rests on: repr() agrees with Number::toString for every
    # float the hot-path walk lets through.
    if not canonical._float_needs_slow_path(number):
        assert repr(number) == canonical._format_number(number)
    assert canonical_bytes(number) == canonical._format_number(number).encode()


# --------------------------------------------------------------------- property tests

SAFE_INT = 2**53 - 1  # the range of the rfc8785 package (I-JSON's interoperable range)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-SAFE_INT, SAFE_INT)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)


def json_values(depth: int) -> st.SearchStrategy[object]:
    """JSON values nested at most ``depth`` containers deep; text may leave the BMP."""
    if depth == 0:
        return scalars
    children = json_values(depth - 1)
    return (
        scalars
        | st.lists(children, max_size=5)
        | st.dictionaries(st.text(max_size=8), children, max_size=6)
    )


records = st.dictionaries(
    st.text(st.characters(codec="utf-8"), max_size=8), json_values(3), max_size=8
)


@settings(max_examples=500)
@given(json_values(4))
def test_agrees_with_the_rfc8785_package(value: Any) -> None:
    assert canonical_bytes(value) == rfc8785.dumps(value)


# Characters on both sides of the boundaries where UTF-16 and code point order part.
TRICKY = ["a", "\x7f", "\x80", "\ud7ff", "\ue000", "\ufb33", "\uffff"]
TRICKY += ["\U00010000", "\U0001f600", "\U0010ffff"]


@settings(max_examples=300)
@given(st.dictionaries(st.text(st.sampled_from(TRICKY), max_size=3), st.integers(0, 9)))
def test_member_order_agrees_with_the_rfc8785_package(value: dict[str, int]) -> None:
    assert canonical_bytes(value) == rfc8785.dumps(value)


@settings(max_examples=300)
@given(records)
def test_fast_path_equals_slow_encoder(value: object) -> None:
    assert canonical_bytes(value) == canonical._encode_slow(value).encode("utf-8")


def same_json(a: object, b: object) -> bool:
    """Equality of JSON values with numbers compared as doubles (3 == 3.0, 0 == -0.0)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(map(same_json, a, b))
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b)
    return type(a) is type(b) and a == b


@settings(max_examples=300)
@given(json_values(4))
def test_parse_inverts_encode(value: object) -> None:
    data = canonical_bytes(value)
    parsed = parse_canonical(data)
    assert same_json(parsed, value)
    assert canonical_bytes(parsed) == data
    assert is_canonical(data)


@given(json_values(3))
def test_pretty_or_reordered_text_is_not_canonical(value: object) -> None:
    data = canonical_bytes(value)
    pretty = json.dumps(parse_canonical(data), indent=1, ensure_ascii=False).encode()
    assume(pretty != data)
    assert canonical_bytes(parse_canonical(pretty)) == data
    assert not is_canonical(pretty)


# --------------------------------------------------------------------- subclasses


class Colour(IntEnum):
    RED = 1


def test_subclasses_of_json_types_encode_as_their_base_type() -> None:
    value = OrderedDict([("b", Colour.RED), ("a", (1.0, "x"))])
    assert canonical_bytes(value) == b'{"a":[1,"x"],"b":1}'


# --------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("value", "where", "words"),
    [
        ({"body": {"items": [0, 1, 2, {"mass": math.nan}]}}, "$.body.items[3].mass", "NaN"),
        ({"a": [math.inf]}, "$.a[0]", "Infinity"),
        ({"n": 2**53 + 1}, "$.n", "exceeds 2**53"),
        ({"n": [-(2**53) - 1]}, "$.n[0]", "not exactly representable"),
        ({"s": "ok\ud800"}, "$.s", "lone surrogate U+D800"),
        ({"k": {"bad\udfff": 1}}, '$.k["bad\\udfff"]', "member name holds a lone surrogate"),
        ({"d": {1: "x"}}, "$.d", "object key of type int is not a string"),
        ({"b": b"raw"}, "$.b", "type bytes"),
        ({"s": {1, 2}}, "$.s", "type set"),
        ({"t": datetime(2026, 1, 1, tzinfo=UTC)}, "$.t", "type datetime.datetime"),
        ({"odd key": [None, object()]}, '$["odd key"][1]', "type object"),
        ([{"a": 1}, {"a": 1.5}, {"a": 2**60}], "$[2].a", "exceeds 2**53"),
        (math.nan, "$", "NaN"),
    ],
)
def test_errors_name_the_json_path_and_the_problem(value: object, where: str, words: str) -> None:
    with pytest.raises(CanonicalError) as caught:
        canonical_bytes(value)
    assert caught.value.where == where
    assert words in caught.value.message
    assert str(caught.value).startswith(where + ": ")
    assert isinstance(caught.value, InputError)


def test_the_first_offending_value_is_named_when_objects_are_shared() -> None:
    shared = {"x": math.nan}
    with pytest.raises(CanonicalError) as caught:
        canonical_bytes({"a": [1, shared], "b": shared})
    assert caught.value.where == "$.a[1].x"


def test_errors_do_not_leak_the_offending_value() -> None:
    with pytest.raises(CanonicalError) as caught:
        canonical_bytes({"mass": 123456789012345678901})
    assert "123456789" not in str(caught.value)


def test_self_containing_and_too_deep_values_are_refused() -> None:
    loop: list[object] = []
    loop.append(loop)
    with pytest.raises(CanonicalError, match="contains itself"):
        canonical_bytes(loop)
    deep: list[object] = []
    for _ in range(sys.getrecursionlimit() + 10):
        deep = [deep]
    with pytest.raises(CanonicalError, match="too deep"):
        canonical_bytes(deep)


# --------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b'{"a":1,"a":2}', 'duplicate object member name "a"'),
        (b'[{"x":{"b":1,"c":2,"b":3}}]', 'duplicate object member name "b"'),
        (b"[NaN]", "NaN is not JSON"),
        (b"Infinity", "Infinity is not JSON"),
        (b'{"x":-Infinity}', "-Infinity is not JSON"),
        (b"1e400", "overflows"),
        (b"-" + b"9" * 400, "overflows"),
        (b'{"a":1', "not valid JSON"),
        (b"[1] [2]", "not valid JSON"),
        (b"\xef\xbb\xbf[]", "not valid JSON"),  # a byte order mark
        (b'["\xff"]', "not UTF-8"),
        (b"", "not valid JSON"),
    ],
)
def test_parse_errors(data: bytes, words: str) -> None:
    with pytest.raises(CanonicalError, match=words) as caught:
        parse_canonical(data)
    assert caught.value.where == "JSON text"
    assert not is_canonical(data)


def test_parse_refuses_a_lone_surrogate_escape_and_names_its_path() -> None:
    with pytest.raises(CanonicalError, match=r"lone surrogate U\+D83D") as caught:
        parse_canonical(b'{"a":[1,"\\ud83d"]}')
    assert caught.value.where == "$.a[1]"
    # A correctly paired escape is one character.
    assert parse_canonical(b'"\\ud83d\\ude00"') == "\U0001f600"


def test_parse_numbers_are_doubles() -> None:
    assert parse_canonical(b"[9007199254740992,-9007199254740992]") == [2**53, -(2**53)]
    big = parse_canonical(b"1152921504606847000")
    assert isinstance(big, float)
    assert big == 2.0**60
    assert is_canonical(b"1152921504606847000")
    assert not is_canonical(b"9007199254740993")  # 2**53 + 1 is no double


def test_parse_refuses_deep_nesting() -> None:
    depth = 100_000
    with pytest.raises(CanonicalError, match="too deep"):
        parse_canonical(b"[" * depth + b"]" * depth)


@pytest.mark.parametrize(
    "data",
    [
        b'{"b":1,"a":2}',  # unsorted
        b'{"a": 1}',  # whitespace
        b" 1",
        b"1.0",
        b"1E2",
        b"-0",
        b"0.10",
        b'"\\u0041"',  # needless escape
        b'"\\/"',
        b'"\\u001F"',  # upper-case hex
        b'"\\u007f"',  # DEL is not escaped
        b'{"\\ufb33":1,"\\ud83d\\ude00":2}',  # code point order, and escapes
    ],
)
def test_non_canonical_texts(data: bytes) -> None:
    assert not is_canonical(data)


@pytest.mark.parametrize(
    "data",
    [b"1", b"-5e-324", b'"\\u001f\\b"', b'{"":[],"a":{}}', b"[1e+21,0.000001,1e-7]"],
)
def test_canonical_texts(data: bytes) -> None:
    assert is_canonical(data)
