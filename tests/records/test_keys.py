"""Tests of treatyverify.records.keys: Ed25519 party keys and key files.

Facts checked independently of the module: the key identifier is the first 32 hex
digits of SHA-256 of the raw 32-byte public key (computed with hashlib); signatures
verify with ``cryptography``'s own Ed25519 verifier; the private key file is PKCS#8
PEM with mode 0600 (read back with ``cryptography`` and ``os.stat``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from ledger_helpers import party_key

from treatyverify.errors import InputError, SigningKeyError
from treatyverify.records.keys import (
    PartyKey,
    PublicPartyKey,
    generate_party_key,
    key_id,
    load_private_key,
    load_public_key,
    load_public_keys,
    write_key_pair,
)

# RFC 8032 section 7.1, TEST 1: secret key and the public key it derives.
RFC8032_SECRET = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC8032_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")


def test_key_id_is_first_32_hex_digits_of_sha256_of_raw_key() -> None:
    key = PartyKey("us", Ed25519PrivateKey.from_private_bytes(RFC8032_SECRET))
    assert key.public.public_key == RFC8032_PUBLIC
    expected = hashlib.sha256(RFC8032_PUBLIC).hexdigest()[:32]
    assert key_id(RFC8032_PUBLIC) == expected
    assert key.key_id == expected
    assert key.public.key_id == expected
    assert len(expected) == 32


def test_generated_keys_are_fresh_and_sign_verifiably() -> None:
    first, second = generate_party_key("us"), generate_party_key("us")
    assert first.public.public_key != second.public.public_key
    message = b"treatyverify test message"
    signature = first.sign(message)
    assert len(signature) == 64
    Ed25519PublicKey.from_public_bytes(first.public.public_key).verify(signature, message)
    assert first.public.verify(signature, message)
    assert not first.public.verify(signature, message + b"!")
    assert not second.public.verify(signature, message)


def test_repr_of_a_private_key_does_not_leak_it() -> None:
    key = party_key("us")
    raw = key.private_key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    text = repr(key)
    assert raw.hex() not in text
    assert key.key_id in text


def test_write_and_load_round_trip(tmp_path: Path) -> None:
    key = generate_party_key("us")
    private_path, public_path = write_key_pair(key, tmp_path / "keys")
    assert private_path == tmp_path / "keys" / "us.key"
    assert public_path == tmp_path / "keys" / "us.pub"

    loaded = load_private_key(private_path)
    assert loaded.party == "us"
    assert loaded.public.public_key == key.public.public_key
    # The loaded key signs what the original key verifies.
    assert key.public.verify(loaded.sign(b"m"), b"m")

    public = load_public_key(public_path)
    assert public == PublicPartyKey("us", key.public.public_key)

    document = json.loads(public_path.read_text(encoding="utf-8"))
    assert document["party"] == "us"
    assert document["algorithm"] == "Ed25519"
    assert bytes.fromhex(document["public_key"]) == key.public.public_key
    assert document["key_id"] == hashlib.sha256(key.public.public_key).hexdigest()[:32]


def test_private_key_file_is_pkcs8_pem_with_mode_0600(tmp_path: Path) -> None:
    key = generate_party_key("ru")
    private_path, public_path = write_key_pair(key, tmp_path)
    assert stat.S_IMODE(os.stat(private_path).st_mode) == 0o600
    data = private_path.read_bytes()
    assert data.startswith(b"-----BEGIN PRIVATE KEY-----")
    reread = serialization.load_pem_private_key(data, password=None)
    assert isinstance(reread, Ed25519PrivateKey)
    assert (
        reread.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        == key.public.public_key
    )
    # The public key file is not secret and needs no restrictive mode, but it must not
    # contain the private key.
    assert b"PRIVATE" not in public_path.read_bytes()


def test_write_refuses_to_overwrite_a_private_key(tmp_path: Path) -> None:
    original = generate_party_key("us")
    private_path, public_path = write_key_pair(original, tmp_path)
    before_private, before_public = private_path.read_bytes(), public_path.read_bytes()
    with pytest.raises(SigningKeyError) as caught:
        write_key_pair(generate_party_key("us"), tmp_path)
    assert str(private_path) in str(caught.value)
    assert private_path.read_bytes() == before_private
    assert public_path.read_bytes() == before_public


def test_public_key_of_another_party_beside_the_private_key_is_refused(tmp_path: Path) -> None:
    us, ru = party_key("us"), party_key("ru")
    write_key_pair(us, tmp_path / "us-dir")
    write_key_pair(ru, tmp_path / "ru-dir")
    # Put ru's public key file where us's belongs.
    (tmp_path / "us-dir" / "us.pub").write_bytes((tmp_path / "ru-dir" / "ru.pub").read_bytes())
    with pytest.raises(SigningKeyError) as caught:
        load_private_key(tmp_path / "us-dir" / "us.key")
    assert caught.value.where == str(tmp_path / "us-dir" / "us.key")


def test_public_key_of_the_same_party_but_another_key_is_refused(tmp_path: Path) -> None:
    write_key_pair(party_key("us"), tmp_path)
    other = PublicPartyKey("us", party_key("us", "other").public.public_key)
    document = {"party": "us", "algorithm": "Ed25519", "public_key": other.public_key.hex()}
    (tmp_path / "us.pub").write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(SigningKeyError):
        load_private_key(tmp_path / "us.key")


def test_claiming_another_party_for_a_private_key_is_refused(tmp_path: Path) -> None:
    private_path, _ = write_key_pair(party_key("us"), tmp_path)
    with pytest.raises(SigningKeyError):
        load_private_key(private_path, party="ru")


def test_private_key_without_public_file_takes_party_from_the_stem(tmp_path: Path) -> None:
    private_path, public_path = write_key_pair(party_key("uk"), tmp_path)
    public_path.unlink()
    assert load_private_key(private_path).party == "uk"
    assert load_private_key(private_path, party="gb").party == "gb"


def _pem(label: str, der: bytes) -> bytes:
    body = base64.encodebytes(der)
    return f"-----BEGIN {label}-----\n".encode() + body + f"-----END {label}-----\n".encode()


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"not a key at all\n", id="text"),
        pytest.param(
            b"-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n", id="bad-b64"
        ),
        pytest.param(_pem("PRIVATE KEY", b"\x30\x03\x02\x01\x00"), id="truncated-der"),
        pytest.param(b"\xff\xfe\x00\x80garbage", id="binary"),
    ],
)
def test_malformed_private_key_file_names_the_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "us.key"
    path.write_bytes(content)
    with pytest.raises(SigningKeyError) as caught:
        load_private_key(path)
    assert caught.value.where == str(path)
    assert "\n" not in str(caught.value)


def test_encrypted_private_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "us.key"
    path.write_bytes(
        party_key("us").private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"password"),
        )
    )
    with pytest.raises(SigningKeyError) as caught:
        load_private_key(path)
    assert caught.value.where == str(path)


def test_non_ed25519_private_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "us.key"
    path.write_bytes(
        generate_private_key(SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(SigningKeyError) as caught:
        load_private_key(path)
    assert caught.value.where == str(path)


def _pkcs8_with_unknown_algorithm() -> bytes:
    """A well-formed PKCS#8 PrivateKeyInfo whose algorithm OID is 1.2.3.4 (unknown)."""
    algorithm = b"\x30\x05" + b"\x06\x03\x2a\x03\x04"
    private = b"\x04\x22\x04\x20" + bytes(range(32))
    inner = b"\x02\x01\x00" + algorithm + private
    return b"\x30" + bytes([len(inner)]) + inner


