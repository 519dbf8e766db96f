"""Tests of treatyverify.records.ledger: creating, opening, appending and replicating.

The stored rows are read back with :mod:`sqlite3` and checked against facts computed
here: the record hash is ``SHA-256(0x00 || content || signature)`` (hashlib), the
signature verifies with ``cryptography``'s Ed25519 over ``b"treatyverify/record/v1\\x00"
+ content``, ``prev`` is the hash of the record before, and the content is the RFC 8785
encoding of the envelope (written with :mod:`json` for the values used here).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import shutil
import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from ledger_helpers import (
    GENESIS_PREV,
    RECORD_DOMAIN,
    SPEC_DIGEST,
    TREATY,
    Row,
    at,
    canonical_json,
    fill,
    finding_body,
    leaf,
    new_ledger,
    note,
    note_body,
    notice_body,
    party_key,
    read_meta,
    read_rows,
    sign_record,
    time_text,
    verify_path,
)

from treatyverify.canonical import CanonicalError
from treatyverify.errors import (
    InputError,
    LedgerError,
    RecordRejectedError,
    SigningKeyError,
    TreatyVerifyError,
    UnknownNameError,
    VerificationError,
)
from treatyverify.records.keys import PartyKey
from treatyverify.records.ledger import Entry, Ledger, Record
from treatyverify.records.verify import verify_ledger


def _snapshot(path: Path) -> tuple[list[Row], dict[str, str]]:
    return read_rows(path), read_meta(path)


def _check_row(row: Row, prev: bytes, public_key: bytes) -> dict[str, Any]:
    """Check one stored row against independent computation; return its envelope."""
    envelope: dict[str, Any] = json.loads(row.content.decode("utf-8"))
    assert row.content == canonical_json(envelope)
    assert row.hash == leaf(row.content, row.signature)
    assert envelope["prev"] == prev.hex()
    assert envelope["seq"] == row.seq
    assert envelope["key"] == hashlib.sha256(public_key).hexdigest()[:32]
    Ed25519PublicKey.from_public_bytes(public_key).verify(
        row.signature, RECORD_DOMAIN + row.content
    )
    assert (row.kind, row.party, row.time, row.ref) == (
        envelope["kind"],
        envelope["party"],
        envelope["time"],
        envelope["ref"],
    )
    return envelope


# Creating and opening -------------------------------------------------------------------


def test_create_writes_a_signed_opening_record(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    ledger, keys = new_ledger(path, parties=("us", "ru", "uk"), consensus=("ru", "us"))
    assert ledger.size == 1
    ledger.close()

    rows = read_rows(path)
    assert len(rows) == 1
    envelope = _check_row(rows[0], bytes(32), keys["us"].public.public_key)
    assert envelope == {
        "v": 1,
        "seq": 0,
        "prev": GENESIS_PREV,
        "treaty": TREATY,
        "kind": "ledger_open",
        "party": "us",
        "key": hashlib.sha256(keys["us"].public.public_key).hexdigest()[:32],
        "time": "2026-01-01T00:00:00.000000Z",
        "ref": None,
        "body": {
            "spec_digest": SPEC_DIGEST,
            "parties": {
                party: {
                    "public_key": key.public.public_key.hex(),
                    "key_id": hashlib.sha256(key.public.public_key).hexdigest()[:32],
                }
                for party, key in keys.items()
            },
            "consensus_parties": ["ru", "us"],
        },
    }
    assert read_meta(path)["head_size"] == "1"
    assert read_meta(path)["head_hash"] == rows[0].hash.hex()


def test_open_reads_treaty_keys_and_consensus_parties(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    ledger, keys = new_ledger(path, parties=("us", "ru", "iaea"), consensus=("us", "ru"))
    ledger.close()
    with Ledger.open(path) as reopened:
        assert reopened.treaty == TREATY
        assert reopened.spec_digest == SPEC_DIGEST
        assert reopened.consensus_parties == ("ru", "us")
        assert {p: k.public_key for p, k in reopened.keys.items()} == {
            p: k.public.public_key for p, k in keys.items()
        }
        assert reopened.genesis.kind == "ledger_open"
        assert reopened.size == 1


def test_create_is_deterministic_for_the_same_inputs(tmp_path: Path) -> None:
    # Ed25519 signatures are deterministic (RFC 8032), so two parties creating the
    # ledger from the same inputs hold byte-identical opening records.
    new_ledger(tmp_path / "a.db")[0].close()
    new_ledger(tmp_path / "b.db")[0].close()
    assert read_rows(tmp_path / "a.db") == read_rows(tmp_path / "b.db")


def test_create_refuses_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    new_ledger(path)[0].close()
    before = path.read_bytes()
    with pytest.raises(LedgerError):
        new_ledger(path)
    assert path.read_bytes() == before


def test_create_refuses_an_opener_whose_key_is_not_pinned(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    keys = {"us": party_key("us").public, "ru": party_key("ru").public}
    with pytest.raises(SigningKeyError):
        Ledger.create(
            path,
            treaty=TREATY,
            spec_digest=SPEC_DIGEST,
            keys=keys,
            consensus_parties=["us"],
            opener=party_key("us", "impostor"),
            time=at(0),
        )
    assert not path.exists()


def test_create_refuses_a_consensus_party_without_key(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    keys = {"us": party_key("us").public}
    with pytest.raises(UnknownNameError):
        Ledger.create(
            path,
            treaty=TREATY,
            spec_digest=SPEC_DIGEST,
            keys=keys,
            consensus_parties=["us", "ru"],
            opener=party_key("us"),
            time=at(0),
        )
    assert not path.exists()


# Appending ----------------------------------------------------------------------------


def test_appended_records_are_hashed_signed_and_chained(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    ledger, keys = new_ledger(path)
    returned = fill(ledger, keys, 10)
    assert ledger.size == 11
    ledger.close()

    rows = read_rows(path)
    assert [row.seq for row in rows] == list(range(11))
    prev = bytes(32)
    for row in rows:
        envelope = _check_row(row, prev, keys[row.party].public.public_key)
        assert envelope["treaty"] == TREATY
        prev = row.hash
    assert read_meta(path) == {
        "format": "1",
        "treaty": TREATY,
        "head_size": "11",
        "head_hash": rows[-1].hash.hex(),
    }
    for record, row in zip(returned, rows[1:], strict=True):
        assert (record.seq, record.content, record.signature, record.hash) == (
            row.seq,
            row.content,
            row.signature,
            row.hash,
        )
        assert record.body == json.loads(row.content)["body"]


def test_append_stores_the_envelope_fields(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    ledger, keys = new_ledger(path)
    nested = {"item": "W-17", "count": 3, "nested": {"list": [1, "two", None, True]}}
    body = {**finding_body("limit:items"), "values": nested}
    record = ledger.append("finding", body, keys["ru"], ref="decl-1", time=at(5))
    ledger.close()
    envelope = json.loads(read_rows(path)[1].content)
    assert envelope == {
        "v": 1,
        "seq": 1,
        "prev": read_rows(path)[0].hash.hex(),
        "treaty": TREATY,
        "kind": "finding",
        "party": "ru",
        "key": hashlib.sha256(keys["ru"].public.public_key).hexdigest()[:32],
        "time": "2026-01-01T00:00:05.000000Z",
        "ref": "decl-1",
        "body": body,
    }
    assert record.hash_hex == leaf(record.content, record.signature).hex()


def test_time_in_another_zone_is_stored_as_utc(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    ledger, keys = new_ledger(path)
    plus_two = timezone(timedelta(hours=2))
    record = ledger.append(
        "note", note({}), keys["us"], time=datetime(2026, 1, 1, 3, 0, 0, 250, plus_two)
    )
    assert record.time == "2026-01-01T01:00:00.000250Z"
    ledger.close()


def test_append_many_is_one_chain_with_one_time(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    ledger, keys = new_ledger(path)
    records = ledger.append_many(
        [Entry("note", note_body(i), ref=f"r{i}") for i in range(5)], keys["us"], time=at(3)
    )
    assert [r.seq for r in records] == [1, 2, 3, 4, 5]
    assert {r.time for r in records} == {time_text(3)}
    assert ledger.append_many([], keys["us"], time=at(3)) == []
    ledger.close()
    rows = read_rows(path)
    prev = bytes(32)
    for row in rows:
        _check_row(row, prev, keys[row.party].public.public_key)
        prev = row.hash


def test_batch_with_a_duplicate_reference_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    ledger, keys = new_ledger(path)
    fill(ledger, keys, 4)
    ledger.close()
    before = _snapshot(path)
    with Ledger.open(path) as ledger:
        batch = [Entry("note", note({"i": i}), ref=ref) for i, ref in enumerate("abcb")]
        with pytest.raises(RecordRejectedError):
            ledger.append_many(batch, keys["us"], time=at(100))
        assert ledger.size == 5
    assert _snapshot(path) == before


def test_batch_reusing_an_earlier_reference_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    ledger, keys = new_ledger(path)
    ledger.append("note", note({"i": 0}), keys["us"], ref="taken", time=at(1))
    ledger.close()
    before = _snapshot(path)
    with Ledger.open(path) as ledger:
        batch = [
            Entry("note", note({"i": 1}), ref="fresh-1"),
            Entry("note", note({"i": 2}), ref="fresh-2"),
            Entry("note", note({"i": 3}), ref="taken"),
        ]
        with pytest.raises(RecordRejectedError) as caught:
            ledger.append_many(batch, keys["us"], time=at(2))
        assert "taken" in str(caught.value)
        with pytest.raises(RecordRejectedError):
            ledger.append("note", note({"again": True}), keys["us"], ref="taken", time=at(3))
    assert _snapshot(path) == before


def test_same_reference_is_allowed_for_another_kind_or_party(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    ledger, keys = new_ledger(path)
    ledger.append("note", note({}), keys["us"], ref="x", time=at(1))
    ledger.append("notification", notice_body("x"), keys["us"], ref="x", time=at(2))
    ledger.append("note", note({}), keys["ru"], ref="x", time=at(3))
    ledger.append("note", note({}), keys["us"], time=at(4))
    ledger.append("note", note({}), keys["us"], time=at(5))  # no ref: never a duplicate
    assert ledger.size == 6
    verify_ledger(ledger)
    ledger.close()


def test_unknown_party_is_refused_and_nothing_written(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    ledger, _keys = new_ledger(path)
    before = _snapshot(path)
    with pytest.raises(UnknownNameError):
        ledger.append("note", note({}), party_key("fr"), time=at(1))
    ledger.close()
    assert _snapshot(path) == before


def test_a_fresh_key_claiming_a_party_is_refused_and_nothing_written(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    ledger, keys = new_ledger(path)
    fill(ledger, keys, 2)
    before = _snapshot(path)
    with pytest.raises(SigningKeyError):
        ledger.append("note", note({}), party_key("us", "impostor"), time=at(50))
    with pytest.raises(SigningKeyError):
        ledger.append_many([Entry("note", note({}))] * 3, party_key("us", "impostor"), time=at(50))
    ledger.close()
    assert _snapshot(path) == before


def test_time_earlier_than_the_last_record_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    ledger, keys = new_ledger(path)
    ledger.append("note", note({}), keys["us"], time=at(10))
    before = _snapshot(path)
    with pytest.raises(RecordRejectedError):
        ledger.append("note", note({}), keys["ru"], time=at(10) - timedelta(microseconds=1))
    with pytest.raises(RecordRejectedError):
        ledger.append_many([Entry("note", note({}))] * 2, keys["ru"], time=at(9))
    assert _snapshot(path) == before
    # The same time as the last record is in order.
    ledger.append("note", note({}), keys["ru"], time=at(10))
    assert ledger.size == 3
    ledger.close()


def test_a_time_before_the_opening_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    ledger, keys = new_ledger(path, time=at(100))
    with pytest.raises(RecordRejectedError):
        ledger.append("note", note({}), keys["us"], time=at(99))
    ledger.close()


def test_naive_time_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    ledger, keys = new_ledger(path)
    before = _snapshot(path)
    with pytest.raises(InputError):
        ledger.append("note", note({}), keys["us"], time=datetime(2026, 1, 2))
    ledger.close()
    assert _snapshot(path) == before


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"value": math.nan}, id="nan"),
        pytest.param({"value": math.inf}, id="inf"),
        pytest.param({"nested": {"deep": [1, -math.inf]}}, id="nested-inf"),
        pytest.param({"value": {1, 2}}, id="set"),
        pytest.param({"value": b"bytes"}, id="bytes"),
        pytest.param({"value": {1: "int key"}}, id="int-key"),
        pytest.param({"value": 2**53 + 1}, id="int-too-large"),
        pytest.param({"value": "\ud800"}, id="lone-surrogate"),
        pytest.param({"value": object()}, id="object"),
    ],
)
def test_body_that_is_not_json_is_refused_and_nothing_written(
    tmp_path: Path, body: dict[str, Any]
) -> None:
    path = tmp_path / "ledger.db"
    ledger, keys = new_ledger(path)
    before = _snapshot(path)
    with pytest.raises(CanonicalError) as caught:
        ledger.append("note", body, keys["us"], time=at(1))
    assert isinstance(caught.value, InputError)
    with pytest.raises(InputError):
        ledger.append_many(
            [Entry("note", note({"fine": 1})), Entry("note", body)], keys["us"], time=at(1)
        )
    ledger.close()
    assert _snapshot(path) == before


@pytest.mark.parametrize(
    ("kind", "ref"),
    [("", None), ("ledger_open", None), ("note", ""), ("note", "r" * 201)],
)
def test_invalid_kind_or_reference_is_an_input_error(
    tmp_path: Path, kind: str, ref: str | None
) -> None:
    path = tmp_path / "ledger.db"
    ledger, keys = new_ledger(path)
    with pytest.raises(InputError):
        ledger.append(kind, {}, keys["us"], ref=ref, time=at(1))
    assert ledger.size == 1
    ledger.append("note", note({}), keys["us"], ref="r" * 200, time=at(1))
    ledger.close()


def test_reading_records_by_number_and_kind(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    ledger, keys = new_ledger(path)
    ledger.append("note", note({"n": 1}), keys["us"], time=at(1))
    ledger.append("notification", notice_body("n-2"), keys["ru"], ref="n-2", time=at(2))
    ledger.append("note", note({"n": 3}), keys["ru"], time=at(3))
    assert ledger.get(2).body == notice_body("n-2")
    assert [r.seq for r in ledger.records(kinds=["note"])] == [1, 3]
    assert [r.seq for r in ledger.records(start=2)] == [2, 3]
    with pytest.raises(UnknownNameError):
        ledger.get(4)
    ledger.close()


# Opening bad files ----------------------------------------------------------------------


def _expect_ledger_error(path: Path) -> LedgerError:
    with pytest.raises(LedgerError) as caught, Ledger.open(path) as ledger:
        verify_ledger(ledger)
    assert "\n" not in str(caught.value)
    return caught.value


def test_opening_a_missing_file_is_a_ledger_error(tmp_path: Path) -> None:
    path = tmp_path / "absent.db"
    error = _expect_ledger_error(path)
    assert error.where == str(path)
    assert not path.exists()


def test_opening_a_sqlite_file_that_is_not_a_ledger_is_a_ledger_error(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE t (x)")
        connection.execute("INSERT INTO t VALUES (1)")
    connection.close()
    assert _expect_ledger_error(path).where == str(path)


def test_opening_a_file_of_random_bytes_is_a_ledger_error(tmp_path: Path) -> None:
    path = tmp_path / "random.db"
    path.write_bytes(random.Random(20260101).randbytes(8192))
    assert _expect_ledger_error(path).where == str(path)


def test_opening_an_empty_file_is_a_ledger_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.write_bytes(b"")
    _expect_ledger_error(path)


def test_a_failed_open_leaves_a_foreign_sqlite_file_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    connection = sqlite3.connect(path)
    with connection:
        connection.execute("CREATE TABLE t (x)")
        connection.execute("INSERT INTO t VALUES (1)")
    connection.close()
    before = path.read_bytes()
    with pytest.raises(LedgerError):
        Ledger.open(path)
    assert path.read_bytes() == before


@pytest.fixture(scope="module")
def big_ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A closed ledger of 301 records (WAL checkpointed into the main file)."""
    path = tmp_path_factory.mktemp("big") / "ledger.db"
    ledger, keys = new_ledger(path)
    for batch in range(6):
        signer = keys["us" if batch % 2 else "ru"]
        entries = [Entry("note", note_body(50 * batch + i)) for i in range(50)]
        ledger.append_many(entries, signer, time=at(batch + 1))
    assert ledger.size == 301
    ledger.close()
    assert not Path(f"{path}-wal").exists() or os.path.getsize(f"{path}-wal") == 0
    return path


