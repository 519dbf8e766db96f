"""Tree heads as C2SP checkpoints: signed notes that transparency-log tools can read.

A checkpoint is a *signed note* (C2SP signed-note, https://c2sp.org/signed-note, v1.0.0)
whose text is a tree head (C2SP tlog-checkpoint, https://c2sp.org/tlog-checkpoint,
v1.0.0)::

    treatyverify/new-start/5f0e...c3            origin: the ledger (see ledger_origin)
    42                                          tree size, decimal, no leading zero
    CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I= RFC 6962 / 9162 root, base64
                                                blank line
    — treatyverify/new-start/ru AbCd...         signature lines

Every line of the text ends in a newline; the note text includes its final newline, and
a blank line separates it from one or more signature lines ``— <key name>
<base64(key ID || signature)>`` (em dash U+2014, space). Notes are UTF-8 without ASCII
control characters other than the newline. A key ID is the first four bytes of
``SHA-256(key name || 0x0A || signature type || public key)`` (signed-note, "Signatures").

Two signature types are used, both with the party's one Ed25519 key (RFC 8032):

* type ``0x01``, the signed-note Ed25519 signature over the note text: the party that
  *makes* the checkpoint signs it so (:func:`sign_checkpoint`);
* type ``0x04``, the tlog-cosignature/v1 Ed25519 cosignature
  (https://c2sp.org/tlog-cosignature, "Ed25519 signed message"): every other party
  that checked the checkpoint against its own copy adds one (:func:`witness_checkpoint`).
  Its signature bytes are an 8-byte big-endian POSIX ``timestamp`` followed by the
  64-byte Ed25519 signature of ``"cosignature/v1\\n" || "time " || decimal(timestamp)
  || "\\n" || note text``.

The two kinds of message, and every other message a party key signs in treatyverify,
are domain-separated: records, tree heads and requests carry a prefix that ends in a
NUL byte, which no note text may hold, and a cosignature message starts with
``cosignature/v1``, which no origin of :func:`ledger_origin` does.

Choices made here (documented in docs/ledger.md):

* the **origin** is ``treatyverify/<treaty>/<hash of record 0, 64 hex digits>``: the
  opening record commits to the treaty, its specification digest, every party's key and
  the opening time, so two ledgers never share an origin;
* a party's **key name** is ``treatyverify/<treaty>/<party>`` (non-empty, no Unicode
  space, no ``+``, as signed-note requires);
* verification follows signed-note: signature lines of keys we do not pin (a name and
  key ID that match no pinned key) are ignored; a line of a pinned key that fails to
  verify rejects the whole note; a note with no verified signature of a pinned key is
  rejected (fail closed).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, Literal

from treatyverify.errors import InputError, SigningKeyError, VerificationError
from treatyverify.files import read_text, write_atomically
from treatyverify.records.heads import (
    HeadView,
    SignedTreeHead,
    check_heads_consistent,
    load_tree_head,
)
from treatyverify.records.keys import PartyKey, PublicPartyKey
from treatyverify.records.ledger import Ledger, format_time

__all__ = [
    "COSIGNATURE_HEADER",
    "COSIGNATURE_TYPE",
    "ED25519_TYPE",
    "ORIGIN_PREFIX",
    "Checkpoint",
    "NoteSignature",
    "SignatureCheck",
    "SignedNote",
    "cosign_checkpoint",
    "cosignature_message",
    "key_name",
    "ledger_origin",
    "load_checkpoint",
    "load_head",
    "note_key_id",
    "parse_checkpoint",
    "parse_signed_note",
    "sign_checkpoint",
    "witness_checkpoint",
]

ED25519_TYPE: Final = 0x01
"""Signature type of Ed25519 note signatures (signed-note, "Signature types")."""
COSIGNATURE_TYPE: Final = 0x04
"""Signature type of timestamped Ed25519 cosignatures (signed-note, "Signature types";
tlog-cosignature, "Format")."""
COSIGNATURE_HEADER: Final = b"cosignature/v1\n"
"""First line of the message a v1 cosignature signs (tlog-cosignature)."""
ORIGIN_PREFIX: Final = "treatyverify"
"""First element of this package's origins and key names."""
EM_DASH: Final = "\u2014 "
"""Start of a signature line: em dash U+2014 and a space (signed-note, "Format")."""

