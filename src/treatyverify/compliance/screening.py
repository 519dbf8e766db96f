"""Findings of test-ban monitoring: an event located in the host's territory and not
screened out requires consultation and clarification (CTBT Article IV, paragraphs
29-34), and may lead to an on-site inspection request.

The monitoring pipeline (:mod:`treatyverify.monitoring.seismic`) locates and screens
the events of a window; :func:`screening_finding` turns the window's result into the
finding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from treatyverify.compliance.findings import Finding
from treatyverify.monitoring.seismic.locate import Location, Pick
from treatyverify.monitoring.seismic.magnitude import NetworkMagnitude
from treatyverify.monitoring.seismic.screening import ScreeningDecision
from treatyverify.records.ledger import Record
from treatyverify.treaty import TreatySpec

__all__ = [
    "SCREENING_RULE",
    "SCREENING_SOURCE",
    "EventResult",
    "WindowResult",
    "screening_finding",
]

SCREENING_RULE = "monitoring:event-screening"
"""Rule id of the findings on monitoring windows."""

SCREENING_SOURCE = (
    "CTBT Article IV, paragraphs 29-34 (consultation and clarification of an event; "
    "request for an on-site inspection); Protocol Part I, paragraph 17 and Annex 2 to the "
    "Protocol (event screening); criteria from the treaty specification"
)


@dataclass(frozen=True)
class EventResult:
    """One located event of a window.

    Attributes
    ----------
    location
        The location.
    used
        The picks the location used.
    magnitudes
        Network magnitudes (mb, Ms_20, ML), computed or not.
    screening
        Screening decisions, one per criterion.
    inside
        Whether the epicentre is inside the host's territory.
    """

    location: Location
    used: tuple[Pick, ...]
    magnitudes: tuple[NetworkMagnitude, ...]
    screening: tuple[ScreeningDecision, ...]
    inside: bool

    @property
    def requires_consultation(self) -> bool:
        """Inside the territory, and no criterion screened it out."""
        return self.inside and not any(d.screened_out for d in self.screening)


@dataclass(frozen=True)
class WindowResult:
    """What the monitoring found in one window.

    Attributes
    ----------
    detections, picks
        Numbers of detections and of stations with a vertical detection.
    events
        The located events, the largest first (see :func:`.pipeline.locate_events`).
    reason
        Why no event was located (empty when one was).
    """

    detections: int
    picks: int
    events: tuple[EventResult, ...]
    reason: str

    @property
    def requires_consultation(self) -> bool:
        """Some located event requires consultation and clarification."""
        return any(e.requires_consultation for e in self.events)

    @property
    def decisive(self) -> EventResult | None:
        """The event the window's finding is about: the first that requires
        consultation, else the largest; ``None`` without an event."""
        flagged = [e for e in self.events if e.requires_consultation]
        chosen = flagged or list(self.events)
        return chosen[0] if chosen else None


def screening_finding(
    *,
    spec: TreatySpec,
    host: str,
    inspection_id: str,
    window_id: str,
    result: WindowResult,
    record: Record,
    osi: bool,
) -> Finding:
    """The window's finding: non-compliance for an event requiring consultation.

    Parameters
    ----------
    spec
        The treaty (its inspection type ``inspection_id`` and its ``max_area_km2``).
    host
        The party whose territory is monitored.
    window_id, result, record
        The monitoring window, what was found in it, and its bulletin record.
    osi
        Whether an on-site inspection is requested for it.
    """
    event = result.decisive
    if event is None or not event.requires_consultation:
        where = (
            "no event was located"
            if event is None
            else (
                "the located event is outside the host's territory"
                if len(result.events) == 1 and not event.inside
                else (
                    "the located event was screened out as natural"
                    if len(result.events) == 1
                    else f"none of the {len(result.events)} located events is inside the "
                    "host's territory and not screened out"
                )
            )
        )
        return Finding(
            SCREENING_RULE,
            host,
            f"{window_id}: {where}",
            True,
            {"item": window_id},
            SCREENING_SOURCE,
            (record,),
        )
    location = event.location
    inspection = spec.inspection(inspection_id)
    ellipse = location.ellipse
    area = math.pi * ellipse.semi_major_km * ellipse.semi_minor_km
    max_area = float(inspection.require("max_area_km2"))
    outcomes = {d.criterion: d.outcome for d in event.screening}
    statement = (
        f"{window_id}: event at {location.latitude_deg:.3f} N {location.longitude_deg:.3f} E, "
        f"{location.origin_time.isoformat()}Z, inside the territory of {host} and not screened "
        f"out ({', '.join(f'{k}: {v}' for k, v in sorted(outcomes.items()))}): an event "
        "requiring consultation and clarification"
        + (f"; {inspection.id} requested" if osi else "; no on-site inspection request left")
    )
    values = {
        "item": window_id,
        "latitude_deg": round(location.latitude_deg, 4),
        "longitude_deg": round(location.longitude_deg, 4),
        "stations": len(event.used),
        "screening": outcomes,
        "ellipse_area_km2": round(area, 1),
        "ellipse_within_inspection_area": area <= max_area,
        "inspection_requested": osi,
    }
    return Finding(SCREENING_RULE, host, statement, False, values, SCREENING_SOURCE, (record,))