@pytest.mark.parametrize("keep", ["half", "quarter", "three-quarters", "all-but-one-page"])
def test_a_truncated_ledger_is_refused_in_one_line(
    tmp_path: Path, big_ledger: Path, keep: str
) -> None:
    path = tmp_path / "truncated.db"
    shutil.copyfile(big_ledger, path)
    size = os.path.getsize(big_ledger)
    kept = {
        "half": size // 2,
        "quarter": size // 4,
        "three-quarters": size * 3 // 4,
        "all-but-one-page": size - 4096,  # SQLite's default page size, bytes
    }[keep]
    with open(path, "r+b") as handle:
        handle.truncate(kept)
    with pytest.raises((LedgerError, VerificationError)) as caught, Ledger.open(path) as ledger:
        verify_ledger(ledger)
    assert isinstance(caught.value, TreatyVerifyError)
    assert not isinstance(caught.value, sqlite3.Error)
    assert "\n" not in str(caught.value)


def test_the_untruncated_copy_verifies(tmp_path: Path, big_ledger: Path) -> None:
    path = tmp_path / "copy.db"
    shutil.copyfile(big_ledger, path)
    report = verify_path(path)
    assert report.size == 301


# Replication --------------------------------------------------------------------------


def _export(ledger: Ledger) -> list[dict[str, Any]]:
    """Records as JSON documents, through a real JSON text round trip."""
    documents: list[dict[str, Any]] = json.loads(
        json.dumps([record.to_json() for record in ledger.records()])
    )
    return documents