KEY_ID_BYTES: Final = 4
"""Length of a key ID, a big-endian uint32 (signed-note, "Format")."""
ED25519_SIGNATURE_BYTES: Final = 64
"""Length of an Ed25519 signature (RFC 8032, section 5.1.6)."""
TIMESTAMP_BYTES: Final = 8
"""Length of the u64 timestamp of a cosignature (tlog-cosignature, "Format")."""
MAX_TIMESTAMP: Final = 2**63 - 1
"""Largest cosignature timestamp allowed (tlog-cosignature: "MUST NOT exceed 2^63 - 1")."""
MAX_SIGNATURES: Final = 100
"""Most signature lines accepted in one note (signed-note: a verifier SHOULD cap them and
MUST accept at least 16; 100 is the cap of Go's golang.org/x/mod/sumdb/note)."""
MAX_NOTE_BYTES: Final = 65536
"""Largest note accepted, bytes (100 Ed25519 lines with 200-character names fit)."""
MAX_TREE_SIZE: Final = 2**63 - 1
"""Largest tree size accepted (a u64 that stays a signed 64-bit database integer)."""
HASH_BYTES: Final = 32

_ORIGIN = re.compile(r"^treatyverify/([a-z0-9][a-z0-9-]{0,63})/([0-9a-f]{64})$")
_DECIMAL = re.compile(r"^(0|[1-9][0-9]*)$")


# Names and key IDs ------------------------------------------------------------------


def ledger_origin(ledger: Ledger) -> str:
    """The checkpoint origin of ``ledger``: ``treatyverify/<treaty>/<hash of record 0>``."""
    return f"{ORIGIN_PREFIX}/{ledger.treaty}/{ledger.genesis.hash_hex}"


def key_name(treaty: str, party: str) -> str:
    """The signed-note key name of ``party`` in ``treaty``: ``treatyverify/<treaty>/<party>``.

    Raises
    ------
    InputError
        When the name would not be a valid key name (empty, a Unicode space, a ``+`` or
        a control character in the party identifier).
    """
    name = f"{ORIGIN_PREFIX}/{treaty}/{party}"
    if not party or not _valid_name(name):
        raise InputError(
            "a party identifier in a key name may hold no space, '+' or control character",
            where=f"party {party!r}",
        )
    return name


def _valid_name(name: str) -> bool:
    """signed-note: non-empty, no Unicode space, no ``+`` (and no control character)."""
    return bool(name) and not any(c.isspace() or c == "+" or ord(c) < 0x20 for c in name)


def note_key_id(name: str, signature_type: int, public_key: bytes) -> bytes:
    """``SHA-256(key name || 0x0A || signature type || public key)[:4]`` (signed-note)."""
    material = name.encode("utf-8") + b"\n" + bytes([signature_type]) + public_key
    return hashlib.sha256(material).digest()[:KEY_ID_BYTES]


def cosignature_message(text: str, timestamp: int) -> bytes:
    """The message an Ed25519 v1 cosignature signs (tlog-cosignature, "Ed25519 signed
    message"): ``cosignature/v1\\n``, ``time <timestamp>\\n``, then the note text."""
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise InputError(f"a cosignature time must be 0 to {MAX_TIMESTAMP}", where="timestamp")
    return COSIGNATURE_HEADER + f"time {timestamp}\n".encode("ascii") + text.encode("utf-8")


