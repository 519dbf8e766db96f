"""Shared helpers for the ledger tests (keys, ledger, tamper, crash, draws, consensus, heads).

Imported as ``from ledger_helpers import ...``: ``tests/records`` has no ``__init__.py``,
so pytest's default (prepend) import mode puts this directory on ``sys.path``.

Everything that checks the library is computed here *independently* of it: record
hashes with :mod:`hashlib` (RFC 9162 leaf hash ``SHA-256(0x00 || content || signature)``),
signatures with ``cryptography`` directly, Merkle roots with a naive recursive MTH
written from RFC 9162 section 2.1.1, and the raw rows read with :mod:`sqlite3`.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from treatyverify.errors import VerificationError
from treatyverify.records.heads import SignedTreeHead
from treatyverify.records.keys import PartyKey, PublicPartyKey
from treatyverify.records.ledger import Entry, Ledger, Record
from treatyverify.records.verify import VerificationReport, verify_ledger

T0 = datetime(2026, 1, 1, tzinfo=UTC)
"""Fixed base time of every test ledger (UTC)."""

TREATY = "new-start"
SPEC_DIGEST = hashlib.sha256(b"treatyverify test specification").hexdigest()

RECORD_DOMAIN = b"treatyverify/record/v1\x00"
"""Signature domain of a record, written out here rather than imported."""
TREE_HEAD_DOMAIN = b"treatyverify/tree-head/v1\x00"
GENESIS_PREV = "00" * 32


def at(seconds: float) -> datetime:
    """The fixed time ``T0 + seconds`` (UTC)."""
    return T0 + timedelta(seconds=seconds)


def time_text(seconds: float) -> str:
    """``at(seconds)`` in the ledger's text form, written out by hand."""
    return at(seconds).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def party_key(party: str, label: str = "") -> PartyKey:
    """A deterministic Ed25519 key for ``party`` (``label`` makes a different key)."""
    seed = hashlib.sha256(f"treatyverify-test-key/{party}/{label}".encode()).digest()
    return PartyKey(party, Ed25519PrivateKey.from_private_bytes(seed))


def raw_public(key: PartyKey) -> bytes:
    """The raw 32-byte public key."""
    return key.public.public_key


def new_ledger(
    path: Path,
    parties: Sequence[str] = ("us", "ru"),
    consensus: Sequence[str] | None = None,
    opener: str = "us",
    treaty: str = TREATY,
    time: datetime = T0,
) -> tuple[Ledger, dict[str, PartyKey]]:
    """Create a ledger at ``path`` with deterministic keys; return it and the keys."""
    keys = {party: party_key(party) for party in parties}
    ledger = Ledger.create(
        path,
        treaty=treaty,
        spec_digest=SPEC_DIGEST,
        keys={party: key.public for party, key in keys.items()},
        consensus_parties=list(parties if consensus is None else consensus),
        opener=keys[opener],
        time=time,
    )
    return ledger, keys


def note_body(index: int) -> dict[str, Any]:
    """A varied ``note`` body (non-ASCII text, a subject on every other record)."""
    body: dict[str, Any] = {"text": f"déclaration n° {index}: {1.5 + index} kg, tag-{index}"}
    if index % 2 == 0:
        body["subject"] = f"tag-{index}"
    return body


def finding_body(rule: str, *, compliant: bool = True) -> dict[str, Any]:
    """A well-formed ``finding`` body about party ru under ``rule``."""
    return {
        "treaty": TREATY,
        "rule": rule,
        "subject": "ru",
        "statement": f"ru meets {rule}",
        "compliant": compliant,
        "values": {"declared": 700, "maximum": 700},
        "source": "test",
        "basis": [],
    }


def report_body(summary: str) -> dict[str, Any]:
    """A well-formed ``report`` body gathering no finding."""
    return {"title": "joint report", "summary": summary, "findings": []}


def notice_body(ref: str) -> dict[str, Any]:
    """A well-formed ``notification`` body (its ref must be the record's)."""
    return {"ref": ref, "code": "launch", "event_time": time_text(0), "fields": {}}