def test_private_key_of_unknown_algorithm_is_a_signing_key_error(tmp_path: Path) -> None:
    path = tmp_path / "us.key"
    path.write_bytes(_pem("PRIVATE KEY", _pkcs8_with_unknown_algorithm()))
    with pytest.raises(SigningKeyError) as caught:
        load_private_key(path)
    assert caught.value.where == str(path)


def test_missing_private_key_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.key"
    with pytest.raises(SigningKeyError) as caught:
        load_private_key(path)
    assert caught.value.where == str(path)


def _write_public(path: Path, document: object) -> None:
    path.write_text(json.dumps(document), encoding="utf-8")


GOOD_HEX = party_key("us").public.public_key.hex()


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"{not json", id="not-json"),
        pytest.param(b"\xff\xfe\x00\x80", id="not-utf8"),
        pytest.param(b"[1, 2]", id="array"),
        pytest.param(b'"just a string"', id="string"),
        pytest.param(json.dumps({"public_key": GOOD_HEX}).encode(), id="no-party"),
        pytest.param(json.dumps({"party": "", "public_key": GOOD_HEX}).encode(), id="empty-party"),
        pytest.param(json.dumps({"party": 7, "public_key": GOOD_HEX}).encode(), id="party-int"),
        pytest.param(json.dumps({"party": "us"}).encode(), id="no-key"),
        pytest.param(json.dumps({"party": "us", "public_key": 12}).encode(), id="key-int"),
        pytest.param(
            json.dumps({"party": "us", "public_key": "zz" * 32}).encode(), id="key-not-hex"
        ),
        pytest.param(
            json.dumps({"party": "us", "public_key": GOOD_HEX[:-2]}).encode(), id="key-31-bytes"
        ),
        pytest.param(
            json.dumps({"party": "us", "public_key": GOOD_HEX + "00"}).encode(), id="key-33-bytes"
        ),
        pytest.param(json.dumps({"party": "us", "public_key": ""}).encode(), id="key-empty"),
    ],
)
def test_malformed_public_key_file_names_the_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "us.pub"
    path.write_bytes(content)
    with pytest.raises(SigningKeyError) as caught:
        load_public_key(path)
    assert caught.value.where is not None
    assert caught.value.where.startswith(str(path))
    assert "\n" not in str(caught.value)


def test_malformed_public_key_beside_a_private_key_is_a_signing_key_error(tmp_path: Path) -> None:
    private_path, public_path = write_key_pair(party_key("us"), tmp_path)
    public_path.write_text("{", encoding="utf-8")
    with pytest.raises(SigningKeyError) as caught:
        load_private_key(private_path)
    assert str(public_path) in str(caught.value)


def test_public_key_of_wrong_length_is_refused_when_built_directly() -> None:
    for length in (0, 31, 33, 64):
        with pytest.raises(SigningKeyError):
            PublicPartyKey("us", bytes(length))


def test_signing_key_error_is_an_input_error() -> None:
    # The CLI relies on the hierarchy to print one line and exit with status 2.
    assert issubclass(SigningKeyError, InputError)


def test_load_public_keys_reads_a_directory_and_refuses_two_keys_for_one_party(
    tmp_path: Path,
) -> None:
    for party in ("us", "ru", "uk"):
        write_key_pair(party_key(party), tmp_path)
    keys = load_public_keys(tmp_path)
    assert sorted(keys) == ["ru", "uk", "us"]
    for party, public in keys.items():
        assert public.public_key == party_key(party).public.public_key

    _write_public(
        tmp_path / "zz-second-us.pub",
        {"party": "us", "public_key": party_key("us", "second").public.public_key.hex()},
    )
    with pytest.raises(SigningKeyError) as caught:
        load_public_keys(tmp_path)
    assert str(tmp_path / "zz-second-us.pub") in str(caught.value)
