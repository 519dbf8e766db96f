"""The record envelope built around a once-encoded body equals the canonical envelope.

:meth:`Ledger.append_many` encodes each body once and assembles the envelope's bytes
around it. The reference here is the canonical encoding of the whole envelope as a
JSON object, written independently with :mod:`json` (sorted keys, no whitespace, no
ASCII escaping), which is RFC 8785 for the values drawn (no floats, ASCII-range
object names at the top level and sorted by code point below it, which equals UTF-16
order for characters below U+10000; astral characters appear only in string values).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from treatyverify.canonical import canonical_bytes, canonical_string
from treatyverify.errors import InputError
from treatyverify.records.ledger import Entry, Ledger, _EnvelopeFields, body_bytes

TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)),  # no lone surrogates
    max_size=30,
)
BMP_NAMES = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), max_codepoint=0xFFFF), max_size=12
)
BODY = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(BMP_NAMES, inner, max_size=4),
    max_leaves=20,
).map(lambda value: {"value": value})


def _reference(envelope: dict[str, Any]) -> bytes:
    return json.dumps(envelope, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


@settings(max_examples=400, deadline=None)
@given(
    treaty=TEXT,
    party=TEXT,
    key_id=st.text("0123456789abcdef", min_size=32, max_size=32),
    time=TEXT,
    kind=TEXT.filter(lambda k: bool(k) and k != "ledger_open"),
    ref=st.none() | TEXT.filter(bool),
    seq=st.integers(0, 2**40),
    prev=st.binary(min_size=32, max_size=32),
    body=BODY,
)
def test_assembled_envelope_is_the_canonical_envelope(
    treaty: str,
    party: str,
    key_id: str,
    time: str,
    kind: str,
    ref: str | None,
    seq: int,
    prev: bytes,
    body: dict[str, Any],
) -> None:
    envelope = {
        "v": 1,
        "seq": seq,
        "prev": prev.hex(),
        "treaty": treaty,
        "kind": kind,
        "party": party,
        "key": key_id,
        "time": time,
        "ref": ref,
        "body": body,
    }
    fields = _EnvelopeFields(treaty, party, key_id, time)
    prepared = Ledger._encode(Entry(kind, body, ref), 0)
    assembled = fields.content(seq, prev.hex(), prepared)
    assert assembled == _reference(envelope)
    assert assembled == canonical_bytes(envelope)
    assert body_bytes(assembled) == prepared.body_json == canonical_bytes(body)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", b'"plain"'),
        ('quote " and \\ backslash', b'"quote \\" and \\\\ backslash"'),
        ("tab\tnew\nline", b'"tab\\tnew\\nline"'),
        ("\x00\x1f\x7f", b'"\\u0000\\u001f\x7f"'),
        ("caf\u00e9 \u20ac \U0001f600", '"caf\u00e9 \u20ac \U0001f600"'.encode()),
    ],
)
def test_a_string_is_quoted_as_rfc_8785_section_3_2_2_2_says(text: str, expected: bytes) -> None:
    assert canonical_string(text, where="f") == expected


def test_a_lone_surrogate_is_an_error_naming_the_field() -> None:
    with pytest.raises(InputError) as caught:
        canonical_string("bad \ud800", where="kind")
    assert caught.value.where == "kind"


def test_a_non_string_is_an_error_naming_the_field() -> None:
    with pytest.raises(InputError) as caught:
        canonical_string(7, where="ref")  # type: ignore[arg-type]
    assert caught.value.where == "ref"
