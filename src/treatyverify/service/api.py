"""The JSON API: treaties, members, the ledger and its records, proofs and consensus.

Every route is a thin layer over a library call. Reads are open to every member (signed
request or session token); submissions need a signed request from a party or the
secretariat, and a member submits only records it signed itself.

Checkpoints (C2SP signed notes, :mod:`treatyverify.records.checkpoint`) are collected
here: a party posts this ledger's checkpoint carrying its own signature or cosignature,
which is verified under its pinned key and kept; ``GET /api/ledger/checkpoint`` serves the
largest checkpoint signed so far with every signature collected for it, as plain text.
"""

from __future__ import annotations

import itertools
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import SQLAlchemyError

from treatyverify.errors import (
    ConsensusError,
    InputError,
    LedgerError,
    RecordConflictError,
    UnknownNameError,
    VerificationError,
)
from treatyverify.records.checkpoint import (
    MAX_NOTE_BYTES,
    Checkpoint,
    ledger_origin,
    parse_checkpoint,
)
from treatyverify.records.consensus import (
    COSIGN_KIND,
    DISSENT_KIND,
    check_position,
    consensus_state,
)
from treatyverify.records.ledger import MAX_REF_LENGTH, Record, format_time, parse_time
from treatyverify.records.store import DuplicateRowError
from treatyverify.records.verify import verify_ledger
from treatyverify.service.auth import create_session
from treatyverify.service.context import Member, ServiceContext
from treatyverify.service.deps import Context, Reader, Signed, Writer
from treatyverify.service.statedb import (
    latest_checkpoint_signatures,
    store_checkpoint_signature,
)
from treatyverify.treaty import list_treaties, load_treaty

__all__ = ["PostedCheckpoint", "SignedRecord", "Submission", "router"]

router = APIRouter(prefix="/api")

MAX_PAGE = 1000
Seq = Annotated[int, Path(ge=0, le=2**53, description="Record sequence number")]


class SignedRecord(BaseModel):
    """A record as its party signed it: the envelope and the hex Ed25519 signature."""

    model_config = ConfigDict(extra="forbid")

    envelope: dict[str, Any]
    signature: str = Field(pattern=r"^[0-9a-f]{128}$")


class Submission(BaseModel):
    """Records to append, in order, all signed by the requesting member."""

    model_config = ConfigDict(extra="forbid")

    records: list[SignedRecord] = Field(min_length=1)


class PostedCheckpoint(BaseModel):
    """This ledger's checkpoint as a signed note, carrying the member's own signature
    (the party that made it) or cosignature (a party that witnessed it)."""

    model_config = ConfigDict(extra="forbid")

    checkpoint: str = Field(
        min_length=1,
        max_length=MAX_NOTE_BYTES,
        description="The signed note (C2SP tlog-checkpoint), UTF-8 text",
    )


class SessionGrant(BaseModel):
    """A read-only session token bound to the member's key."""

    token: str
    expires: str
    member: str
    role: str


def _head(context: ServiceContext) -> dict[str, Any]:
    ledger = context.ledger
    size = ledger.size
    return {
        "treaty": ledger.treaty,
        "spec_digest": ledger.spec_digest,
        "size": size,
        "root": ledger.root(size).hex(),
        "head": ledger.get(size - 1).hash_hex,
    }


# Treaties and members -------------------------------------------------------------


@router.get("/treaties", summary="Installed treaty specifications and the ledger's own")
def treaties(member: Reader, context: Context) -> dict[str, Any]:
    return {"treaties": sorted({*list_treaties(), context.spec.id})}


@router.get("/treaties/{treaty}", summary="One treaty specification")
def treaty(
    member: Reader,
    context: Context,
    treaty: Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")],
) -> dict[str, Any]:
    if treaty == context.spec.id:  # the specification the ledger pins, shipped or not
        spec = context.spec
    elif treaty in list_treaties():
        spec = load_treaty(treaty)
    else:
        raise HTTPException(404, f"no installed treaty {treaty!r}")
    return {"digest": spec.digest(), "specification": spec.model_dump(mode="json")}