# The signed note ----------------------------------------------------------------------


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: the key name, the 4-byte key ID and the signature bytes.

    For a cosignature the signature bytes are the timestamped signature (8-byte
    timestamp, then 64 bytes of Ed25519).
    """

    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        """The line as the note holds it, newline included."""
        blob = base64.b64encode(self.key_id + self.signature).decode("ascii")
        return f"{EM_DASH}{self.name} {blob}\n"

    @property
    def timestamp(self) -> int | None:
        """The POSIX time of a cosignature (None unless the bytes have that length)."""
        if len(self.signature) != TIMESTAMP_BYTES + ED25519_SIGNATURE_BYTES:
            return None
        return int.from_bytes(self.signature[:TIMESTAMP_BYTES], "big")


@dataclass(frozen=True)
class SignedNote:
    """A note text (ending in a newline) and its signature lines, in order."""

    text: str
    signatures: tuple[NoteSignature, ...]


def parse_signed_note(data: str | bytes, *, where: str) -> SignedNote:
    """Parse a signed note strictly (C2SP signed-note, "Format").

    Raises
    ------
    InputError
        One line naming ``where`` and the rule broken.
    """
    if isinstance(data, bytes):
        if len(data) > MAX_NOTE_BYTES:
            raise InputError(f"a note is at most {MAX_NOTE_BYTES} bytes", where=where)
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"not UTF-8 (byte {exc.start})", where=where) from None
    if len(data.encode("utf-8", "surrogatepass")) > MAX_NOTE_BYTES:
        raise InputError(f"a note is at most {MAX_NOTE_BYTES} bytes", where=where)
    for index, char in enumerate(data):
        if (ord(char) < 0x20 and char != "\n") or 0xD800 <= ord(char) <= 0xDFFF:
            raise InputError(
                f"holds control character U+{ord(char):04X} at character {index} (only the "
                "newline is allowed)",
                where=where,
            )
    if not data.endswith("\n"):
        raise InputError("does not end in a newline", where=where)
    split = data.rfind("\n\n")
    if split < 0:
        raise InputError("no blank line separates the text from the signatures", where=where)
    text, block = data[: split + 1], data[split + 2 :]
    if not block:
        raise InputError("no signature line after the blank line", where=where)
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise InputError(f"more than {MAX_SIGNATURES} signature lines", where=where)
    signatures = tuple(
        _parse_signature_line(line, where=f"{where}: signature line {number}")
        for number, line in enumerate(lines, start=1)
    )
    return SignedNote(text, signatures)


def _parse_signature_line(line: str, *, where: str) -> NoteSignature:
    if not line.startswith(EM_DASH):
        raise InputError("does not start with an em dash (U+2014) and a space", where=where)
    parts = line[len(EM_DASH) :].split(" ")
    if len(parts) != 2:
        raise InputError("is not '— <key name> <base64 signature>'", where=where)
    name, blob = parts
    if not _valid_name(name):
        raise InputError("the key name is empty or holds a space or '+'", where=where)
    raw = _base64(blob, where=where)
    if len(raw) <= KEY_ID_BYTES:
        raise InputError("the signature is shorter than its 4-byte key ID", where=where)
    return NoteSignature(name, raw[:KEY_ID_BYTES], raw[KEY_ID_BYTES:])


def _base64(text: str, *, where: str) -> bytes:
    """Standard base64 (RFC 4648 section 4), padded and canonical, or InputError."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise InputError("not standard base64", where=where) from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise InputError("not canonical base64", where=where)
    return raw


# Checkpoints ------------------------------------------------------------------------


@dataclass(frozen=True)
class SignatureCheck:
    """A signature line that verified under a pinned key.

    Attributes
    ----------
    party
        The party whose pinned key made it.
    kind
        ``"signature"`` (type 0x01, the maker's) or ``"cosignature"`` (type 0x04).
    timestamp
        POSIX time of a cosignature, s (None for a note signature).
    """

    party: str
    kind: Literal["signature", "cosignature"]
    timestamp: int | None = None

    @property
    def time(self) -> str:
        """The cosignature time in the ledger's UTC form ("" for a note signature)."""
        if self.timestamp is None:
            return ""
        return format_time(datetime.fromtimestamp(self.timestamp, UTC))


