"""The tamper-evident, signed, multi-party record ledger.

Each record is an envelope ``{v, seq, prev, treaty, kind, party, key, time, ref, body}``
encoded canonically (RFC 8785) and signed with Ed25519 by the submitting party over
``RECORD_DOMAIN || content``. The record hash is the RFC 9162 leaf hash of
``content || signature``; each record's ``prev`` is the hash of the one before, and
all record hashes are the leaves of a Merkle tree, so a party holding a signed tree
head can prove that nothing before it was rewritten.

Record 0 (kind ``ledger_open``) pins the treaty, the exact specification digest, every
party's public key and the parties whose co-signatures adopt a finding.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple, NoReturn

from treatyverify.canonical import (
    CanonicalError,
    canonical_bytes,
    canonical_string,
    parse_canonical,
    parse_exactly_canonical,
)
from treatyverify.errors import (
    InputError,
    LedgerError,
    RecordConflictError,
    RecordRejectedError,
    SigningKeyError,
    UnknownNameError,
)
from treatyverify.records.keys import PartyKey, PublicPartyKey
from treatyverify.records.kinds import check_body_json
from treatyverify.records.merkle import (
    MerkleAccumulator,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_from_leaf_hashes,
)
from treatyverify.records.store import DuplicateRowError, Store, StoredRecord, Writer

__all__ = [
    "FORMAT_VERSION",
    "GENESIS_KIND",
    "GENESIS_PREV",
    "MAX_CLOCK_SKEW_S",
    "RECORD_DOMAIN",
    "Entry",
    "Ledger",
    "Record",
    "body_bytes",
    "check_not_ahead",
    "check_record_time",
    "format_time",
    "parse_time",
    "seal_records",
]

FORMAT_VERSION = 1
RECORD_DOMAIN = b"treatyverify/record/v1\x00"
"""Prefix of every signed message, so a record signature is never valid for anything else."""
GENESIS_KIND = "ledger_open"
GENESIS_PREV = "00" * 32
ENVELOPE_FIELDS = frozenset(
    {"v", "seq", "prev", "treaty", "kind", "party", "key", "time", "ref", "body"}
)
MAX_REF_LENGTH = 200
MAX_CLOCK_SKEW_S = 300.0
"""How far a record's time may be ahead of the clock of whoever checks it (s): the
service's default ``clock_skew_s``. A record dated further ahead would block every later
append until its time came, so import and verification refuse it."""
_TIME_FORM = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")


def format_time(moment: datetime) -> str:
    """Format an aware datetime as UTC ISO 8601 with microseconds and a ``Z``."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InputError("a time must carry its time zone (UTC expected)", where="time")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str, *, where: str = "time") -> datetime:
    """Parse an ISO 8601 time with an explicit zone into an aware UTC datetime."""
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise InputError(f"not an ISO 8601 time: {text!r}", where=where) from None
    if moment.tzinfo is None:
        raise InputError(f"time {text!r} has no time zone (append Z for UTC)", where=where)
    return moment.astimezone(UTC)


def check_record_time(text: str, *, where: str) -> datetime:
    """A record's time as :func:`format_time` writes it: UTC, microseconds, ``Z``.

    Only that form is accepted (no offsets such as ``+14:00``), so that times compare
    as strings in the order of the instants they name.
    """
    if not _TIME_FORM.fullmatch(text):
        raise InputError("not a UTC time of the form YYYY-MM-DDTHH:MM:SS.ffffffZ", where=where)
    try:  # by position: strptime costs several microseconds per record
        return datetime(
            int(text[0:4]),
            int(text[5:7]),
            int(text[8:10]),
            int(text[11:13]),
            int(text[14:16]),
            int(text[17:19]),
            int(text[20:26]),
            tzinfo=UTC,
        )
    except ValueError:
        raise InputError("not a real date and time", where=where) from None


def body_bytes(content: bytes) -> bytes:
    """The body's bytes inside a record's canonical envelope.

    In RFC 8785 order the body comes first and the signer's key id right after it, and
    ``,"key":`` cannot occur later in the envelope (a quote inside a string is escaped).
    """
    end = content.rfind(b',"key":')
    if not content.startswith(b'{"body":') or end < 0:
        raise InputError("not a canonical record envelope", where="content")
    return content[8:end]


def check_not_ahead(
    text: str, clock: datetime, *, where: str, skew_s: float = MAX_CLOCK_SKEW_S
) -> None:
    """Refuse a record time more than ``skew_s`` ahead of ``clock`` (aware, UTC)."""
    if check_record_time(text, where=where) > clock + timedelta(seconds=skew_s):
        raise RecordRejectedError(
            f"time {text} is ahead of the clock ({format_time(clock)}) by more than {skew_s:g} s",
            where=where,
        )