@router.get("/members", summary="Members of this ledger and their roles")
def members(member: Reader, context: Context) -> dict[str, Any]:
    return {
        "members": [
            {"id": m.id, "role": m.role, "key_id": m.key.key_id} for m in context.members.values()
        ]
    }


@router.post("/sessions", status_code=201, summary="A read-only session token")
def new_session(member: Signed, context: Context) -> SessionGrant:
    token, expires = create_session(context, member)
    return SessionGrant(
        token=token, expires=expires.isoformat(), member=member.id, role=member.role
    )


# The ledger -------------------------------------------------------------------------


@router.get("/ledger", summary="Treaty, size, Merkle root and head hash of the ledger")
def ledger_head(member: Reader, context: Context) -> dict[str, Any]:
    return _head(context)


@router.get("/ledger/head", summary="Size and last record hash: where the next record goes")
def ledger_position(member: Reader, context: Context) -> dict[str, Any]:
    """Read in one query of the chain head, so it costs the same for any ledger size."""
    meta = context.ledger.store.read_meta()
    return {"size": int(meta["head_size"]), "head": meta["head_hash"]}


@router.get("/ledger/verify", summary="Re-verify every record of the ledger")
def ledger_verify(member: Reader, context: Context) -> dict[str, Any]:
    try:
        report = verify_ledger(
            context.ledger, clock=context.now(), skew_s=context.config.limits.clock_skew_s
        )
    except VerificationError as exc:
        return {"verified": False, "first_bad_record": exc.seq, "reason": exc.message}
    return {
        "verified": True,
        "treaty": report.treaty,
        "size": report.size,
        "root": report.root,
        "kinds": report.kinds,
    }


@router.get("/ledger/proofs/inclusion/{seq}", summary="RFC 9162 inclusion proof of a record")
def inclusion(
    member: Reader,
    context: Context,
    seq: Seq,
    size: Annotated[int | None, Query(ge=1, le=2**53)] = None,
) -> dict[str, Any]:
    ledger = context.ledger
    tree_size = _tree_size(context, size)
    if seq >= tree_size:
        raise HTTPException(404, f"no record {seq} in a tree of {tree_size}")
    return {
        "seq": seq,
        "size": tree_size,
        "leaf": ledger.get(seq).hash_hex,
        "root": ledger.root(tree_size).hex(),
        "path": [node.hex() for node in ledger.inclusion_proof(seq, tree_size)],
    }


@router.get("/ledger/proofs/consistency", summary="RFC 9162 consistency proof between sizes")
def consistency(
    member: Reader,
    context: Context,
    old: Annotated[int, Query(ge=1, le=2**53)],
    size: Annotated[int | None, Query(ge=1, le=2**53)] = None,
) -> dict[str, Any]:
    ledger = context.ledger
    tree_size = _tree_size(context, size)
    if old > tree_size:
        raise HTTPException(422, f"old size {old} is larger than the tree ({tree_size})")
    return {
        "old": old,
        "size": tree_size,
        "old_root": ledger.root(old).hex(),
        "root": ledger.root(tree_size).hex(),
        "path": [node.hex() for node in ledger.consistency_proof(old, tree_size)],
    }


# Checkpoints ------------------------------------------------------------------------


@router.get(
    "/ledger/checkpoint",
    response_class=PlainTextResponse,
    summary="The largest checkpoint signed so far, with the signatures collected (C2SP)",
)
def checkpoint(
    member: Reader,
    context: Context,
    size: Annotated[int | None, Query(ge=1, le=2**53)] = None,
) -> PlainTextResponse:
    """Lines kept for a root the ledger no longer has at that size are not served."""
    found = latest_checkpoint_signatures(context.state, size)
    if found is None:
        what = "no checkpoint" if size is None else f"no checkpoint of size {size}"
        raise HTTPException(404, f"{what} has been signed yet; POST one first")
    tree_size, rows = found
    ledger = context.ledger
    if tree_size > ledger.size:
        raise HTTPException(
            409, f"the ledger holds {ledger.size} records, fewer than the checkpoint's {tree_size}"
        )
    root = ledger.root(tree_size)
    lines = [line for kept, line in rows if kept == root.hex()]
    if not lines:
        raise HTTPException(
            409, f"the signatures kept for size {tree_size} are not of the ledger's root"
        )
    text = Checkpoint(ledger_origin(ledger), tree_size, root).text
    note = text + "\n" + "".join(line + "\n" for line in lines)
    return PlainTextResponse(note, media_type="text/plain; charset=utf-8")


