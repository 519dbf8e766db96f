"""Findings on inspection reports: counts against the declaration, and the treaty's
quotas, team sizes, durations, notice periods and area limits.

Submission already refuses a report that breaks these rules
(:func:`~treatyverify.exchange.inspections.submit_inspection`); they are checked again
here on the ledger, so a party re-verifies records it did not write (imported or
written by another implementation). Each rule reads one field of the inspection type
in the treaty and gives one finding per inspecting party and inspection type; a report
that lacks what a stated rule needs (no start and end where a duration is stated) does
not comply, because the rule cannot be shown to hold.

The notice of an inspection is a notification of the inspecting party whose type the
treaty gives with a deadline of exactly the inspection type's ``notice_hours`` before
its event (INF: ``inspection-intent``, 16 h, for baseline, close-out and short-notice
inspections); the notice for a report is the last such one recorded before the
inspection starts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from treatyverify.compliance.findings import Finding
from treatyverify.errors import InputError, SpecError
from treatyverify.exchange.declarations import Declaration
from treatyverify.exchange.inspections import INSPECTION_KIND, InspectionReport, parse_inspection
from treatyverify.notifications.deadlines import parse_utc
from treatyverify.notifications.notices import NOTICE_KIND
from treatyverify.records.ledger import Record
from treatyverify.treaty import InspectionType, TreatySpec

__all__ = [
    "compare_with_declaration",
    "evaluate_area",
    "evaluate_duration",
    "evaluate_notice",
    "evaluate_quota",
    "evaluate_team_size",
    "inspection_reports",
    "reentry_vehicle_finding",
]


def compare_with_declaration(
    report_record: Record, declaration: tuple[Record, Declaration]
) -> Finding:
    """Compare the counts of an inspection with the declaration for the inspected site."""
    report = InspectionReport.model_validate(report_record.body)
    declaration_record, declared = declaration
    at_site = {h.item_class: h.count for h in declared.holdings if h.site == report.site}
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


def reentry_vehicle_finding(
    *,
    report: Record,
    briefing: Record,
    host: str,
    missile: str,
    briefed: int,
    counted: int,
    source: str,
) -> Finding:
    """Reentry vehicles counted on one missile against the number the host briefed for
    it (rule ``inspection:reentry-vehicles``).

    Parameters
    ----------
    report, briefing
        The inspection report and the site briefing records.
    host, missile
        The inspected party and the missile.
    briefed, counted
        Reentry vehicles briefed and counted.
    source
        The treaty text of the count (New START Article XI.2).
    """
    ref = InspectionReport.model_validate(report.body)
    verdict = "matches" if counted == briefed else "differs from"
    return Finding(
        rule="inspection:reentry-vehicles",
        subject=host,
        statement=(
            f"inspection {ref.ref} at {ref.site}: {counted} reentry vehicles counted on "
            f"missile {missile}, which {verdict} the {briefed} briefed"
        ),
        compliant=counted == briefed,
        values={"item": missile, "site": ref.site, "briefed": briefed, "counted": counted},
        source=source,
        basis=(briefing, report),
    )


@dataclass(frozen=True)
class _Report:
    record: Record
    report: InspectionReport


def inspection_reports(spec: TreatySpec, records: Iterable[Record]) -> list[_Report]:
    """The readable inspection reports of types ``spec`` defines, in ledger order."""
    types = {i.id for i in spec.inspections}
    found: list[_Report] = []
    for record in records:
        if record.kind != INSPECTION_KIND:
            continue
        try:
            report = parse_inspection(record.body, where=f"record {record.seq}")
        except InputError:
            continue  # the record registry refuses such bodies on every write path
        if report.inspection_type in types:
            found.append(_Report(record, report))
    return found


def _groups(
    spec: TreatySpec, reports: Sequence[_Report], stated: str
) -> Iterable[tuple[InspectionType, str, list[_Report]]]:
    """(type, inspecting party, its reports) for every type that states ``stated``."""
    for inspection in spec.inspections:
        if getattr(inspection, stated) is None and not (
            stated == "annual_quota" and inspection.quota_by_period
        ):
            continue
        of_type = [r for r in reports if r.report.inspection_type == inspection.id]
        for party in sorted({r.record.party for r in of_type}):
            yield inspection, party, [r for r in of_type if r.record.party == party]


def _finding(
    rule: str,
    inspection: InspectionType,
    party: str,
    reports: list[_Report],
    breaches: list[tuple[_Report, str]],
    what: str,
    values: dict[str, Any],
) -> Finding:
    compliant = not breaches
    refs = ", ".join(r.report.ref for r in reports)
    if compliant:
        statement = f"{party}'s {len(reports)} {inspection.name} report(s) ({refs}): {what}"
    else:
        listed = "; ".join(f"{r.report.ref}: {why}" for r, why in breaches)
        statement = f"{party}'s {inspection.name} reports break the rule ({what}): {listed}"
    return Finding(
        rule=f"{rule}:{inspection.id}",
        subject=party,
        statement=statement,
        compliant=compliant,
        values={
            **values,
            "reports": [r.report.ref for r in reports],
            "breaches": [r.report.ref for r, _ in breaches],
        },
        source=inspection.source,
        basis=tuple(r.record for r in reports),
    )


def _unreadable(spec: TreatySpec, records: list[Record], read: set[int]) -> list[Finding]:
    """A non-compliant ``inspection:well-formed`` finding for each inspection report that
    does not parse or names an inspection type the treaty does not have."""
    return [
        Finding(
            rule="inspection:well-formed",
            subject=record.party,
            statement=(
                f"inspection report record {record.seq} of {record.party} cannot be read "
                f"against treaty {spec.id} (its type: {record.body.get('inspection_type')!r}); "
                "the quotas are counted without it"
            ),
            compliant=False,
            values={"seq": record.seq},
            source=f"treaty {spec.id}: inspections (the types a report may name)",
            basis=(record,),
        )
        for record in records
        if record.kind == INSPECTION_KIND and record.seq not in read
    ]


def _quota(inspection: InspectionType, year: int) -> int:
    """Inspections allowed in treaty ``year``: none in a year no quota period covers."""
    try:
        return inspection.quota_for_year(year)
    except SpecError:
        if inspection.quota_by_period:
            return 0
        raise


def evaluate_quota(spec: TreatySpec, records: Iterable[Record]) -> list[Finding]:
    """Inspections of each type per inspecting party and treaty year within the
    ``annual_quota`` or ``quota_by_period``; rule ``inspection-quota:<type>``. A report
    that cannot be read gives an ``inspection:well-formed`` finding instead."""
    ledger = list(records)
    reports = inspection_reports(spec, ledger)
    findings = _unreadable(spec, ledger, {r.record.seq for r in reports})
    for inspection, party, mine in _groups(spec, reports, "annual_quota"):
        years = sorted({r.report.treaty_year for r in mine})
        breaches: list[tuple[_Report, str]] = []
        used: dict[str, int] = {}
        for year in years:
            in_year = [r for r in mine if r.report.treaty_year == year]
            quota = _quota(inspection, year)
            used[str(year)] = len(in_year)
            breaches += [
                (r, f"inspection {n} of a quota of {quota} in treaty year {year}")
                for n, r in enumerate(in_year, start=1)
                if n > quota
            ]
        findings.append(
            _finding(
                "inspection-quota",
                inspection,
                party,
                mine,
                breaches,
                "within the quota of each treaty year",
                {
                    "used_by_year": used,
                    "quota_by_year": {str(y): _quota(inspection, y) for y in years},
                },
            )
        )
    return findings


def evaluate_team_size(spec: TreatySpec, records: Iterable[Record]) -> list[Finding]:
    """Teams no larger than the type's ``team_size``; rule ``inspection-team-size:<type>``."""
    findings: list[Finding] = []
    for inspection, party, mine in _groups(spec, inspection_reports(spec, records), "team_size"):
        limit = inspection.require("team_size")
        breaches = [
            (r, f"team of {r.report.team_size}") for r in mine if r.report.team_size > limit
        ]
        what = f"teams of at most {limit} inspectors"
        findings.append(
            _finding(
                "inspection-team-size",
                inspection,
                party,
                mine,
                breaches,
                what,
                {"team_size": limit},
            )
        )
    return findings


