"""Inspection reports: what the inspection team counted at a drawn site.

The report names the inspection type of the treaty, the site (drawn by a verifiable
draw), the team and the counts observed. It is checked against the type's team size
and annual quota, and compared with the inspected party's declaration at that site.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from treatyverify.compliance.findings import Finding
from treatyverify.errors import InputError, RecordRejectedError
from treatyverify.exchange.declarations import Declaration, DeclaredHolding
from treatyverify.records.keys import PartyKey
from treatyverify.records.ledger import Ledger, Record
from treatyverify.treaty import TreatySpec

__all__ = ["INSPECTION_KIND", "InspectionReport", "compare_with_declaration", "submit_inspection"]

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
    inspection = spec.inspection(report.inspection_type)
    spec.party(report.inspected_party)
    if report.inspected_party == signer.party:
        raise InputError("a party does not inspect itself", where=f"{where}: inspected_party")
    if inspection.team_size is not None and report.team_size > inspection.team_size:
        raise InputError(
            f"team of {report.team_size} exceeds the {inspection.team_size} "
            f"inspectors allowed ({inspection.source})",
            where=f"{where}: team_size",
        )
    for item_class, count in report.observed.items():
        spec.item_class(item_class)
        if count < 0:
            raise InputError("a count is never negative", where=f"{where}: observed.{item_class}")
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
    body: dict[str, Any] = report.model_dump(mode="json")
    return ledger.append(INSPECTION_KIND, body, signer, ref=report.ref, time=time)


def compare_with_declaration(
    report_record: Record, declaration: tuple[Record, Declaration]
) -> Finding:
    """Compare the counts of an inspection with the declaration for the inspected site."""
    report = InspectionReport.model_validate(report_record.body)
    declaration_record, declared = declaration
    at_site: dict[str, int] = {}
    for holding in _at_site(declared.holdings, report.site):
        at_site[holding.item_class] = holding.count
    differences = {
        item_class: {"declared": at_site.get(item_class, 0), "observed": observed}
        for item_class, observed in sorted(report.observed.items())
        if at_site.get(item_class, 0) != observed
    }
    compliant = not differences
    if compliant:
        statement = (
            f"inspection {report.ref} at {report.site}: the counts observed match "
            f"{report.inspected_party}'s declaration {declared.ref}"
        )
    else:
        listed = "; ".join(
            f"{c} declared {v['declared']}, observed {v['observed']}"
            for c, v in differences.items()
        )
        statement = (
            f"inspection {report.ref} at {report.site}: counts differ from "
            f"declaration {declared.ref}: {listed}"
        )
    return Finding(
        rule="inspection:declared-counts",
        subject=report.inspected_party,
        statement=statement,
        compliant=compliant,
        values={
            "site": report.site,
            "observed": dict(sorted(report.observed.items())),
            "declared": {c: at_site.get(c, 0) for c in sorted(report.observed)},
            "differences": differences,
        },
        source="declared holdings at the inspected site",
        basis=(declaration_record, report_record),
    )


def _at_site(holdings: Iterable[DeclaredHolding], site: str) -> Iterable[DeclaredHolding]:
    return (h for h in holdings if h.site == site)
