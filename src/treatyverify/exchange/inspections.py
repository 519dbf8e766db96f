"""Inspection reports: what the inspection team counted at a drawn site.

The report names the inspection type of the treaty, the site (drawn by a verifiable
draw), the team and the counts observed. It is checked against the parties' roles, the
type's team size and annual quota and, when the report gives its start and end, the
type's duration and the treaty year (:mod:`treatyverify.exchange.inspection_times`).
The findings on a report (counts against the declaration, quotas, durations) are
made by :mod:`treatyverify.compliance.inspections`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator

from treatyverify.errors import InputError, RecordRejectedError, naming
from treatyverify.exchange.inspection_times import check_inspection_times
from treatyverify.records.keys import PartyKey
from treatyverify.records.ledger import Ledger, Record
from treatyverify.treaty import TreatySpec

__all__ = [
    "INSPECTION_KIND",
    "InspectionReport",
    "parse_inspection",
    "submit_inspection",
]

INSPECTION_KIND = "inspection_report"


class InspectionReport(BaseModel):
    """Counts observed by an inspection team at one site.

    Attributes
    ----------
    ref
        Unique reference chosen by the inspecting party.
    inspection_type
        Inspection type identifier from the treaty.
    inspected_party
        The party whose site was inspected.
    site
        The site inspected.
    draw
        Identifier of the verifiable draw that chose the site, if one did.
    treaty_year
        Treaty year of the inspection, from 1 (the year after entry into force).
    team_size
        Number of inspectors.
    observed
        Items counted, by item class.
    start, end
        When the team began and ended the inspection (UTC), optional; both or neither.
    area_km2, linear_extent_km
        Size of the inspection area (km²) and the largest linear distance across it
        (km), optional; checked against the type's maxima when the treaty states them.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    ref: str = Field(min_length=1, max_length=200)
    inspection_type: str
    inspected_party: str
    site: str
    draw: str | None = None
    treaty_year: int = Field(ge=1)
    team_size: int = Field(ge=1)
    observed: dict[str, int]
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None
    area_km2: float | None = Field(default=None, gt=0)
    linear_extent_km: float | None = Field(default=None, gt=0)

    @field_validator("start", "end")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.utcoffset():
            raise ValueError("not in UTC (use Z or +00:00)")
        return value


def parse_inspection(document: Any, *, where: str) -> InspectionReport:
    """Validate an inspection report document (strict JSON types, like the ledger's
    check of the record); InputError naming ``where`` and the first bad field."""
    try:
        return InspectionReport.model_validate_json(json.dumps(document), strict=True)
    except ValidationError as exc:
        error = exc.errors(include_url=False, include_input=False)[0]
        field = ".".join(str(part) for part in error["loc"]) or "(top level)"
        raise InputError(error["msg"], where=f"{where}: {field}") from None


def submit_inspection(
    ledger: Ledger,
    spec: TreatySpec,
    signer: PartyKey,
    report: InspectionReport,
    *,
    time: datetime | None = None,
) -> Record:
    """Check ``report`` against the treaty's inspection rules and append it."""
    where = f"inspection {report.ref}"
    with naming(f"{where}: inspection_type"):
        inspection = spec.inspection(report.inspection_type)
    if "inspecting" not in spec.party(signer.party).roles:
        raise InputError(f"{spec.id} does not list {signer.party} as inspecting", where=where)
    with naming(f"{where}: inspected_party"):
        inspected = spec.party(report.inspected_party)
    if "inspected" not in inspected.roles:
        raise InputError(
            f"{spec.id} does not list {report.inspected_party} as inspected",
            where=f"{where}: inspected_party",
        )
    if report.inspected_party == signer.party:
        raise InputError("a party does not inspect itself", where=f"{where}: inspected_party")
    check_inspection_times(
        inspection,
        spec.entered_into_force,
        treaty_year=report.treaty_year,
        start=report.start,
        end=report.end,
        recorded=datetime.now(UTC) if time is None else time,
        where=where,
    )
    if inspection.team_size is not None and report.team_size > inspection.team_size:
        raise InputError(
            f"team of {report.team_size} exceeds the {inspection.team_size} "
            f"inspectors allowed ({inspection.source})",
            where=f"{where}: team_size",
        )
    for item_class, count in report.observed.items():
        with naming(f"{where}: observed.{item_class}"):
            spec.item_class(item_class)
        if count < 0:
            raise InputError("a count is never negative", where=f"{where}: observed.{item_class}")
        if inspection.may_record and item_class not in inspection.may_record:
            raise InputError(
                f"a {inspection.name} may record only {', '.join(inspection.may_record)} "
                f"({inspection.source})",
                where=f"{where}: observed.{item_class}",
            )
    quota = inspection.quota_for_year(report.treaty_year)
    done = sum(
        1
        for r in ledger.records(kinds=[INSPECTION_KIND])
        if r.party == signer.party
        and r.body.get("inspection_type") == report.inspection_type
        and r.body.get("treaty_year") == report.treaty_year
    )
    if done >= quota:
        raise RecordRejectedError(
            f"the quota of {quota} {inspection.name} inspections in treaty "
            f"year {report.treaty_year} is used up",
            where=where,
        )
    optional = ("start", "end", "area_km2", "linear_extent_km")
    unset = {name for name in optional if getattr(report, name) is None}
    body: dict[str, Any] = report.model_dump(mode="json", exclude=unset)
    return ledger.append(INSPECTION_KIND, body, signer, ref=report.ref, time=time)
