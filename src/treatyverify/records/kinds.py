"""The record kind registry: every kind a ledger may hold and the model of its body.

Append, import (replication and the service) and verification all call
:func:`check_body_json`, so that a record one path refuses cannot enter by another: an
unknown kind, a body with a field missing, an unknown field, a wrong type, or a body
whose own reference disagrees with the record's, is refused everywhere alike.

Models are named by import path and loaded on first use, so that this module (below
every package that defines a body) imports none of them at start-up.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import BaseModel, ValidationError

from treatyverify.errors import RecordRejectedError

__all__ = ["KINDS", "RecordKind", "body_model", "check_body", "check_body_json"]


@dataclass(frozen=True)
class RecordKind:
    """One registered record kind.

    Attributes
    ----------
    model
        ``"module:Class"`` of the pydantic model of its body.
    ref_field
        Body field that must equal the record's reference (``ref``), if any; for an
        integer field, its decimal form.
    summary
        What a record of this kind says, in one line.
    """

    model: str
    ref_field: str | None
    summary: str


_BODIES = "treatyverify.records.bodies"

KINDS: Mapping[str, RecordKind] = {
    "ledger_open": RecordKind(
        f"{_BODIES}:LedgerOpenBody",
        None,
        "opens the ledger: specification text and digest, party keys",
    ),
    "note": RecordKind(f"{_BODIES}:NoteBody", None, "a party's statement for the record"),
    "declaration": RecordKind(
        "treatyverify.exchange.declarations:Declaration", "ref", "holdings as of one date"
    ),
    "notification": RecordKind(
        f"{_BODIES}:NotificationBody", "ref", "a notice of a type the treaty defines"
    ),
    "event": RecordKind(f"{_BODIES}:EventBody", None, "an event that calls for a notice"),
    "acknowledgement": RecordKind(
        f"{_BODIES}:AcknowledgementBody", None, "acknowledges another party's notice"
    ),
    "inspection_report": RecordKind(
        "treatyverify.exchange.inspections:InspectionReport", "ref", "counts seen at one site"
    ),
    "finding": RecordKind(f"{_BODIES}:FindingBody", None, "a rule applied to numbers"),
    "report": RecordKind(f"{_BODIES}:ReportBody", None, "findings gathered under a title"),
    "cosign": RecordKind(f"{_BODIES}:CosignBody", "target", "adopts a finding or report"),
    "dissent": RecordKind(f"{_BODIES}:DissentBody", "target", "rejects one, with a reason"),
    "draw_open": RecordKind(f"{_BODIES}:DrawOpenBody", "draw", "opens a verifiable draw"),
    "draw_commit": RecordKind(f"{_BODIES}:DrawCommitBody", "draw", "commits to a secret"),
    "draw_reveal": RecordKind(f"{_BODIES}:DrawRevealBody", "draw", "reveals the secret"),
    "draw_result": RecordKind(f"{_BODIES}:DrawResultBody", "draw", "the draw's seed and pick"),
    "sampling_plan": RecordKind(
        f"{_BODIES}:SamplingPlanBody", "draw", "the attribute sampling plan of a draw"
    ),
    "measurement_result": RecordKind(
        "treatyverify.barrier.barrier:MeasurementResultBody",
        None,
        "what the methods let out of the barrier for one item",
    ),
    "zk_declaration": RecordKind(
        "treatyverify.methods.zk.treaty_records:ZkDeclarationBody",
        None,
        "a committed declaration with its proof",
    ),
    "zk_opening": RecordKind(
        f"{_BODIES}:ZkOpeningBody", None, "openings of the drawn sites of a declaration"
    ),
    "seismic_bulletin": RecordKind(
        f"{_BODIES}:SeismicBulletinBody", None, "one window's picks and located event"
    ),
    "item_declaration": RecordKind(
        f"{_BODIES}:ItemDeclarationBody", None, "items presented for dismantlement"
    ),
    "custody_step": RecordKind(f"{_BODIES}:CustodyStepBody", None, "a dismantlement step"),
    "custody_check": RecordKind(f"{_BODIES}:CustodyCheckBody", None, "a chain-of-custody check"),
    "site_briefing": RecordKind(
        f"{_BODIES}:SiteBriefingBody", None, "reentry vehicles declared at a site"
    ),
    "accounting_report": RecordKind(
        f"{_BODIES}:AccountingReportBody", None, "a balance period's accounting report"
    ),
    "physical_inventory_verification": RecordKind(
        f"{_BODIES}:PhysicalInventoryVerificationBody", None, "an inventory verification"
    ),
}
"""Every record kind, by name."""


@cache
def body_model(kind: str) -> type[BaseModel]:
    """The model of ``kind``'s body; RecordRejectedError for an unregistered kind."""
    entry = KINDS.get(kind)
    if entry is None:
        raise RecordRejectedError(f"unknown record kind {kind!r}", where="kind")
    module, _, name = entry.model.partition(":")
    model = getattr(importlib.import_module(module), name)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise TypeError(f"{entry.model} is not a pydantic model")
    return model


@cache
def _validator(kind: str) -> tuple[Any, str | None]:
    """The compiled validator of ``kind``'s body and its reference field (cached)."""
    return body_model(kind).__pydantic_validator__, KINDS[kind].ref_field


def check_body_json(kind: str, body_json: bytes, ref: str | None, *, where: str) -> None:
    """Refuse a record body (its canonical JSON bytes) that its kind's model refuses.

    Raises
    ------
    RecordRejectedError
        Naming ``where``, the kind, and the first bad field.
    """
    if kind not in KINDS:
        raise RecordRejectedError(f"unknown record kind {kind!r}", where=where)
    # The compiled validator is called directly: verification runs this for every
    # record, and the model's own wrapper costs as much again.
    validator, ref_field = _validator(kind)
    try:
        body = validator.validate_json(body_json, strict=True)
    except ValidationError as exc:
        error = exc.errors(include_url=False, include_input=False)[0]
        field = ".".join(str(part) for part in error["loc"]) or "(the body)"
        raise RecordRejectedError(
            f"not a valid {kind} body: {field}: {error['msg']}", where=where
        ) from None
    if ref_field is not None:
        value = getattr(body, ref_field)
        if ref != (value if isinstance(value, str) else str(value)):
            raise RecordRejectedError(
                f"a {kind} record's reference must equal its body's {ref_field}", where=where
            )


def check_body(kind: str, body: Mapping[str, object], ref: str | None, *, where: str) -> None:
    """:func:`check_body_json` for a body not yet encoded."""
    # Imported here: canonical is below this module, but keep the registry's imports few.
    from treatyverify.canonical import canonical_bytes

    check_body_json(kind, canonical_bytes(dict(body)), ref, where=where)