def _import(documents: list[dict[str, Any]]) -> list[Record]:
    return [Record.from_json(d, where=f"document {i}") for i, d in enumerate(documents)]


@pytest.fixture
def source(tmp_path: Path) -> tuple[Path, list[dict[str, Any]]]:
    """Ledger A with 12 records after the opening one, and its export."""
    path = tmp_path / "a.db"
    ledger, keys = new_ledger(path)
    fill(ledger, keys, 12)
    documents = _export(ledger)
    ledger.close()
    return path, documents


def test_export_documents_carry_hash_signature_and_envelope(
    source: tuple[Path, list[dict[str, Any]]],
) -> None:
    path, documents = source
    for row, document in zip(read_rows(path), documents, strict=True):
        assert document["seq"] == row.seq
        assert bytes.fromhex(document["signature"]) == row.signature
        assert document["hash"] == leaf(row.content, row.signature).hex()
        assert canonical_json(document["envelope"]) == row.content


def test_replication_copies_the_ledger_exactly(
    tmp_path: Path, source: tuple[Path, list[dict[str, Any]]]
) -> None:
    path_a, documents = source
    replica, _keys = new_ledger(tmp_path / "b.db")
    assert replica.import_records(_import(documents[:5])) == 4  # record 0 is held already
    assert replica.import_records(_import(documents)) == 8
    assert replica.import_records(_import(documents)) == 0
    verify_ledger(replica)
    replica.close()
    assert read_rows(tmp_path / "b.db") == read_rows(path_a)
    assert read_meta(tmp_path / "b.db") == read_meta(path_a)