class Record(NamedTuple):
    """A signed ledger record, parsed (immutable).

    Attributes
    ----------
    seq
        Position in the ledger, from 0.
    prev
        Hex hash of the previous record (``GENESIS_PREV`` for record 0).
    kind, party, key, time, ref, body
        The envelope fields: record kind, submitting party, signer key id, UTC time,
        optional unique reference, and the kind-specific payload.
    content
        The canonical bytes that were signed (after the domain prefix).
    signature
        The 64-byte Ed25519 signature.
    hash
        RFC 9162 leaf hash of ``content || signature``.
    """

    seq: int
    prev: str
    treaty: str
    kind: str
    party: str
    key: str
    time: str
    ref: str | None
    body: dict[str, Any]
    content: bytes
    signature: bytes
    hash: bytes

    def __repr__(self) -> str:
        return (
            f"Record(seq={self.seq}, kind={self.kind!r}, party={self.party!r}, "
            f"hash={self.hash_hex})"
        )

    @property
    def hash_hex(self) -> str:
        """The record hash as hex."""
        return self.hash.hex()

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready form holding everything needed to re-verify the record."""
        return {
            "seq": self.seq,
            "hash": self.hash_hex,
            "signature": self.signature.hex(),
            "envelope": parse_canonical(self.content),
        }

    @classmethod
    def from_stored(cls, row: StoredRecord) -> Record:
        """Parse a stored row (no verification; see :mod:`treatyverify.records.verify`)."""
        envelope = parse_envelope(row.content, where=f"record {row.seq}")
        return cls._from_envelope(
            envelope, bytes(row.content), bytes(row.signature), bytes(row.hash)
        )

    @classmethod
    def from_json(cls, document: Mapping[str, Any], *, where: str) -> Record:
        """Rebuild a record from :meth:`to_json` output, re-encoding canonically."""
        try:
            envelope = document["envelope"]
            signature = bytes.fromhex(document["signature"])
        except (KeyError, TypeError, ValueError):
            raise InputError("needs 'envelope' and hex 'signature'", where=where) from None
        content = canonical_bytes(envelope)
        parsed = parse_envelope(content, where=where)
        return cls._from_envelope(parsed, content, signature, leaf_hash(content + signature))

    @classmethod
    def _from_envelope(
        cls, envelope: dict[str, Any], content: bytes, signature: bytes, record_hash: bytes
    ) -> Record:
        return cls(
            seq=envelope["seq"],
            prev=envelope["prev"],
            treaty=envelope["treaty"],
            kind=envelope["kind"],
            party=envelope["party"],
            key=envelope["key"],
            time=envelope["time"],
            ref=envelope.get("ref"),
            body=envelope["body"],
            content=content,
            signature=signature,
            hash=record_hash,
        )


_ENVELOPE_TYPES: tuple[tuple[str, type], ...] = (
    ("v", int),
    ("seq", int),
    ("prev", str),
    ("treaty", str),
    ("kind", str),
    ("party", str),
    ("key", str),
    ("time", str),
    ("body", dict),
)


def parse_envelope(content: bytes, *, where: str) -> dict[str, Any]:
    """Parse and type-check a record envelope; raise InputError naming ``where``.

    The content must be exactly canonical (RFC 8785), as every record is written.
    """
    try:
        envelope = parse_exactly_canonical(content)
    except InputError as exc:
        raise InputError(f"content is not valid JSON ({exc.message})", where=where) from None
    if type(envelope) is not dict:
        raise InputError("content is not a JSON object", where=where)
    if envelope.keys() != ENVELOPE_FIELDS:
        missing = ENVELOPE_FIELDS - {"ref"} - envelope.keys()
        extra = envelope.keys() - ENVELOPE_FIELDS
        if missing or extra:
            names = ", ".join(sorted(missing | extra))
            raise InputError(f"envelope fields missing or unknown: {names}", where=where)
    for name, kind in _ENVELOPE_TYPES:
        if type(envelope[name]) is not kind:
            raise InputError(f"envelope field '{name}' has the wrong type", where=where)
    ref = envelope.get("ref")
    if ref is not None and type(ref) is not str:
        raise InputError("envelope field 'ref' has the wrong type", where=where)
    if ref is not None and not 0 < len(ref) <= MAX_REF_LENGTH:
        raise InputError(f"a reference has 1 to {MAX_REF_LENGTH} characters", where=where)
    if not envelope["kind"] or not envelope["party"]:
        raise InputError("envelope fields 'kind' and 'party' must not be empty", where=where)
    if envelope["v"] != FORMAT_VERSION:
        raise InputError(f"record format version {envelope['v']} is not supported", where=where)
    check_record_time(envelope["time"], where=f"{where}: time")
    return envelope


@dataclass(frozen=True)
class Entry:
    """A record to append: its kind, body and optional unique reference."""

    kind: str
    body: Mapping[str, Any]
    ref: str | None = None


class _Prepared(NamedTuple):
    """An entry checked and ready to sign, with the canonical bytes of its parts."""

    kind: str
    ref: str | None
    body: dict[str, Any]
    body_json: bytes
    kind_json: bytes
    ref_json: bytes


class _EnvelopeFields:
    """Builds the canonical envelope of records that share treaty, signer and time.

    The body is encoded once, by :func:`canonical_bytes`, and the envelope is put
    together around it with its members in RFC 8785 order (``body``, ``key``,
    ``kind``, ``party``, ``prev``, ``ref``, ``seq``, ``time``, ``treaty``, ``v``),
    byte for byte what ``canonical_bytes`` gives for the whole envelope (tested).
    """

    __slots__ = ("_after_body", "_after_prev", "_party")

    def __init__(self, treaty: str, party: str, key_id: str, time: str) -> None:
        self._after_body = b',"key":' + canonical_string(key_id, where="key") + b',"kind":'
        self._after_prev = (
            b',"time":'
            + canonical_string(time, where="time")
            + b',"treaty":'
            + canonical_string(treaty, where="treaty")
            + b',"v":'
            + str(FORMAT_VERSION).encode()
            + b"}"
        )
        self._party = b',"party":' + canonical_string(party, where="party") + b',"prev":"'

    def content(self, seq: int, prev_hex: str, entry: _Prepared) -> bytes:
        """The canonical content of record ``seq``."""
        return b"".join(
            (
                b'{"body":',
                entry.body_json,
                self._after_body,
                entry.kind_json,
                self._party,
                prev_hex.encode(),
                b'","ref":',
                entry.ref_json,
                b',"seq":',
                str(seq).encode(),
                self._after_prev,
            )
        )


class Ledger:
    """A treaty's record ledger in one store.

    Use :meth:`create` for a new ledger and :meth:`open` for an existing one.

    Reading the Merkle tree (:meth:`leaf_hashes`, :meth:`root`, the proofs) goes
    through an in-process cache of the leaf hashes, in order, and a
    :class:`~treatyverify.records.merkle.MerkleAccumulator` over them. Each call first
    reads the store's chain head (one query), then tops the cache up to it with one
    query for the rows it lacks, so records appended by anyone (this object, another
    :class:`Ledger`, another process) are followed. The query starts at the last
    cached position, and the cache is dropped and rebuilt from a full read whenever
    the head is below the cached length, the stored hash there differs from the cached
    one, or the store returns fewer rows than the head promises. A rewrite of earlier
    rows that leaves the last cached hash in place (a tampered or replaced store that
    keeps the tail) is *not* detected: the cached hashes are served until this object
    is closed. Verification (:func:`treatyverify.records.verify.verify_ledger`) never
    uses the cache: it reads and rehashes every stored record.

    The cache costs 32 bytes of hash per record, about 73 bytes per record with
    CPython's ``bytes`` object and list slot (about 7 MB per 100,000 records), and is
    shared by the threads that use this object (a lock guards it).
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        # The leaf-hash cache (see the class docstring), guarded by _leaf_lock: the
        # hashes of records 0 .. len - 1 and the accumulator over exactly those.
        self._leaf_lock = threading.Lock()
        self._leaves: list[bytes] = []
        self._tree = MerkleAccumulator()
        try:
            self.genesis = _read_genesis(store)
        except LedgerError:
            store.close()
            raise
        body = self.genesis.body
        self.treaty: str = self.genesis.treaty
        self.spec_digest: str = body["spec_digest"]
        # The pinned specification text and digest format (None in older ledgers).
        self.spec_text: str | None = body.get("spec_text")
        self.spec_format: str | None = body.get("spec_format")
        self.keys: dict[str, PublicPartyKey] = parse_party_keys(body, where="record 0")
        self.consensus_parties: tuple[str, ...] = tuple(body["consensus_parties"])

    # Construction ---------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        location: str | Path,
        *,
        treaty: str,
        spec_digest: str,
        keys: Mapping[str, PublicPartyKey],
        consensus_parties: Sequence[str],
        opener: PartyKey,
        time: datetime | None = None,
        spec_text: str | None = None,
        spec_format: str | None = None,
    ) -> Ledger:
        """Create a ledger and write its opening record, signed by ``opener``.

        Parameters
        ----------
        location
            SQLite path or SQLAlchemy URL; must not exist yet.
        treaty
            Treaty identifier (for example ``"new-start"``).
        spec_digest
            Hex SHA-256 of the exact treaty specification in force for this ledger.
        keys
            Every party's public key, by party identifier.
        consensus_parties
            The parties whose co-signatures adopt a finding or report.
        opener
            The party key that signs the opening record; must be among ``keys``.
        time
            Opening time (UTC); now by default.
        spec_text, spec_format
            The specification file's exact text and how ``spec_digest`` was formed from
            it, pinned together (both or neither); see
            :func:`treatyverify.records.pinned.create_ledger`, which checks them.
        """
        if (spec_text is None) != (spec_format is None):
            raise InputError("pin the specification text and its digest format together")
        if opener.party not in keys or keys[opener.party].public_key != opener.public.public_key:
            raise SigningKeyError(
                "the opening key is not among the parties' keys", where=f"party {opener.party}"
            )
        for party in consensus_parties:
            if party not in keys:
                raise UnknownNameError(
                    f"consensus party {party!r} has no key", where="consensus_parties"
                )
        body: dict[str, Any] = {
            "spec_digest": spec_digest,
            "parties": {
                p: {"public_key": k.public_key.hex(), "key_id": k.key_id}
                for p, k in sorted(keys.items())
            },
            "consensus_parties": sorted(consensus_parties),
        }
        if spec_text is not None:
            body |= {"spec_text": spec_text, "spec_format": spec_format}
            # Refused here, not first by a replica or a verifier (a text too long, say).
            check_body_json(GENESIS_KIND, canonical_bytes(body), None, where="record 0")
        when = format_time(time or datetime.now(UTC))
        content = canonical_bytes(
            {
                "v": FORMAT_VERSION,
                "seq": 0,
                "prev": GENESIS_PREV,
                "treaty": treaty,
                "kind": GENESIS_KIND,
                "party": opener.party,
                "key": opener.key_id,
                "time": when,
                "ref": None,
                "body": body,
            }
        )
        signature = opener.sign(RECORD_DOMAIN + content)
        row = StoredRecord(
            0,
            content,
            signature,
            leaf_hash(content + signature),
            GENESIS_KIND,
            opener.party,
            when,
            None,
        )
        store = Store(location, create=True)
        with store.write() as writer:
            writer.put_meta(
                {
                    "format": str(FORMAT_VERSION),
                    "treaty": treaty,
                    "head_size": "0",
                    "head_hash": GENESIS_PREV,
                }
            )
            writer.append([row])
        return cls(store)

    @classmethod
    def open(cls, location: str | Path) -> Ledger:
        """Open an existing ledger."""
        return cls(Store(location))

    # Replicas -------------------------------------------------------------------------

    @classmethod
    def create_replica(
        cls,
        location: str | Path,
        genesis: Record,
        *,
        pinned_keys: Mapping[str, PublicPartyKey],
        clock: datetime | None = None,
        skew_s: float = MAX_CLOCK_SKEW_S,
    ) -> Ledger:
        """Create a ledger from another copy's opening record, kept byte for byte.

        Record 0 is checked before anything is written: its envelope and body as every
        record's, every party key it lists equal to the key of that party in
        ``pinned_keys`` (the keys this replica's holder trusts, obtained out of band),
        and its signature valid under the opener's pinned key. The replica then has the
        same record 0 hash, hence the same Merkle roots, as the origin; the remaining
        records follow with :meth:`import_records`.

        Raises
        ------
        SigningKeyError
            A party of record 0 without a pinned key, or with another one (named).
        RecordRejectedError
            Record 0 is not a valid opening record, or its signature does not verify.
        LedgerError
            Something exists at ``location`` already.
        """
        where = "record 0"
        if genesis.seq != 0 or genesis.kind != GENESIS_KIND or genesis.prev != GENESIS_PREV:
            raise RecordRejectedError(
                "a replica starts from record 0, the ledger_open record (export from 0)",
                where=f"record {genesis.seq}",
            )
        if genesis.ref is not None:
            raise RecordRejectedError("the opening record carries no reference", where="record 0")
        check_body_json(genesis.kind, body_bytes(genesis.content), genesis.ref, where=where)
        keys = parse_party_keys(genesis.body, where=where)
        cls.check_pinned_keys(keys, pinned_keys)
        opener = keys.get(genesis.party)
        if opener is None or genesis.key != opener.key_id:
            raise RecordRejectedError("record 0 is not signed by a party it lists", where=where)
        if not opener.verify(genesis.signature, RECORD_DOMAIN + genesis.content):
            raise RecordRejectedError("the signature does not verify", where=where)
        check_not_ahead(
            genesis.time, clock or datetime.now(UTC), where=f"{where}: time", skew_s=skew_s
        )
        row = StoredRecord(
            0,
            genesis.content,
            genesis.signature,
            genesis.hash,
            GENESIS_KIND,
            genesis.party,
            genesis.time,
            None,
        )
        store = Store(location, create=True)
        try:
            with store.write() as writer:
                writer.put_meta(
                    {
                        "format": str(FORMAT_VERSION),
                        "treaty": genesis.treaty,
                        "head_size": "0",
                        "head_hash": GENESIS_PREV,
                    }
                )
                writer.append([row])
        except BaseException:
            store.close()
            raise
        return cls(store)

    @staticmethod
    def check_pinned_keys(
        keys: Mapping[str, PublicPartyKey], pinned_keys: Mapping[str, PublicPartyKey]
    ) -> None:
        """Refuse opening-record ``keys`` unless every party's equals its pinned key.

        Raises
        ------
        SigningKeyError
            Naming the first party (in order) without a pinned key or with another one.
        """
        for party, key in sorted(keys.items()):
            trusted = pinned_keys.get(party)
            if trusted is None:
                raise SigningKeyError(
                    f"record 0 lists party {party}, whose key is not among the pinned keys",
                    where=f"party {party}",
                )
            if trusted.public_key != key.public_key:
                raise SigningKeyError(
                    f"record 0 gives party {party} key {key.key_id}, not the pinned key "
                    f"{trusted.key_id}",
                    where=f"party {party}",
                )

    def close(self) -> None:
        """Release the store and drop the leaf-hash cache."""
        with self._leaf_lock:
            self._leaves = []
            self._tree = MerkleAccumulator()
        self.store.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # Appending ------------------------------------------------------------------------

    def append(
        self,
        kind: str,
        body: Mapping[str, Any],
        signer: PartyKey,
        *,
        ref: str | None = None,
        time: datetime | None = None,
    ) -> Record:
        """Sign and append one record; see :meth:`append_many`."""
        return self.append_many([Entry(kind, body, ref)], signer, time=time)[0]

    def append_many(
        self, entries: Sequence[Entry], signer: PartyKey, *, time: datetime | None = None
    ) -> list[Record]:
        """Sign and append records in one transaction: all are written or none.

        Parameters
        ----------
        entries
            The records to append, in order.
        signer
            The submitting party's key; it must be the key pinned in record 0.
        time
            Record time (UTC), now by default; never earlier than the last record's.

        Raises
        ------
        RecordRejectedError
            A duplicate reference or a time earlier than the ledger's last record.
        SigningKeyError
            ``signer`` is not the pinned key of its party.
        """
        if not entries:
            return []
        self._check_signer(signer)
        given = None if time is None else format_time(time)
        prepared = [self._prepare(entry, index) for index, entry in enumerate(entries)]
        self._check_batch_refs(prepared)
        try:
            return self._sign_and_write(prepared, signer, given)
        except DuplicateRowError:  # rolled back; name the duplicate
            self._raise_duplicate(signer.party, prepared)

    def _sign_and_write(
        self, prepared: Sequence[_Prepared], signer: PartyKey, given: str | None
    ) -> list[Record]:
        """Sign the prepared entries in order and write them in one transaction.

        Without a ``given`` time the clock is read under the write lock, so that a
        writer that waited for another cannot arrive with an earlier time than its.
        """
        with self.store.write() as writer:
            size, head = writer.head()
            when = given if given is not None else format_time(datetime.now(UTC))
            self._check_order(writer, size, when)
            records = _seal(self.treaty, prepared, signer, when, size, head)
            writer.append(
                [
                    StoredRecord(
                        r.seq, r.content, r.signature, r.hash, r.kind, r.party, r.time, r.ref
                    )
                    for r in records
                ]
            )
        return records

    def import_records(
        self,
        records: Sequence[Record],
        *,
        clock: datetime | None = None,
        skew_s: float = MAX_CLOCK_SKEW_S,
    ) -> int:
        """Append records signed elsewhere (replication), keeping their exact bytes.

        All are written or none. Records the ledger already holds with the same hash
        are skipped; every other record must be the next one: sequence number equal
        to the ledger size, ``prev`` equal to the head hash, a valid signature by the
        pinned key of its party, and a time not ahead of ``clock`` (now by default) by
        more than ``skew_s`` seconds.

        Returns
        -------
        int
            The number of records appended.
        """
        for record in records:
            where = f"record {record.seq}"
            if record.treaty != self.treaty:
                raise RecordRejectedError(
                    f"belongs to treaty {record.treaty!r}, not {self.treaty!r}", where=where
                )
            if (record.kind == GENESIS_KIND) != (record.seq == 0):
                raise RecordRejectedError("only record 0 opens the ledger", where=where)
            self._check_signature(record, where)
            check_body_json(record.kind, body_bytes(record.content), record.ref, where=where)
            check_not_ahead(
                record.time, clock or datetime.now(UTC), where=f"{where}: time", skew_s=skew_s
            )
        appended = 0
        fresh: list[Record] = []
        with self.store.write() as writer:
            size, head = writer.head()
            for record in records:
                where = f"record {record.seq}"
                if record.seq < size:
                    held = writer.hash_of(record.seq)
                    if held == record.hash:
                        continue
                    raise RecordConflictError(
                        "conflicts with the record this ledger holds at that position", where=where
                    )
                if record.seq > size:
                    raise RecordConflictError(
                        f"out of order: the next record is {size}", where=where
                    )
                if record.prev != head.hex():
                    raise RecordConflictError(
                        "does not link to the ledger's last record", where=where
                    )
                self._check_order(writer, size, record.time)
                if record.ref is not None and writer.existing_refs(
                    record.party, record.kind, [record.ref]
                ):
                    raise RecordRejectedError(f"duplicate reference {record.ref!r}", where=where)
                writer.append(
                    [
                        StoredRecord(
                            record.seq,
                            record.content,
                            record.signature,
                            record.hash,
                            record.kind,
                            record.party,
                            record.time,
                            record.ref,
                        )
                    ]
                )
                size, head = size + 1, record.hash
                appended += 1
                fresh.append(record)
            self._check_imported_semantics(writer, fresh)
        return appended

    @staticmethod
    def _check_imported_semantics(writer: Writer, fresh: Sequence[Record]) -> None:
        """Refuse imported co-signatures, dissents and draw results the verifier rejects."""
        # Imported here: the semantic checks build on this module.
        from treatyverify.records.semantics import SEMANTIC_KINDS, first_semantic_problem

        if not any(r.kind in SEMANTIC_KINDS for r in fresh):
            return
        first_new = fresh[0].seq
        held = [
            Record.from_stored(row)
            for row in writer.rows_of_kinds(sorted(SEMANTIC_KINDS), first_new)
        ]
        problem = first_semantic_problem(held + [r for r in fresh if r.kind in SEMANTIC_KINDS])
        if problem is not None and problem[0] >= first_new:
            raise RecordRejectedError(problem[1], where=f"record {problem[0]}")

    def _check_signer(self, signer: PartyKey) -> None:
        pinned = self.keys.get(signer.party)
        if pinned is None:
            raise UnknownNameError(
                f"party {signer.party!r} is not a party of this ledger "
                f"(parties: {', '.join(sorted(self.keys))})",
                where="party",
            )
        if pinned.public_key != signer.public.public_key:
            raise SigningKeyError(
                f"key {signer.key_id} is not the pinned key of party "
                f"{signer.party} ({pinned.key_id})",
                where=f"party {signer.party}",
            )

    def _check_signature(self, record: Record, where: str) -> None:
        pinned = self.keys.get(record.party)
        if pinned is None:
            raise UnknownNameError(
                f"party {record.party!r} is not a party of this ledger", where=where
            )
        if record.key != pinned.key_id:
            raise SigningKeyError(
                f"signed with key {record.key}, not the pinned key of party {record.party}",
                where=where,
            )
        if not pinned.verify(record.signature, RECORD_DOMAIN + record.content):
            raise RecordRejectedError("the signature does not verify", where=where)

    @staticmethod
    def _prepare(entry: Entry, index: int) -> _Prepared:
        """Check an entry, its body against its kind's model included, and encode it."""
        prepared = Ledger._encode(entry, index)
        check_body_json(
            entry.kind, prepared.body_json, entry.ref, where=f"entry {index} ({entry.kind})"
        )
        return prepared

    @staticmethod
    def _encode(entry: Entry, index: int) -> _Prepared:
        """Check an entry's envelope fields and encode its body once (the envelope is
        built around it)."""
        where = f"entry {index}"
        if not entry.kind or not isinstance(entry.kind, str) or entry.kind == GENESIS_KIND:
            raise InputError(f"invalid record kind {entry.kind!r}", where=where)
        if entry.ref is not None and not (
            isinstance(entry.ref, str) and 0 < len(entry.ref) <= MAX_REF_LENGTH
        ):
            raise InputError(f"a reference has 1 to {MAX_REF_LENGTH} characters", where=where)
        body = dict(entry.body)
        try:
            body_json = canonical_bytes(body)
            kind_json = canonical_string(entry.kind, where="kind")
            ref_json = b"null" if entry.ref is None else canonical_string(entry.ref, where="ref")
        except CanonicalError as exc:
            raise CanonicalError(exc.message, where=f"{where}: {exc.where}") from None
        return _Prepared(entry.kind, entry.ref, body, body_json, kind_json, ref_json)

    @staticmethod
    def _check_order(writer: Writer, size: int, when: str) -> None:
        last_time = writer.time_of(size - 1) if size else None
        if last_time is not None and when < last_time:
            raise RecordConflictError(
                f"out of order: time {when} is earlier than record {size - 1} ({last_time})",
                where=f"record {size}",
            )

    @staticmethod
    def _check_batch_refs(prepared: Sequence[_Prepared]) -> None:
        seen: set[tuple[str, str]] = set()
        for kind, ref, *_encoded in prepared:
            if ref is None:
                continue
            if (kind, ref) in seen:
                raise RecordRejectedError(
                    f"duplicate reference {ref!r} in one batch", where=f"{kind} {ref}"
                )
            seen.add((kind, ref))

    def _raise_duplicate(self, party: str, prepared: Sequence[_Prepared]) -> NoReturn:
        """After the store refused a batch, name the reference the party had used."""
        by_kind: dict[str, list[str]] = {}
        for kind, ref, *_encoded in prepared:
            if ref is not None:
                by_kind.setdefault(kind, []).append(ref)
        for kind, refs in sorted(by_kind.items()):
            taken = self.store.committed_refs(party, kind, refs)
            if taken:
                ref = sorted(taken)[0]
                raise RecordRejectedError(
                    f"duplicate: party {party} already submitted {kind} {ref!r}",
                    where=f"{kind} {ref}",
                )
        raise LedgerError(
            "the store refused the records (a uniqueness constraint) but no earlier "
            "record holds their references; another writer may have just added them",
            where=self.store.name,
        )

    # Reading --------------------------------------------------------------------------

    @property
    def size(self) -> int:
        """Number of records, from the chain head."""
        return int(self.store.read_meta()["head_size"])

    def get(self, seq: int) -> Record:
        """Return record ``seq``; UnknownNameError when there is none."""
        row = self.store.get(seq)
        if row is None:
            raise UnknownNameError(
                f"no record {seq} (the ledger holds {self.size})", where=f"record {seq}"
            )
        return Record.from_stored(row)

    def records(
        self, *, kinds: Sequence[str] | None = None, start: int = 0, ref: str | None = None
    ) -> Iterator[Record]:
        """Yield records in order, optionally of some kinds only and with one reference."""
        for row in self.store.scan(start=start, kinds=kinds, ref=ref):
            yield Record.from_stored(row)

    def leaf_hashes(self, size: int | None = None) -> list[bytes]:
        """Record hashes (Merkle leaf hashes, 32 bytes each) of the first ``size``
        records (all by default; all there are when ``size`` is larger).

        Served from the leaf-hash cache (see the class docstring): two queries, one
        for the chain head and one for the records appended since the last call.
        """
        with self._leaf_lock:
            self._top_up()
            return self._leaves[: None if size is None else max(size, 0)]

    def root(self, size: int | None = None) -> bytes:
        """Merkle tree root over the first ``size`` records (all by default).

        For the current size (or ``None``, or a larger size) it comes from the
        cache's accumulator, O(log n) hashes; for an older size it is computed from
        the cached hashes, O(size) hashes. Neither reads more than the new records
        from the store (see :meth:`leaf_hashes`).
        """
        with self._leaf_lock:
            self._top_up()
            if size is None or size >= len(self._leaves):
                return self._tree.root()
            hashes = self._leaves[: max(size, 0)]
        return root_from_leaf_hashes(hashes)

    def _top_up(self) -> None:
        """Bring the leaf-hash cache up to the store's chain head (lock held).

        One query for the head and one for the hashes from the last cached position
        on; that position's stored hash must equal the cached one, the head must not
        be below the cached length and every row up to the head must be there, or
        the cache is rebuilt from a full read.
        """
        head = self.size
        cached = len(self._leaves)
        if 0 < cached <= head:
            fresh = self.store.hashes(start=cached - 1, stop=head)
            if len(fresh) == head - cached + 1 and fresh[0] == self._leaves[-1]:
                del fresh[0]
                try:
                    self._tree.extend(fresh)
                except ValueError:  # a stored hash is not 32 bytes: keep nothing half-done
                    self._leaves, self._tree = [], MerkleAccumulator()
                    raise
                self._leaves.extend(fresh)
                return
        leaves = self.store.hashes(stop=head)
        tree = MerkleAccumulator()
        tree.extend(leaves)
        self._leaves, self._tree = leaves, tree

    def inclusion_proof(self, seq: int, size: int | None = None) -> list[bytes]:
        """RFC 9162 inclusion proof of record ``seq`` in the tree of ``size`` records."""
        hashes = self.leaf_hashes(size)
        if not 0 <= seq < len(hashes):
            raise UnknownNameError(
                f"no record {seq} in a tree of {len(hashes)}", where=f"record {seq}"
            )
        return inclusion_proof(seq, hashes)

    def consistency_proof(self, old_size: int, size: int | None = None) -> list[bytes]:
        """RFC 9162 consistency proof from the tree of ``old_size`` records to ``size``."""
        hashes = self.leaf_hashes(size)
        if not 0 < old_size <= len(hashes):
            raise InputError(f"old tree size must be between 1 and {len(hashes)}", where="old_size")
        return consistency_proof(old_size, hashes)