@dataclass(frozen=True)
class Checkpoint:
    """A tree head in the C2SP checkpoint format, with its signature lines.

    Attributes
    ----------
    origin
        The log's identity (for a treatyverify ledger, :func:`ledger_origin`).
    tree_size
        Number of records covered.
    root
        RFC 9162 Merkle root over those records (32 bytes).
    extensions
        Extension lines (opaque; none are written by treatyverify).
    signatures
        Signature lines, in the order of the note.
    """

    origin: str
    tree_size: int
    root: bytes
    extensions: tuple[str, ...] = ()
    signatures: tuple[NoteSignature, ...] = ()

    @property
    def text(self) -> str:
        """The note text: origin, size, base64 root, extension lines, each ending in a
        newline (tlog-checkpoint, "Note text")."""
        lines = [self.origin, str(self.tree_size), base64.b64encode(self.root).decode("ascii")]
        return "".join(line + "\n" for line in (*lines, *self.extensions))

    def note(self) -> str:
        """The whole signed note: text, blank line, signature lines."""
        if not self.signatures:
            raise InputError("a checkpoint needs at least one signature", where="checkpoint")
        return self.text + "\n" + "".join(s.line() for s in self.signatures)

    @property
    def treaty(self) -> str | None:
        """The treaty of a treatyverify origin (None for any other origin)."""
        match = _ORIGIN.match(self.origin)
        return match.group(1) if match else None

    def with_signature(self, signature: NoteSignature) -> Checkpoint:
        """This checkpoint with ``signature`` added, replacing a line of the same key."""
        kept = tuple(
            s for s in self.signatures if (s.name, s.key_id) != (signature.name, signature.key_id)
        )
        return replace(self, signatures=(*kept, signature))

    def lines_of(self, party: str, key: PublicPartyKey) -> tuple[NoteSignature, ...]:
        """The signature lines whose key name and key ID are those of ``party``'s
        ``key`` (either signature type); none for an origin not of treatyverify."""
        treaty = self.treaty
        if treaty is None:
            return ()
        try:
            name = key_name(treaty, party)
        except InputError:
            return ()
        ids = {note_key_id(name, kind, key.public_key) for kind in (ED25519_TYPE, COSIGNATURE_TYPE)}
        return tuple(s for s in self.signatures if s.name == name and s.key_id in ids)

    def save(self, path: Path) -> None:
        """Write the signed note (whole or not at all)."""
        write_atomically(path, self.note().encode("utf-8"))

    def checks(self, keys: Mapping[str, PublicPartyKey]) -> list[SignatureCheck]:
        """The signatures of pinned keys on this checkpoint, each verified.

        Lines whose key name and key ID match no pinned key are ignored (signed-note,
        "Signatures"). The result is in the order of the lines.

        Raises
        ------
        VerificationError
            When a line of a pinned key does not verify (the whole note is rejected), or
            when no line of a pinned key verifies (fail closed).
        """
        treaty = self.treaty
        label = f"the checkpoint of size {self.tree_size}"
        if treaty is None:
            raise VerificationError(
                f"{label} has origin {self.origin[:80]!r}, not a treatyverify ledger's",
                where="checkpoint",
            )
        expected: dict[tuple[str, bytes], tuple[str, int, PublicPartyKey]] = {}
        for party, key in keys.items():
            try:
                name = key_name(treaty, party)
            except InputError:
                continue  # no valid key name: that party cannot have signed a note
            for kind in (ED25519_TYPE, COSIGNATURE_TYPE):
                expected[(name, note_key_id(name, kind, key.public_key))] = (party, kind, key)
        text = self.text
        found: list[SignatureCheck] = []
        for signature in self.signatures:
            known = expected.get((signature.name, signature.key_id))
            if known is None:
                continue
            party, kind, key = known
            check = _verify_line(text, signature, party, kind, key)
            if check is None:
                what = "signature" if kind == ED25519_TYPE else "cosignature"
                raise VerificationError(
                    f"the {what} of {party} on {label} does not verify (the checkpoint was "
                    "altered, or the line forged)",
                    where="checkpoint",
                )
            if all(c.party != party or c.kind != check.kind for c in found):
                found.append(check)
        if not found:
            raise VerificationError(
                f"{label} carries no signature of a pinned key", where="checkpoint"
            )
        return found

    def view(self, keys: Mapping[str, PublicPartyKey]) -> HeadView:
        """What the checkpoint claims and who signed it (see :meth:`checks`): the maker
        (a type 0x01 signature) first, then the cosigners in the order of the note."""
        checks = self.checks(keys)
        makers = [c.party for c in checks if c.kind == "signature"]
        cosigners = [c.party for c in checks if c.kind == "cosignature" and c.party not in makers]
        times = [c.time for c in checks if c.timestamp is not None]
        return HeadView(
            treaty=str(self.treaty),
            tree_size=self.tree_size,
            root=self.root,
            signers=tuple(dict.fromkeys([*makers, *cosigners])),
            time=max(times) if times else "",
            origin=self.origin,
            kind="checkpoint",
        )