def note(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A ``note`` body whose text holds ``fields`` (distinct fields, distinct bodies)."""
    return {"text": json.dumps(fields, sort_keys=True)}


def fill(
    ledger: Ledger, keys: Mapping[str, PartyKey], count: int, *, start: float = 1.0
) -> list[Record]:
    """Append ``count`` records, alternating the parties, some as batches of three.

    Times are ``at(start)``, ``at(start + 1)``, ... (one per append call); bodies and
    references (``d-<n>``) are numbered on from the ledger's current size.
    """
    parties = sorted(keys)
    records: list[Record] = []
    step = 0
    base = ledger.size - 1  # bodies and references continue the numbering
    while len(records) < count:
        signer = keys[parties[step % len(parties)]]
        index = base + len(records)
        if step % 4 == 3 and count - len(records) >= 3:
            entries = [Entry("note", note_body(index + j), ref=f"d-{index + j}") for j in range(3)]
            records += ledger.append_many(entries, signer, time=at(start + step))
        else:
            records.append(
                ledger.append(
                    "note", note_body(index), signer, ref=f"d-{index}", time=at(start + step)
                )
            )
        step += 1
    return records


def last_time(ledger: Ledger) -> datetime:
    """Time of the ledger's last record."""
    text = ledger.get(ledger.size - 1).time
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


# Raw access to the SQLite file -------------------------------------------------------


@contextmanager
def connect(path: Path) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection to a ledger file, committed on success."""
    with closing(sqlite3.connect(path)) as connection, connection:
        yield connection


@dataclass
class Row:
    """One row of table ``records``, read with sqlite3."""

    seq: int
    content: bytes
    signature: bytes
    hash: bytes
    kind: str
    party: str
    time: str
    ref: str | None


ROW_COLUMNS = "seq, content, signature, hash, kind, party, time, ref"


def read_rows(path: Path) -> list[Row]:
    """All record rows in sequence order."""
    with connect(path) as connection:
        rows = connection.execute(f"SELECT {ROW_COLUMNS} FROM records ORDER BY seq").fetchall()
    return [Row(r[0], bytes(r[1]), bytes(r[2]), bytes(r[3]), *r[4:]) for r in rows]


def read_meta(path: Path) -> dict[str, str]:
    """Table ``ledger_meta`` as a dict."""
    with connect(path) as connection:
        return dict(connection.execute("SELECT name, value FROM ledger_meta").fetchall())


def write_row(connection: sqlite3.Connection, row: Row) -> None:
    """Overwrite every column of the row with sequence number ``row.seq``."""
    connection.execute(
        "UPDATE records SET content=?, signature=?, hash=?, kind=?, party=?, time=?, ref=? "
        "WHERE seq=?",
        (row.content, row.signature, row.hash, row.kind, row.party, row.time, row.ref, row.seq),
    )


def overwrite_row(path: Path, record: Record) -> None:
    """Put ``record`` in the place of the stored record of its sequence number."""
    with connect(path) as connection:
        write_row(
            connection,
            Row(
                record.seq,
                record.content,
                record.signature,
                record.hash,
                record.kind,
                record.party,
                record.time,
                record.ref,
            ),
        )


def set_head(connection: sqlite3.Connection, size: int, head_hash: bytes) -> None:
    """Rewrite the chain head in ``ledger_meta``."""
    connection.execute("UPDATE ledger_meta SET value=? WHERE name='head_size'", (str(size),))
    connection.execute("UPDATE ledger_meta SET value=? WHERE name='head_hash'", (head_hash.hex(),))


# Independent cryptography ---------------------------------------------------------------


def leaf(content: bytes, signature: bytes) -> bytes:
    """RFC 9162 leaf hash of a record: ``SHA-256(0x00 || content || signature)``."""
    return hashlib.sha256(b"\x00" + content + signature).digest()


def naive_mth(hashes: Sequence[bytes]) -> bytes:
    """RFC 9162 section 2.1.1 Merkle Tree Hash over *leaf hashes*, recursively."""
    if not hashes:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    split = 1
    while split * 2 < len(hashes):
        split *= 2
    return hashlib.sha256(b"\x01" + naive_mth(hashes[:split]) + naive_mth(hashes[split:])).digest()


def canonical_json(value: Any) -> bytes:
    """RFC 8785 (JCS) for the values these tests use, written with :mod:`json`.

    For dicts, lists, BMP strings without control characters, ints, bools and floats
    with a short exponent-free ``repr`` (such as ``2.5``), JCS is exactly sorted keys,
    no whitespace and UTF-8 output.
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def hand_sealed(
    ledger: Ledger,
    key: PartyKey,
    kind: str,
    body: dict[str, Any],
    *,
    ref: str | None,
    time: datetime,
    seq: int | None = None,
    prev: bytes | None = None,
) -> Record:
    """A record signed by ``key`` as the next of ``ledger``, built by hand so that no
    check of append or sealing sees it (as an attacker or another implementation
    would make it)."""
    seq = ledger.size if seq is None else seq
    prev = ledger.get(seq - 1).hash if prev is None else prev
    envelope = {
        "v": 1,
        "seq": seq,
        "prev": prev.hex(),
        "treaty": ledger.treaty,
        "kind": kind,
        "party": key.party,
        "key": key.key_id,
        "time": time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "ref": ref,
        "body": body,
    }
    signature = sign_record(key, canonical_json(envelope))
    return Record.from_json(
        {"envelope": envelope, "signature": signature.hex()}, where=f"record {seq}"
    )


def sign_record(key: PartyKey, content: bytes) -> bytes:
    """Sign record content the way the format prescribes, with the raw key."""
    return key.private_key.sign(RECORD_DOMAIN + content)


def reforge(
    path: Path,
    *,
    signers: Mapping[str, PartyKey],
    edit: Callable[[int, dict[str, Any]], dict[str, Any]] | None = None,
    relink: bool = True,
) -> None:
    """Rewrite a ledger file as an attacker holding ``signers`` would.

    Every row's envelope is passed through ``edit``; when ``relink`` is true its
    ``prev`` is set to the new hash of the row before; rows of a party in ``signers``
    are re-signed with that key (and their ``key`` field set to its id); other rows
    keep their old signature. Hash columns and the chain head are recomputed, so only
    signatures and the pinned keys can give the rewrite away.
    """
    rows = read_rows(path)
    prev = bytes(32)
    with connect(path) as connection:
        for row in rows:
            envelope = json.loads(row.content)
            if edit is not None:
                envelope = edit(row.seq, envelope)
            if relink:
                envelope["prev"] = prev.hex()
            signer = signers.get(envelope["party"])
            if signer is not None:
                envelope["key"] = signer.key_id
            content = canonical_json(envelope)
            signature = row.signature if signer is None else sign_record(signer, content)
            row.content, row.signature = content, signature
            row.hash = leaf(content, signature)
            write_row(connection, row)
            prev = row.hash
        set_head(connection, len(rows), prev)


# Verification shortcuts ---------------------------------------------------------------


def verify_path(
    path: Path,
    *,
    trusted_keys: Mapping[str, PublicPartyKey] | None = None,
    heads: Sequence[SignedTreeHead] = (),
) -> VerificationReport:
    """Open the ledger file and verify it (closing the store afterwards)."""
    with Ledger.open(path) as ledger:
        return verify_ledger(ledger, trusted_keys=trusted_keys, heads=heads)


def verification_error(
    path: Path,
    *,
    trusted_keys: Mapping[str, PublicPartyKey] | None = None,
    heads: Sequence[SignedTreeHead] = (),
) -> VerificationError:
    """Verify the ledger file, expecting a VerificationError; return it."""
    with pytest.raises(VerificationError) as caught:
        verify_path(path, trusted_keys=trusted_keys, heads=heads)
    error = caught.value
    assert "\n" not in str(error)
    return error