@router.post(
    "/ledger/checkpoint",
    status_code=201,
    summary="Add the member's signature or cosignature to a checkpoint of this ledger",
)
def post_checkpoint(posted: PostedCheckpoint, member: Writer, context: Context) -> dict[str, Any]:
    """Only the requesting member's own line is kept (verified under its pinned key);
    other lines of the note are ignored. A newer line replaces the member's older one for
    the same tree size."""
    ledger = context.ledger
    try:
        note = parse_checkpoint(posted.checkpoint, where="checkpoint")
    except InputError as exc:
        raise HTTPException(422, str(exc)) from None
    origin = ledger_origin(ledger)
    if note.origin != origin:
        raise HTTPException(422, f"checkpoint: the origin is not this ledger's ({origin})")
    if note.extensions:
        raise HTTPException(422, "checkpoint: extension lines are not accepted")
    size = ledger.size
    if not 1 <= note.tree_size <= size:
        raise HTTPException(
            422, f"checkpoint: tree size {note.tree_size} is outside the ledger's 1..{size}"
        )
    if ledger.root(note.tree_size) != note.root:
        raise HTTPException(
            409,
            f"checkpoint: split view: the checkpoint of size {note.tree_size} has another root "
            "than this ledger at that size",
        )
    key = ledger.keys.get(member.id)
    if key is None:
        raise HTTPException(403, f"{member.id} has no key pinned by the ledger")
    own = note.lines_of(member.id, key)
    if len(own) != 1:
        what = "no signature line" if not own else "more than one signature line"
        raise HTTPException(422, f"checkpoint: {what} of {member.id}'s pinned key")
    try:
        check = Checkpoint(note.origin, note.tree_size, note.root, (), own).checks(
            {member.id: key}
        )[0]
    except VerificationError as exc:
        raise HTTPException(422, f"checkpoint: {exc.message}") from None
    now = context.now()
    skew = context.config.limits.clock_skew_s
    if check.timestamp is not None and check.timestamp > now.timestamp() + skew:
        raise HTTPException(
            422, f"checkpoint: the cosignature time is more than {skew:g} s ahead of the server"
        )
    try:
        store_checkpoint_signature(
            context.state,
            tree_size=note.tree_size,
            party=member.id,
            root=note.root.hex(),
            line=own[0].line().rstrip("\n"),
            received=format_time(now),
        )
    except SQLAlchemyError:
        raise HTTPException(503, "the service state store is unavailable; try again") from None
    found = latest_checkpoint_signatures(context.state, note.tree_size)
    return {
        "tree_size": note.tree_size,
        "party": member.id,
        "kind": check.kind,
        "signatures": 0 if found is None else len(found[1]),
    }


def _tree_size(context: ServiceContext, size: int | None) -> int:
    current = context.ledger.size
    if size is None:
        return current
    if size > current:
        raise HTTPException(404, f"the ledger holds {current} records, not {size}")
    return size


# Records ----------------------------------------------------------------------------


