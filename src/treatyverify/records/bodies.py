"""Record bodies written as plain JSON objects: one pydantic model per record kind.

These are the kinds whose producers build their bodies field by field (the ledger's
opening record, consensus, draws, notifications' events and acknowledgements, the
information barrier's releases, the exercises' own records). Kinds with a model of their
own elsewhere (a declaration, a notice, an inspection report, a committed declaration)
are listed with theirs in :mod:`treatyverify.records.kinds`, which validates every body
against its kind's model on append, import and verification alike.

Each model forbids unknown fields and is validated strictly from the record's canonical
JSON (a count is a JSON integer, never ``"5"`` or ``true``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

__all__ = [
    "MAX_SPEC_TEXT_CHARS",
    "AccountingReportBody",
    "AcknowledgementBody",
    "CosignBody",
    "CustodyCheckBody",
    "CustodyStepBody",
    "DissentBody",
    "DrawCommitBody",
    "DrawOpenBody",
    "DrawResultBody",
    "DrawRevealBody",
    "EventBody",
    "FindingBody",
    "ItemDeclarationBody",
    "LedgerOpenBody",
    "NoteBody",
    "NotificationBody",
    "PhysicalInventoryVerificationBody",
    "ReportBody",
    "SamplingPlanBody",
    "SeismicBulletinBody",
    "SiteBriefingBody",
    "ZkOpeningBody",
]

MAX_SPEC_TEXT_CHARS = 1_000_000
"""Longest specification text record 0 may pin (characters); the shipped ones are under
20,000."""
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
"""An identifier or label: a party, a site, a draw, an item class (1 to 200 characters)."""
Text = Annotated[str, StringConstraints(min_length=1, max_length=20_000)]
"""Free text a person wrote: a statement, a reason, a title."""
Hash = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
"""A SHA-256 value in lower-case hexadecimal (64 digits)."""
KeyId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
PublicKeyHex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
UtcTime = Annotated[
    str,
    StringConstraints(
        pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$"
    ),
]
"""A time as the ledger writes it (``format_time``): UTC, microseconds, ``Z``."""


def _utc_iso(text: str) -> str:
    """Accept an ISO 8601 time in UTC (``Z`` or ``+00:00``), as events are written."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("not an ISO 8601 time") from None
    offset = moment.utcoffset()
    if offset is None:
        raise ValueError("no time zone (append Z for UTC)")
    if offset != timedelta(0):
        raise ValueError("not in UTC (use Z or +00:00)")
    return text


