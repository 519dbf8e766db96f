"""Ed25519 party keys: generation, files, key identifiers and signing.

A party holds one private signing key; every other party pins its public key.
Private keys are written as unencrypted PKCS#8 PEM with file mode 0600; public keys
as a small JSON document naming the party, so that a key file cannot silently be used
for another party.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from treatyverify.errors import InputError, SigningKeyError
from treatyverify.files import read_json, write_atomically

__all__ = [
    "PartyKey",
    "PublicPartyKey",
    "generate_party_key",
    "key_id",
    "load_private_key",
    "load_public_key",
    "load_public_keys",
    "write_key_pair",
]

PUBLIC_KEY_BYTES = 32
"""Length of a raw Ed25519 public key in bytes (RFC 8032, section 5.1.5)."""


def key_id(public_key: bytes) -> str:
    """Return the identifier of a raw Ed25519 public key.

    Parameters
    ----------
    public_key
        The 32-byte raw public key.

    Returns
    -------
    str
        The first 16 bytes of SHA-256 of the key, as 32 lowercase hex digits.
    """
    return hashlib.sha256(public_key).hexdigest()[:32]


@dataclass(frozen=True)
class PublicPartyKey:
    """A party's public verification key.

    Parameters
    ----------
    party
        Party identifier as in the treaty specification (for example ``"us"``).
    public_key
        Raw 32-byte Ed25519 public key.
    """

    party: str
    public_key: bytes

    def __post_init__(self) -> None:
        if len(self.public_key) != PUBLIC_KEY_BYTES:
            raise SigningKeyError(
                f"an Ed25519 public key has {PUBLIC_KEY_BYTES} bytes, not {len(self.public_key)}",
                where=f"key of party {self.party}",
            )

    @property
    def key_id(self) -> str:
        """Identifier of this key (see :func:`key_id`)."""
        return key_id(self.public_key)

    def verifier(self) -> Ed25519PublicKey:
        """Return a ``cryptography`` verifier object for this key."""
        return Ed25519PublicKey.from_public_bytes(self.public_key)

    def verify(self, signature: bytes, message: bytes) -> bool:
        """Return whether ``signature`` is this key's signature of ``message``."""
        try:
            self.verifier().verify(signature, message)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class PartyKey:
    """A party's private signing key.

    Parameters
    ----------
    party
        Party identifier as in the treaty specification.
    private_key
        The Ed25519 private key.
    """

    party: str
    private_key: Ed25519PrivateKey

    def __repr__(self) -> str:
        return f"PartyKey(party={self.party!r}, key_id={self.key_id!r})"

    @cached_property
    def public(self) -> PublicPartyKey:
        """The matching public key (derived once)."""
        raw = self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return PublicPartyKey(self.party, raw)

    @cached_property
    def key_id(self) -> str:
        """Identifier of the public key (see :func:`key_id`; derived once)."""
        return self.public.key_id

    def sign(self, message: bytes) -> bytes:
        """Return the 64-byte Ed25519 signature of ``message``."""
        return self.private_key.sign(message)


def generate_party_key(party: str) -> PartyKey:
    """Generate a fresh Ed25519 key for ``party`` from the operating system's CSPRNG."""
    return PartyKey(party, Ed25519PrivateKey.generate())


def write_key_pair(key: PartyKey, directory: Path) -> tuple[Path, Path]:
    """Write ``<party>.key`` (private, mode 0600) and ``<party>.pub`` into ``directory``.

    Refuses to overwrite an existing private key.

    Returns
    -------
    tuple of Path
        The private and public key file paths.
    """
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SigningKeyError(
            f"cannot make the key folder ({exc.strerror or exc})", where=str(directory)
        ) from None
    private_path = directory / f"{key.party}.key"
    public_path = directory / f"{key.party}.pub"
    if private_path.exists():
        raise SigningKeyError(
            "a private key already exists; refusing to overwrite it", where=str(private_path)
        )
    pem = key.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:  # whole or not at all: a crash leaves no half-written private key
        write_atomically(private_path, pem, mode=0o600, replace=False)
    except InputError as exc:
        raise SigningKeyError(exc.message, where=str(private_path)) from None
    write_atomically(public_path, _public_key_json(key.public).encode("utf-8"))
    return private_path, public_path


def _public_key_json(public: PublicPartyKey) -> str:
    document = {
        "party": public.party,
        "algorithm": "Ed25519",
        "public_key": public.public_key.hex(),
        "key_id": public.key_id,
    }
    return json.dumps(document, indent=2) + "\n"


def load_private_key(path: Path, party: str | None = None) -> PartyKey:
    """Read a private key written by :func:`write_key_pair`.

    Parameters
    ----------
    path
        The ``.key`` file.
    party
        The party the key is to sign for; defaults to the file's stem. When a
        matching ``.pub`` file lies beside it, the two must agree.
    """
    party = party or path.stem
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SigningKeyError(
            f"cannot read the private key: {exc.strerror}", where=str(path)
        ) from None
    try:
        private = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise SigningKeyError("not an unencrypted PEM private key", where=str(path)) from None
    if not isinstance(private, Ed25519PrivateKey):
        raise SigningKeyError("not an Ed25519 private key", where=str(path))
    key = PartyKey(party, private)
    public_path = path.with_suffix(".pub")
    if public_path.exists():
        pinned = load_public_key(public_path)
        if pinned.party != party or pinned.public_key != key.public.public_key:
            raise SigningKeyError(
                f"the private key does not match the public key of party {pinned.party}",
                where=str(path),
            )
    return key


def load_public_key(path: Path) -> PublicPartyKey:
    """Read a public key file (JSON with ``party`` and hex ``public_key``)."""
    try:
        document = read_json(path)
    except InputError as exc:
        raise SigningKeyError(f"not a public key file ({exc.message})", where=str(path)) from None
    if not isinstance(document, dict):
        raise SigningKeyError("a public key file holds a JSON object", where=str(path))
    party = document.get("party")
    raw = document.get("public_key")
    if not isinstance(party, str) or not party:
        raise SigningKeyError("field 'party' is missing or not a string", where=str(path))
    if not isinstance(raw, str):
        raise SigningKeyError("field 'public_key' is missing or not a string", where=str(path))
    try:
        public_key = bytes.fromhex(raw)
    except ValueError:
        raise SigningKeyError("field 'public_key' is not hexadecimal", where=str(path)) from None
    try:
        return PublicPartyKey(party, public_key)
    except SigningKeyError as exc:
        raise SigningKeyError(exc.message, where=f"{path}: public_key") from None


def load_public_keys(directory: Path) -> dict[str, PublicPartyKey]:
    """Read every ``*.pub`` file of ``directory`` into a mapping from party to key.

    Fails closed: a missing folder, a path that is not a folder and a folder without a
    public key are errors, never an empty set of pinned keys.
    """
    if not directory.is_dir():
        what = "does not exist" if not directory.exists() else "is not a folder"
        raise SigningKeyError(f"the key folder {what}", where=str(directory))
    keys: dict[str, PublicPartyKey] = {}
    for path in sorted(directory.glob("*.pub")):
        public = load_public_key(path)
        if public.party in keys:
            raise SigningKeyError(f"a second key for party {public.party}", where=str(path))
        keys[public.party] = public
    if not keys:
        raise SigningKeyError("no public key (*.pub) in the key folder", where=str(directory))
    return keys