def _seal(
    treaty: str,
    prepared: Sequence[_Prepared],
    signer: PartyKey,
    when: str,
    seq: int,
    head: bytes,
) -> list[Record]:
    """Sign prepared entries as records ``seq, seq + 1, ...`` chained after ``head``."""
    fixed = _EnvelopeFields(treaty, signer.party, signer.key_id, when)
    records: list[Record] = []
    for position, entry in enumerate(prepared, start=seq):
        prev_hex = head.hex()
        content = fixed.content(position, prev_hex, entry)
        signature = signer.sign(RECORD_DOMAIN + content)
        head = leaf_hash(content + signature)
        records.append(
            Record(
                position,
                prev_hex,
                treaty,
                entry.kind,
                signer.party,
                signer.key_id,
                when,
                entry.ref,
                entry.body,
                content,
                signature,
                head,
            )
        )
    return records


def seal_records(
    treaty: str,
    entries: Sequence[Entry],
    signer: PartyKey,
    *,
    seq: int,
    head: bytes,
    time: datetime,
) -> list[Record]:
    """Sign entries as the next records of a ledger held elsewhere.

    A party that submits to a shared ledger (the service) signs its records itself:
    ``seq`` is the ledger's size and ``head`` the hash of its last record, both read
    from the ledger just before; the holder appends them with
    :meth:`Ledger.import_records`, which refuses them if another record came first.
    """
    when = format_time(time)
    prepared = [Ledger._prepare(entry, index) for index, entry in enumerate(entries)]
    Ledger._check_batch_refs(prepared)
    return _seal(treaty, prepared, signer, when, seq, head)