UtcIsoTime = Annotated[str, StringConstraints(max_length=40), AfterValidator(_utc_iso)]
"""An ISO 8601 time in UTC, with ``Z`` or ``+00:00``: the time of an event notified."""
IsoTime = Annotated[str, StringConstraints(min_length=10, max_length=40)]
"""An ISO 8601 time as an exercise writes it (``datetime.isoformat``)."""
Seq = Annotated[int, Field(ge=0)]
SpecText = Annotated[str, StringConstraints(min_length=1, max_length=MAX_SPEC_TEXT_CHARS)]
"""A treaty specification's YAML text, pinned in record 0."""
Count = Annotated[int, Field(ge=0)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


# The ledger itself ------------------------------------------------------------------


class _PartyKeyEntry(_Body):
    public_key: PublicKeyHex
    key_id: KeyId


class LedgerOpenBody(_Body):
    """``ledger_open`` (record 0): the pinned specification digest and the parties' keys."""

    spec_digest: Hash
    parties: dict[Name, _PartyKeyEntry] = Field(min_length=1)
    consensus_parties: list[Name]
    spec_format: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    """How ``spec_digest`` was formed (``treatyverify-treaty/1``); absent in ledgers
    opened before the specification was pinned, whose digest is the legacy one."""
    spec_text: SpecText | None = None
    """The specification file's exact text (YAML), so that any copy of the ledger
    carries the specification it was opened under; absent in older ledgers."""


class NoteBody(_Body):
    """``note``: a party's statement for the record (minutes, a comment, a correction
    announced); no check or evaluation reads it."""

    text: Text
    subject: Name | None = None


# Consensus --------------------------------------------------------------------------


class CosignBody(_Body):
    """``cosign``: the signer adopts finding or report ``target`` (its sequence number and hash)."""

    target: Seq
    target_hash: Hash


class DissentBody(_Body):
    """``dissent``: the signer rejects ``target``, with its reason (kept for good)."""

    target: Seq
    target_hash: Hash
    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class _Basis(_Body):
    seq: Seq
    hash: Hash


class FindingBody(_Body):
    """``finding``: one rule applied to declared or observed numbers (a consensus target)."""

    treaty: Name
    rule: Name
    subject: Name
    statement: Text
    compliant: bool
    values: dict[str, Any]
    source: Text
    basis: list[_Basis]


class _ReportedFinding(_Body):
    seq: Seq
    hash: Hash
    compliant: bool | None


class ReportBody(_Body):
    """``report``: findings gathered under a title (a consensus target)."""

    title: Text
    summary: Text
    findings: list[_ReportedFinding]


# Verifiable draws -------------------------------------------------------------------


class DrawOpenBody(_Body):
    """``draw_open``: what is drawn from, how many, by whom, and the commit and reveal times."""

    draw: Name
    purpose: Text
    population: list[Name] = Field(min_length=1)
    count: Annotated[int, Field(ge=1)]
    parties: list[Name] = Field(min_length=1)
    commit_by: UtcTime
    reveal_by: UtcTime


class DrawCommitBody(_Body):
    """``draw_commit``: a party's SHA-256 commitment to its secret."""

    draw: Name
    commitment: Hash


class DrawRevealBody(_Body):
    """``draw_reveal``: the secret behind a commitment (32 bytes, hexadecimal)."""

    draw: Name
    secret: Hash


class DrawResultBody(_Body):
    """``draw_result``: the seed and selection anyone recomputes from the ledger."""

    draw: Name
    statement: Hash
    seed: Hash
    selected: list[Name]
    revealed: list[Name]
    defaulted: list[Name]


class _Plan(_Body):
    items: Annotated[int, Field(ge=1)]
    item_mass_kg: Annotated[float, Field(gt=0)]
    goal_kg: Annotated[float, Field(gt=0)]
    beta: Annotated[float, Field(gt=0, lt=1)]


class SamplingPlanBody(_Body):
    """``sampling_plan``: the attribute sampling plan fixed before its draw is opened."""

    draw: Name
    plan: _Plan
    method: Literal["iaea", "exact"]
    defects: Count
    sample_size: Count


# Notifications ----------------------------------------------------------------------


class NotificationBody(_Body):
    """``notification``: a notice of a type the treaty defines, with its fields."""

    ref: Name
    code: Name
    event_time: UtcIsoTime
    fields: dict[str, Any]


class EventBody(_Body):
    """``event``: an event that calls for a notice (a detected launch, an elimination)."""

    code: Name
    party: Name
    event_time: UtcIsoTime
    notice: Name | None = None


class AcknowledgementBody(_Body):
    """``acknowledgement``: the signer acknowledges a notice of ``notifying_party``."""

    notice: Name
    notifying_party: Name


# Committed declarations -------------------------------------


class _Opening(_Body):
    id: Name
    value: Count
    blinding: Hash


class ZkOpeningBody(_Body):
    """``zk_opening``: the openings of the drawn sites of a committed declaration."""

    declaration: Seq
    openings: list[_Opening] = Field(min_length=1)


# Exercise records -------------------------------------------------------------------


class _Magnitude(_Body):
    value: float | None
    stderr: float | None
    n: Count
    status: Name


class _Screen(_Body):
    outcome: Name
    explanation: Text


class _LocatedEvent(_Body):
    origin_utc: IsoTime
    latitude_deg: Annotated[float, Field(ge=-90, le=90)]
    longitude_deg: Annotated[float, Field(ge=-180, le=360)]
    depth_km: float
    depth_fixed: bool
    ellipse_km: Annotated[list[float], Field(min_length=3, max_length=3)]
    rms_s: Annotated[float, Field(ge=0)]
    stations: list[Name]
    magnitudes: dict[Name, _Magnitude]
    screening: dict[Name, _Screen]
    inside_territory: bool
    ims1: Annotated[str, StringConstraints(max_length=200_000)]


class SeismicBulletinBody(_Body):
    """``seismic_bulletin``: one window's detections and picks, its largest located event
    (``event``, if any) and the further events located after it (``further_events``)."""

    window: Name
    start_utc: IsoTime
    end_utc: IsoTime
    stations: Count
    detections: Count
    picks: Count
    event: _LocatedEvent | None
    no_event_reason: Text | None
    further_events: list[_LocatedEvent] = Field(default_factory=list)


class _PresentedItem(_Body):
    item: Name
    type: Name
    item_class: Name
    facility: Name


class ItemDeclarationBody(_Body):
    """``item_declaration``: the items a host presents for dismantlement and the steps."""

    items: list[_PresentedItem] = Field(min_length=1)
    steps: list[Annotated[int, Field(ge=1)]]


class CustodyStepBody(_Body):
    """``custody_step``: the host's record of one dismantlement step."""

    step: Annotated[int, Field(ge=1)]
    name: Name
    items: list[Name]


class CustodyCheckBody(_Body):
    """``custody_check``: the inspectors' chain-of-custody check after a step."""

    step: Annotated[int, Field(ge=1)]
    inspection: Name
    objective: Text
    items: list[Name]
    seals: Name


class SiteBriefingBody(_Body):
    """``site_briefing``: reentry vehicles declared per missile at an inspected site."""

    inspection: Name
    site: Name
    reentry_vehicles: dict[Name, Count]


class AccountingReportBody(_Body):
    """``accounting_report``: one balance period's report, its book data committed only."""

    facility: Name
    campaign: Name
    period: Name
    start: IsoTime
    end: IsoTime
    inventory_changes: Count
    inventory_items: Count
    book_commitment: Hash


class PhysicalInventoryVerificationBody(_Body):
    """``physical_inventory_verification``: the inspectors' verification of an inventory."""

    facility: Name
    inspection: Name
    period: Name
    team_size: Annotated[int, Field(ge=1)]
    days: Annotated[float, Field(gt=0)]