def _verify_line(
    text: str, signature: NoteSignature, party: str, kind: int, key: PublicPartyKey
) -> SignatureCheck | None:
    """The check of one line of a pinned key, or None when it does not verify."""
    if kind == ED25519_TYPE:
        if len(signature.signature) != ED25519_SIGNATURE_BYTES:
            return None
        if key.verify(signature.signature, text.encode("utf-8")):
            return SignatureCheck(party, "signature")
        return None
    timestamp = signature.timestamp
    if timestamp is None or timestamp > MAX_TIMESTAMP:
        return None
    message = cosignature_message(text, timestamp)
    if key.verify(signature.signature[TIMESTAMP_BYTES:], message):
        return SignatureCheck(party, "cosignature", timestamp)
    return None


def parse_checkpoint(data: str | bytes, *, where: str) -> Checkpoint:
    """Parse a signed checkpoint strictly (tlog-checkpoint, "Note text"), any origin.

    Raises
    ------
    InputError
        One line naming ``where`` and what is wrong.
    """
    note = parse_signed_note(data, where=where)
    lines = note.text[:-1].split("\n")
    if len(lines) < 3:
        raise InputError(
            "a checkpoint's text has three lines at least (origin, tree size, root hash)",
            where=where,
        )
    origin, size_text, root_text, *extensions = lines
    for number, line in enumerate(lines, start=1):
        if not line:
            raise InputError(f"line {number} of the checkpoint text is empty", where=where)
    if not _DECIMAL.match(size_text) or int(size_text) > MAX_TREE_SIZE:
        raise InputError(
            "line 2 (tree size) is not a decimal number without leading zeros",
            where=where,
        )
    root = _base64(root_text, where=f"{where}: line 3 (root hash)")
    if len(root) != HASH_BYTES:
        raise InputError(
            f"line 3 (root hash) holds {len(root)} bytes, not a 32-byte SHA-256 root",
            where=where,
        )
    return Checkpoint(origin, int(size_text), root, tuple(extensions), note.signatures)


def load_checkpoint(path: Path) -> Checkpoint:
    """Read a treatyverify checkpoint file: a signed checkpoint with a treatyverify
    origin, covering one record at least; InputError naming the file otherwise."""
    where = str(path)
    checkpoint = parse_checkpoint(read_text(path), where=where)
    if checkpoint.treaty is None:
        raise InputError(
            "the origin is not 'treatyverify/<treaty>/<hash of record 0>'", where=where
        )
    if checkpoint.tree_size < 1:
        raise InputError("a ledger's checkpoint covers one record at least", where=where)
    return checkpoint


def load_head(path: Path) -> SignedTreeHead | Checkpoint:
    """Read a kept head: a checkpoint, or a JSON tree head of earlier versions."""
    text = read_text(path)
    if text.lstrip().startswith("{"):
        return load_tree_head(path)
    return load_checkpoint(path)


# Signing and witnessing -------------------------------------------------------------


def _pinned_signer(ledger: Ledger, signer: PartyKey) -> str:
    pinned = ledger.keys.get(signer.party)
    if pinned is None or pinned.public_key != signer.public.public_key:
        raise SigningKeyError(
            "not the pinned key of a party of this ledger", where=f"party {signer.party}"
        )
    return key_name(ledger.treaty, signer.party)


def sign_checkpoint(ledger: Ledger, signer: PartyKey, *, size: int | None = None) -> Checkpoint:
    """The checkpoint of the first ``size`` records (all by default), signed by ``signer``
    with an Ed25519 note signature (type 0x01).

    The signer must be a party of the ledger with its pinned key; the caller is expected
    to have verified the ledger first (see :func:`verify_ledger`).
    """
    name = _pinned_signer(ledger, signer)
    tree_size = ledger.size if size is None else size
    if not 1 <= tree_size <= ledger.size:
        raise InputError(f"tree size must be between 1 and {ledger.size}", where="size")
    unsigned = Checkpoint(ledger_origin(ledger), tree_size, ledger.root(tree_size))
    key_id = note_key_id(name, ED25519_TYPE, signer.public.public_key)
    signature = signer.sign(unsigned.text.encode("utf-8"))
    return unsigned.with_signature(NoteSignature(name, key_id, signature))