def _read_genesis(store: Store) -> Record:
    """Read and shape-check record 0; any defect is a LedgerError naming the store."""
    row = store.get(0)
    if row is None:
        raise LedgerError("the ledger has no opening record", where=store.name)
    try:
        genesis = Record.from_stored(row)
    except InputError as exc:
        raise LedgerError(f"record 0 is unreadable: {exc.message}", where=store.name) from None
    if genesis.kind != GENESIS_KIND or genesis.seq != 0:
        raise LedgerError("record 0 is not a ledger_open record", where=store.name)
    body = genesis.body
    if not isinstance(body.get("spec_digest"), str):
        raise LedgerError("record 0 has no specification digest", where=store.name)
    text, form = body.get("spec_text"), body.get("spec_format")
    if (
        (text is None) != (form is None)
        or not isinstance(text or "", str)
        or not isinstance(form or "", str)
    ):
        raise LedgerError(
            "record 0 must pin the specification text and its digest format together",
            where=store.name,
        )
    parties = body.get("consensus_parties")
    if not isinstance(parties, list) or not all(isinstance(p, str) for p in parties):
        raise LedgerError("record 0 has no list of consensus parties", where=store.name)
    parse_party_keys(body, where=f"{store.name}: record 0")
    return genesis


def parse_party_keys(body: Mapping[str, Any], *, where: str) -> dict[str, PublicPartyKey]:
    """Read the ``parties`` map of an opening record into public keys."""
    parties = body.get("parties")
    if not isinstance(parties, dict) or not parties:
        raise LedgerError("the opening record lists no party keys", where=where)
    keys: dict[str, PublicPartyKey] = {}
    for party, entry in parties.items():
        try:
            keys[party] = PublicPartyKey(party, bytes.fromhex(entry["public_key"]))
        except (KeyError, TypeError, ValueError, SigningKeyError):
            raise LedgerError(f"the key of party {party} is malformed", where=where) from None
    return keys
