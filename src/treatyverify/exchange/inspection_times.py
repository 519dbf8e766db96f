"""Times of an inspection report: its span on site against the treaty's duration, and
its treaty year against the date it began.

Kept apart from :mod:`treatyverify.exchange.inspections` (which calls it) so that the
checks read plain values: the inspection type of the specification, the report's
start and end (UTC) and the time it is recorded.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from treatyverify.errors import InputError
from treatyverify.treaty import InspectionType

__all__ = ["check_inspection_times", "treaty_year_of"]


def treaty_year_of(entered_into_force: date, day: date) -> int:
    """Treaty year of ``day``: 1 from entry into force to the day before its first
    anniversary, 2 in the year after, and so on (0 or less before entry into force)."""
    years = day.year - entered_into_force.year
    if (day.month, day.day) < (entered_into_force.month, entered_into_force.day):
        years -= 1
    return years + 1


def check_inspection_times(
    inspection: InspectionType,
    entered_into_force: date | None,
    *,
    treaty_year: int,
    start: datetime | None,
    end: datetime | None,
    recorded: datetime,
    where: str,
) -> None:
    """Refuse inspection times the treaty does not allow.

    Parameters
    ----------
    inspection
        The inspection type of the specification (``duration_hours`` and
        ``extension_hours`` in h, when the treaty states them).
    entered_into_force
        The treaty's entry into force (UTC date), or None when it has none.
    treaty_year
        Treaty year the report claims, from 1.
    start, end
        When the team began and ended the inspection (aware datetimes, UTC); both or
        neither.
    recorded
        Time the report is recorded (UTC); the inspection must have ended by then.
    where
        The report, for error messages (``"inspection <ref>"``).

    Raises
    ------
    InputError
        Only one of start and end; end not after start or after ``recorded``; a span
        longer than ``duration_hours`` plus any ``extension_hours``; a start before
        entry into force or in another treaty year than ``treaty_year``.
    """
    if start is None and end is None:
        return
    if start is None or end is None:
        missing = "start" if start is None else "end"
        raise InputError("give both start and end, or neither", where=f"{where}: {missing}")
    if end <= start:
        raise InputError("the inspection must end after it starts", where=f"{where}: end")
    if end > recorded.astimezone(UTC):
        raise InputError(
            f"the inspection ends after the report is recorded ({recorded.isoformat()})",
            where=f"{where}: end",
        )
    if inspection.duration_hours is not None:
        allowed_h = float(inspection.duration_hours) + float(inspection.extension_hours or 0)
        span_h = (end - start).total_seconds() / 3600.0
        if span_h > allowed_h:
            extension = (
                f" with the extension of {inspection.extension_hours} h"
                if inspection.extension_hours
                else ""
            )
            raise InputError(
                f"{span_h:.2f} h on site exceeds the {allowed_h:g} h a {inspection.name} "
                f"may last{extension} ({inspection.source})",
                where=f"{where}: end",
            )
    if entered_into_force is not None:
        year = treaty_year_of(entered_into_force, start.astimezone(UTC).date())
        if year < 1:
            raise InputError(
                f"the inspection starts before entry into force ({entered_into_force})",
                where=f"{where}: start",
            )
        if year != treaty_year:
            raise InputError(
                f"an inspection starting on {start.astimezone(UTC).date()} is in treaty "
                f"year {year}, not {treaty_year}",
                where=f"{where}: treaty_year",
            )