def test_import_refuses_a_sequence_gap_and_writes_nothing(
    tmp_path: Path, source: tuple[Path, list[dict[str, Any]]]
) -> None:
    _, documents = source
    replica, _keys = new_ledger(tmp_path / "b.db")
    before = _snapshot(tmp_path / "b.db")
    with pytest.raises(RecordRejectedError) as caught:
        replica.import_records(_import([documents[1], documents[2], documents[4]]))
    assert caught.value.where == "record 4"
    assert replica.size == 1
    replica.close()
    assert _snapshot(tmp_path / "b.db") == before


def test_import_refuses_a_conflicting_record_and_writes_nothing(
    tmp_path: Path, source: tuple[Path, list[dict[str, Any]]]
) -> None:
    _, documents = source
    replica, keys = new_ledger(tmp_path / "b.db")
    replica.append("note", note({"different": True}), keys["ru"], time=at(1))
    before = _snapshot(tmp_path / "b.db")
    with pytest.raises(RecordRejectedError) as caught:
        replica.import_records(_import(documents[1:4]))
    assert caught.value.where == "record 1"
    # The next position, but linked to A's record 1, not to the replica's.
    with pytest.raises(RecordRejectedError):
        replica.import_records(_import([documents[2]]))
    replica.close()
    assert _snapshot(tmp_path / "b.db") == before