def evaluate_duration(spec: TreatySpec, records: Iterable[Record]) -> list[Finding]:
    """Time on site no longer than ``duration_hours`` plus any ``extension_hours``;
    rule ``inspection-duration:<type>``. A report without start and end breaks it."""
    findings: list[Finding] = []
    for inspection, party, mine in _groups(
        spec, inspection_reports(spec, records), "duration_hours"
    ):
        allowed_h = float(inspection.require("duration_hours")) + float(
            inspection.extension_hours or 0
        )
        breaches: list[tuple[_Report, str]] = []
        for r in mine:
            if r.report.start is None or r.report.end is None:
                breaches.append((r, "gives no start and end, so its duration is unknown"))
                continue
            span_h = (r.report.end - r.report.start).total_seconds() / 3600.0
            if span_h > allowed_h:
                breaches.append((r, f"{span_h:.2f} h on site"))
        what = f"at most {allowed_h:g} h on site, extension included"
        findings.append(
            _finding(
                "inspection-duration",
                inspection,
                party,
                mine,
                breaches,
                what,
                {"allowed_hours": allowed_h},
            )
        )
    return findings


def evaluate_area(spec: TreatySpec, records: Iterable[Record]) -> list[Finding]:
    """Inspection areas within ``max_area_km2`` and ``max_linear_extent_km``; rules
    ``inspection-area:<type>`` and ``inspection-extent:<type>``. A report that does not
    give the size breaks the rule."""
    reports = inspection_reports(spec, records)
    findings: list[Finding] = []
    for stated, field, rule, unit in (
        ("max_area_km2", "area_km2", "inspection-area", "km²"),
        ("max_linear_extent_km", "linear_extent_km", "inspection-extent", "km"),
    ):
        for inspection, party, mine in _groups(spec, reports, stated):
            limit = float(inspection.require(stated))
            breaches: list[tuple[_Report, str]] = []
            for r in mine:
                value = getattr(r.report, field)
                if value is None:
                    breaches.append((r, f"gives no {field}"))
                elif value > limit:
                    breaches.append((r, f"{field} {value:g} {unit}"))
            what = f"{field} at most {limit:g} {unit}"
            findings.append(
                _finding(rule, inspection, party, mine, breaches, what, {stated: limit})
            )
    return findings