@router.get("/records", summary="Records in sequence order")
def records(
    member: Reader,
    context: Context,
    start: Annotated[int, Query(ge=0, le=2**53)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    kind: Annotated[list[str] | None, Query(max_length=20)] = None,
    ref: Annotated[str | None, Query(min_length=1, max_length=MAX_REF_LENGTH)] = None,
) -> dict[str, Any]:
    selected = context.ledger.records(kinds=kind, start=start, ref=ref)
    page = [record.to_json() for record in itertools.islice(selected, limit)]
    return {"records": page, "size": context.ledger.size}


@router.get("/records/{seq}", summary="One record")
def record(member: Reader, context: Context, seq: Seq) -> dict[str, Any]:
    return _record(context, seq).to_json()


def _record(context: ServiceContext, seq: int) -> Record:
    try:
        return context.ledger.get(seq)
    except UnknownNameError as exc:
        raise HTTPException(404, exc.message) from None


@router.get("/records/{seq}/consensus", summary="Who co-signed or dissented from a finding")
def consensus(member: Reader, context: Context, seq: Seq) -> dict[str, Any]:
    _record(context, seq)
    try:
        state = consensus_state(context.ledger, seq)
    except ConsensusError as exc:
        raise HTTPException(422, exc.message) from None
    return {
        "target": state.target,
        "target_hash": state.target_hash,
        "proposer": state.proposer,
        "status": state.status,
        "adopted": state.adopted,
        "required": list(state.required),
        "signed": state.signed,
        "dissents": state.dissents,
        "pending": state.pending,
    }


@router.post("/records", status_code=201, summary="Append records the member signed")
def submit(submission: Submission, member: Writer, context: Context) -> dict[str, Any]:
    return _append(context, member, submission.records)


@router.post("/records/{seq}/cosign", status_code=201, summary="Co-sign a finding or report")
def cosign(seq: Seq, signed: SignedRecord, member: Writer, context: Context) -> dict[str, Any]:
    return _append(context, member, [signed], expect=(COSIGN_KIND, seq))


@router.post("/records/{seq}/dissent", status_code=201, summary="Dissent from a finding")
def dissent(seq: Seq, signed: SignedRecord, member: Writer, context: Context) -> dict[str, Any]:
    return _append(context, member, [signed], expect=(DISSENT_KIND, seq))


def _parse(context: ServiceContext, member: Member, signed: list[SignedRecord]) -> list[Record]:
    """Rebuild the records; refuse another party's, and times off the server clock."""
    limit = context.config.limits.max_records_per_request
    if len(signed) > limit:
        raise HTTPException(413, f"at most {limit} records per request")
    now = context.now()
    skew = context.config.limits.clock_skew_s
    parsed: list[Record] = []
    for index, item in enumerate(signed):
        where = f"records[{index}]"
        try:
            record = Record.from_json(item.model_dump(), where=where)
            when = parse_time(record.time, where=f"{where}.envelope.time")
        except InputError as exc:
            raise HTTPException(422, str(exc)) from None
        if record.party != member.id:
            raise HTTPException(
                403, f"{where}: {member.id} may submit only its own records, not {record.party}'s"
            )
        if abs((now - when).total_seconds()) > skew:
            raise HTTPException(
                422, f"{where}.envelope.time: more than {skew:g} s from the server clock"
            )
        parsed.append(record)
    return parsed


def _append(
    context: ServiceContext,
    member: Member,
    signed: list[SignedRecord],
    *,
    expect: tuple[str, int] | None = None,
) -> dict[str, Any]:
    parsed = _parse(context, member, signed)
    if expect is not None:
        kind, target = expect
        record = parsed[0]
        if record.kind != kind or record.body.get("target") != target:
            raise HTTPException(422, f"the record is not a {kind} of record {target}")
    try:
        for index, record in enumerate(parsed):
            check_position(context.ledger, record, parsed[:index])
        appended = context.ledger.import_records(
            parsed, clock=context.now(), skew_s=context.config.limits.clock_skew_s
        )
    except ConsensusError as exc:
        raise HTTPException(422, str(exc)) from None
    except (RecordConflictError, DuplicateRowError) as exc:
        raise HTTPException(
            409,
            f"{exc}; read the ledger head, sign again and resubmit",
            headers=_head_headers(context),
        ) from None
    except InputError as exc:
        raise HTTPException(422, str(exc)) from None
    except LedgerError:
        raise HTTPException(503, "the ledger store is unavailable; try again") from None
    return {
        "appended": appended,
        "records": [{"seq": r.seq, "hash": r.hash_hex} for r in parsed],
        "size": context.ledger.size,
    }


def _head_headers(context: ServiceContext) -> dict[str, str]:
    meta = context.ledger.store.read_meta()
    return {"X-TV-Size": meta["head_size"], "X-TV-Head": meta["head_hash"]}