def test_import_refuses_a_record_of_another_treaty(
    tmp_path: Path, source: tuple[Path, list[dict[str, Any]]]
) -> None:
    _, documents = source
    other, keys = new_ledger(tmp_path / "other.db", treaty="inf-treaty")
    other.append("note", note_body(0), keys["ru"], ref="d-0", time=at(1))
    foreign = _export(other)[1]
    other.close()
    replica, _keys = new_ledger(tmp_path / "b.db")
    before = _snapshot(tmp_path / "b.db")
    with pytest.raises(RecordRejectedError):
        replica.import_records(_import([documents[1], documents[2], foreign]))
    replica.close()
    assert _snapshot(tmp_path / "b.db") == before


@pytest.mark.parametrize("forgery", ["signature-bit", "body-changed", "resigned-by-impostor"])
def test_import_refuses_a_forged_record_and_writes_nothing(
    tmp_path: Path, source: tuple[Path, list[dict[str, Any]]], forgery: str
) -> None:
    _, documents = source
    forged = json.loads(json.dumps(documents[3]))
    if forgery == "signature-bit":
        signature = bytearray.fromhex(forged["signature"])
        signature[10] ^= 0x04
        forged["signature"] = signature.hex()
    elif forgery == "body-changed":
        forged["envelope"]["body"]["index"] = 999
    else:
        # An impostor's signature, but the record still names the pinned key id.
        content = canonical_json(forged["envelope"])
        forged["signature"] = sign_record(
            party_key(forged["envelope"]["party"], "x"), content
        ).hex()
    replica, _keys = new_ledger(tmp_path / "b.db")
    before = _snapshot(tmp_path / "b.db")
    with pytest.raises(RecordRejectedError):
        replica.import_records(_import([*documents[1:3], forged, *documents[4:]]))
    replica.close()
    assert _snapshot(tmp_path / "b.db") == before