def cosign_checkpoint(
    checkpoint: Checkpoint, signer: PartyKey, treaty: str, *, time: datetime | None = None
) -> Checkpoint:
    """``checkpoint`` with ``signer``'s tlog-cosignature/v1 added (replacing an earlier
    one of the same key). It checks nothing: see :func:`witness_checkpoint`."""
    name = key_name(treaty, signer.party)
    moment = time or datetime.now(UTC)
    if moment.tzinfo is None:
        raise InputError("a time must carry its time zone (UTC expected)", where="time")
    timestamp = int(moment.timestamp())
    message = cosignature_message(checkpoint.text, timestamp)
    signature = timestamp.to_bytes(TIMESTAMP_BYTES, "big") + signer.sign(message)
    key_id = note_key_id(name, COSIGNATURE_TYPE, signer.public.public_key)
    return checkpoint.with_signature(NoteSignature(name, key_id, signature))


def witness_checkpoint(
    ledger: Ledger,
    checkpoint: Checkpoint,
    signer: PartyKey,
    *,
    held: Sequence[SignedTreeHead | Checkpoint] = (),
    time: datetime | None = None,
) -> Checkpoint:
    """Check ``checkpoint`` against this party's own copy, then cosign it.

    The checkpoint must carry a verified signature of a pinned key of another party, be
    of this ledger (origin), and name the root this copy has at its size; every head in
    ``held`` must be one history with it (by a consistency proof from this copy) and no
    larger (a v1 cosignature says the checkpoint is the largest its cosigner has seen).
    The caller is expected to have verified the ledger, with the heads it holds, first.

    Raises
    ------
    VerificationError
        "head by <party> inconsistent with the ledger" naming the checkpoint's signers,
        or a split view with a held head.
    SigningKeyError
        When ``signer`` is not a pinned key of the ledger.
    """
    _pinned_signer(ledger, signer)
    view = checkpoint.view(ledger.keys)
    others = [party for party in view.signers if party != signer.party]
    if not others:
        raise VerificationError(
            f"{view.describe()} carries no signature of another party: there is nothing to witness",
            where="checkpoint",
        )
    check_against_ledger(ledger, view)
    for kept in held:
        kept_view = kept.view(ledger.keys)
        if kept_view.tree_size > view.tree_size:
            # A v1 cosignature states that this is the largest consistent checkpoint the
            # cosigner has seen (tlog-cosignature, "Ed25519 signed message").
            raise VerificationError(
                f"{kept_view.describe()} is held, larger than {view.describe()}: a "
                "cosignature would state that the smaller one is the largest seen",
                where="checkpoint",
            )
        old, new = sorted((kept_view, view), key=lambda v: v.tree_size)
        proof = (
            []
            if old.tree_size == new.tree_size
            else ledger.consistency_proof(old.tree_size, new.tree_size)
        )
        check_heads_consistent(kept, checkpoint, ledger.keys, proof)
    return cosign_checkpoint(checkpoint, signer, ledger.treaty, time=time)


def check_against_ledger(ledger: Ledger, view: HeadView) -> None:
    """Check a verified head against this copy: its ledger, its size, its root.

    Raises
    ------
    VerificationError
        "head by <party> inconsistent with the ledger", naming its signers.
    """
    inconsistent = f"head by {view.signers[0]} inconsistent with the ledger: {view.describe()}"
    if view.treaty != ledger.treaty:
        raise VerificationError(f"{view.describe()} is for treaty {view.treaty!r}", where="head")
    if view.origin is not None and view.origin != ledger_origin(ledger):
        raise VerificationError(
            f"{view.describe()} is of another ledger of {view.treaty} (origin "
            f"{view.origin}, this ledger's is {ledger_origin(ledger)})",
            where="head",
        )
    size = ledger.size
    if view.tree_size > size:
        raise VerificationError(
            f"{inconsistent} covers more than the {size} records this copy holds (records "
            f"were deleted, or the signers signed records this copy never held)",
            where="head",
        )
    if ledger.root(view.tree_size) != view.root:
        raise VerificationError(
            f"{inconsistent} has another root than this copy at size {view.tree_size} "
            "(a split view: the signers signed a history this copy does not hold)",
            where="head",
        )
