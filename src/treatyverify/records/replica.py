"""Replicas: a party's own copy of a ledger, started from another copy's export.

A replica begins with the origin's record 0, kept byte for byte, after checking it
against the public keys the replica's holder pins (obtained out of band, as for
``record init``); the rest follows with the checks of
:meth:`~treatyverify.records.ledger.Ledger.import_records`. Later exports from a given
record on (``record export --since N``) bring the replica up to date. Because every
record keeps its exact bytes, the replica's Merkle roots equal the origin's.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from treatyverify.errors import InputError
from treatyverify.records.keys import PublicPartyKey
from treatyverify.records.ledger import Ledger, Record
from treatyverify.records.verify import verify_ledger

__all__ = ["start_replica"]


def start_replica(
    location: str | Path,
    records: Sequence[Record],
    *,
    pinned_keys: Mapping[str, PublicPartyKey],
    clock: datetime | None = None,
) -> Ledger:
    """Create a replica at ``location`` from exported records, the first being record 0.

    Everything is first done in a scratch copy (a temporary SQLite file) and verified
    there in full (:func:`~treatyverify.records.verify.verify_ledger` with the pinned
    keys), so that nothing is written at ``location`` unless every record is accepted.

    Parameters
    ----------
    location
        Where the replica goes (SQLite path or SQLAlchemy URL); nothing may be there.
    records
        Records exported from another copy (``record export``), in order, from record 0.
    pinned_keys
        The public key of every party, by party id, as this replica's holder trusts them.
    clock
        The time records may not be ahead of (now, UTC, by default).

    Raises
    ------
    InputError
        No records, or the first is not record 0.
    SigningKeyError
        Record 0 gives a party a key other than the pinned one (the party is named).
    RecordRejectedError, VerificationError
        A record the origin's ledger should not have held.
    """
    if not records or records[0].seq != 0:
        first = "nothing" if not records else f"record {records[0].seq}"
        raise InputError(
            f"a replica starts from record 0, but the export begins with {first}; "
            "export the whole ledger (without --since)",
            where="export",
        )
    now = clock or datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="treatyverify-replica-") as scratch:
        rehearsal = Ledger.create_replica(
            Path(scratch) / "ledger.sqlite", records[0], pinned_keys=pinned_keys, clock=now
        )
        with rehearsal:
            rehearsal.import_records(records[1:], clock=now)
            verify_ledger(rehearsal, trusted_keys=pinned_keys, clock=now)
    replica = Ledger.create_replica(location, records[0], pinned_keys=pinned_keys, clock=now)
    try:
        replica.import_records(records[1:], clock=now)
    except BaseException:
        replica.close()
        raise
    return replica