def test_import_refuses_a_record_signed_by_an_unpinned_key(
    tmp_path: Path, source: tuple[Path, list[dict[str, Any]]]
) -> None:
    _, documents = source
    forged = json.loads(json.dumps(documents[1]))
    impostor = party_key(forged["envelope"]["party"], "impostor")
    forged["envelope"]["key"] = impostor.key_id
    forged["signature"] = sign_record(impostor, canonical_json(forged["envelope"])).hex()
    replica, _keys = new_ledger(tmp_path / "b.db")
    with pytest.raises(SigningKeyError):
        replica.import_records(_import([forged]))
    assert replica.size == 1
    replica.close()


def test_record_from_json_needs_envelope_and_hex_signature() -> None:
    documents: list[dict[str, Any]] = [
        {},
        {"envelope": {}},
        {"signature": "00"},
        {"envelope": {}, "signature": "x"},
    ]
    for document in documents:
        with pytest.raises(InputError):
            Record.from_json(document, where="document 0")


def test_import_refuses_a_record_that_verification_would_reject(tmp_path: Path) -> None:
    replica, keys = new_ledger(tmp_path / "b.db")
    genesis = read_rows(tmp_path / "b.db")[0]
    envelope = {
        "v": 1,
        "seq": 1,
        "prev": genesis.hash.hex(),
        "treaty": TREATY,
        "kind": "ledger_open",
        "party": "ru",
        "key": keys["ru"].key_id,
        "time": time_text(1),
        "ref": None,
        "body": {},
    }
    signature = sign_record(keys["ru"], canonical_json(envelope))
    record = Record.from_json(
        {"envelope": envelope, "signature": signature.hex()}, where="document 1"
    )
    try:
        with pytest.raises(RecordRejectedError):
            replica.import_records([record])
    finally:
        # Whatever happened, the replica must still verify.
        verify_ledger(replica)
        replica.close()


def test_clock_in_helpers_matches_fixed_base() -> None:
    assert at(0) == datetime(2026, 1, 1, tzinfo=UTC)
    assert time_text(1.5) == "2026-01-01T00:00:01.500000Z"


def _signed_document(
    keys: dict[str, PartyKey], party: str, seq: int, prev: bytes, kind: str, body: dict[str, Any]
) -> dict[str, Any]:
    envelope = {
        "v": 1,
        "seq": seq,
        "prev": prev.hex(),
        "treaty": TREATY,
        "kind": kind,
        "party": party,
        "key": keys[party].key_id,
        "time": time_text(seq),
        "ref": str(body["target"]) if "target" in body else None,
        "body": body,
    }
    return {
        "envelope": envelope,
        "signature": sign_record(keys[party], canonical_json(envelope)).hex(),
    }