def _notice_times(
    spec: TreatySpec, records: Sequence[Record], hours: float
) -> dict[str, list[datetime]]:
    """Record times of each party's notices of types due ``hours`` before their event."""
    codes = {
        n.code
        for n in spec.notifications
        if n.deadline.relation == "before" and float(n.deadline.hours) == hours
    }
    times: dict[str, list[datetime]] = {}
    for record in records:
        if record.kind == NOTICE_KIND and record.body.get("code") in codes:
            moment = parse_utc(record.time, where=f"record {record.seq}: time")
            times.setdefault(record.party, []).append(moment)
    return times


def evaluate_notice(spec: TreatySpec, records: Iterable[Record]) -> list[Finding]:
    """The inspecting party's notice recorded at least ``notice_hours`` before each
    inspection starts; rule ``inspection-notice:<type>`` (see the module doc)."""
    ledger = list(records)
    findings: list[Finding] = []
    for inspection, party, mine in _groups(spec, inspection_reports(spec, ledger), "notice_hours"):
        hours = float(inspection.require("notice_hours"))
        times = _notice_times(spec, ledger, hours).get(party, [])
        breaches: list[tuple[_Report, str]] = []
        for r in mine:
            start = r.report.start
            if start is None:
                breaches.append((r, "gives no start, so its notice cannot be checked"))
                continue
            before = [t for t in times if t <= start]
            if not before:
                breaches.append((r, f"no notice of {hours:g} h recorded before it started"))
            elif max(before) > start - timedelta(hours=hours):
                given_h = (start - max(before)).total_seconds() / 3600.0
                breaches.append((r, f"notice recorded only {given_h:.2f} h before the start"))
        what = f"notice recorded at least {hours:g} h before the start"
        findings.append(
            _finding(
                "inspection-notice",
                inspection,
                party,
                mine,
                breaches,
                what,
                {"notice_hours": hours},
            )
        )
    return findings
