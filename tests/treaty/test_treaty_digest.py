"""The treaty digest: RFC 8785 of the parsed specification with a format tag.

The expected values come from the independent ``rfc8785`` package and from
``hashlib``, never from the encoder under test.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
import rfc8785
from treaty_helpers import dump, minimal_spec

from treatyverify.treaty import list_treaties, load_treaty, parse_treaty_yaml
from treatyverify.treaty.models import TREATY_DIGEST_FORMAT, TreatySpec


def _expected(spec: TreatySpec) -> str:
    document = {
        "format": "treatyverify-treaty/1",
        "specification": spec.model_dump(mode="json", exclude_defaults=True),
    }
    return hashlib.sha256(rfc8785.dumps(document)).hexdigest()


def _legacy(spec: TreatySpec) -> str:
    data = spec.model_dump(mode="json", exclude_defaults=True)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_the_format_tag_is_named() -> None:
    assert TREATY_DIGEST_FORMAT == "treatyverify-treaty/1"


@pytest.mark.parametrize("treaty", list_treaties())
def test_shipped_digest_is_rfc8785(treaty: str) -> None:
    spec = load_treaty(treaty)
    assert spec.digest() == _expected(spec)
    assert spec.canonical_json().encode("utf-8") == rfc8785.dumps(
        spec.model_dump(mode="json", exclude_defaults=True)
    )
    assert spec.legacy_digest() == _legacy(spec)


@pytest.mark.parametrize("treaty", ["ctbt", "warhead-dismantlement"])
def test_shipped_floats_differ_from_python_json(treaty: str) -> None:
    # These hold integral floats (2.0): Python's json writes "2.0", RFC 8785 "2".
    spec = load_treaty(treaty)
    assert spec.digest() != spec.legacy_digest()
    assert b"2.0" not in rfc8785.dumps(spec.model_dump(mode="json", exclude_defaults=True))


def _with_ratio(value: Any) -> TreatySpec:
    data = minimal_spec()
    data["methods"][0]["parameters"]["max_ratio"] = value
    data["limits"][0]["maximum"] = value
    return parse_treaty_yaml(dump(data))


def test_integral_float_digests_as_rfc8785() -> None:
    as_float, as_int = _with_ratio(2.0), _with_ratio(2)
    assert as_float.digest() == _expected(as_float)
    # One JSON number: the RFC 8785 digest does not tell 2.0 from 2 ...
    assert as_float.digest() == as_int.digest()
    assert '"maximum":2,' in as_float.canonical_json()
    # ... the legacy digest did.
    assert as_float.legacy_digest() != as_int.legacy_digest()
    assert _with_ratio(2.5).digest() == _expected(_with_ratio(2.5))
    assert _with_ratio(2.5).digest() != as_float.digest()


def test_the_tag_is_part_of_the_hashed_value() -> None:
    spec = _with_ratio(2.0)
    untagged = hashlib.sha256(spec.canonical_json().encode("utf-8")).hexdigest()
    assert spec.digest() != untagged