def test_import_refuses_a_cosignature_of_a_hash_the_finding_lacks(tmp_path: Path) -> None:
    replica, keys = new_ledger(tmp_path / "b.db")
    finding = replica.append("finding", finding_body("r"), keys["ru"], time=at(1))
    before = _snapshot(tmp_path / "b.db")
    document = _signed_document(
        keys, "us", 2, finding.hash, "cosign", {"target": 1, "target_hash": "ab" * 32}
    )
    try:
        with pytest.raises(RecordRejectedError) as caught:
            replica.import_records([Record.from_json(document, where="document 0")])
        assert caught.value.where == "record 2"
        assert "hash" in caught.value.message
    finally:
        verify_ledger(replica)
        replica.close()
    assert _snapshot(tmp_path / "b.db") == before


def test_import_accepts_a_sound_cosignature(tmp_path: Path) -> None:
    replica, keys = new_ledger(tmp_path / "b.db")
    finding = replica.append("finding", finding_body("r"), keys["ru"], time=at(1))
    document = _signed_document(
        keys, "us", 2, finding.hash, "cosign", {"target": 1, "target_hash": finding.hash_hex}
    )
    assert replica.import_records([Record.from_json(document, where="document 0")]) == 1
    verify_ledger(replica)
    replica.close()


def test_a_record_of_an_unknown_format_version_is_refused(tmp_path: Path) -> None:
    replica, keys = new_ledger(tmp_path / "b.db")
    genesis = read_rows(tmp_path / "b.db")[0]
    document = _signed_document(keys, "ru", 1, genesis.hash, "note", note({}))
    document["envelope"]["v"] = 2
    with pytest.raises(InputError) as caught:
        Record.from_json(document, where="document 3")
    assert caught.value.where == "document 3"
    assert "version 2" in caught.value.message
    replica.close()


def test_a_sqlite_file_in_rollback_mode_is_refused_before_connecting(tmp_path: Path) -> None:
    path = tmp_path / "rollback.db"
    connection = sqlite3.connect(path)
    with connection:
        connection.execute("CREATE TABLE ledger_meta (name TEXT PRIMARY KEY, value TEXT)")
        connection.execute("INSERT INTO ledger_meta VALUES ('head_size', '0')")
        connection.execute("INSERT INTO ledger_meta VALUES ('head_hash', '00')")
    connection.close()
    before = path.read_bytes()
    with pytest.raises(LedgerError) as caught:
        Ledger.open(path)
    assert "WAL" in caught.value.message
    assert path.read_bytes() == before
    assert not Path(f"{path}-wal").exists()


def test_a_reader_sees_the_last_commit_while_a_writer_holds_the_lock(tmp_path: Path) -> None:
    ledger, keys = new_ledger(tmp_path / "a.db")
    ledger.append("note", note_body(0), keys["ru"], time=at(1))
    reader = Ledger.open(tmp_path / "a.db")
    with ledger.store.write() as writer:
        size, head = writer.head()
        assert size == 2
        # WAL readers take a snapshot; they do not wait for the writer's lock.
        assert reader.size == 2
        assert reader.get(1).hash == head
    reader.close()
    ledger.close()


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        (Entry("declar\ud800ation", {"i": 1}), "kind"),
        (Entry("note", note({"i": 1}), ref="r-\udfff"), "ref"),
        (Entry("note", {"bad": "\ud800"}), "$.bad"),
    ],
)
def test_a_lone_surrogate_in_an_entry_is_refused_naming_it(
    tmp_path: Path, entry: Entry, field: str
) -> None:
    path = tmp_path / "ledger.db"
    ledger, keys = new_ledger(path)
    ledger.close()
    before = _snapshot(path)
    with Ledger.open(path) as ledger:
        good = Entry("note", note({"i": 0}))
        with pytest.raises(InputError) as caught:
            ledger.append_many([good, entry], keys["us"], time=at(1))
        assert caught.value.where == f"entry 1: {field}"
    assert _snapshot(path) == before


@pytest.mark.parametrize(
    "url",
    ["nosuchdialect://auditor:s3cret-pw@db.example/ledger", "sqlite+nosuchdriver://u:s3cret-pw@/x"],
)
def test_a_store_url_error_never_shows_the_password(url: str) -> None:
    with pytest.raises(LedgerError) as caught:
        Ledger.open(url)
    assert "s3cret-pw" not in str(caught.value)
    assert "\n" not in str(caught.value)
