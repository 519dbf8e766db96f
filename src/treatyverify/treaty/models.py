"""Typed models of a treaty specification.

A :class:`TreatySpec` is plain, frozen data read from one YAML file in
``src/treatyverify/treaties/``. Every section is optional, because treaties differ
(a test-ban treaty has no delivery-vehicle limits), but every section that is present
is validated: identifiers are unique, cross-references resolve, probabilities lie in
(0, 1), numbers are not negative and every entry that holds a number carries a
non-empty ``source`` naming the public text the number comes from.

Errors raised by the accessors
------------------------------
* :class:`~treatyverify.errors.SpecError` when *code* asks for a parameter the
  treaty does not define (a limit, an inspection type, a notification, a method
  parameter, the sampling section ...). Its ``where`` names the treaty and the field,
  for example ``"treaty new-start: limits.x"``.
* :class:`~treatyverify.errors.UnknownNameError` when a *user-supplied* name of a
  party or an item class is not in the treaty (for example in a declaration).

Both are subclasses of :class:`~treatyverify.errors.InputError`.
"""

from __future__ import annotations

import calendar
import hashlib
import itertools
import json
import math
import re
from collections.abc import Iterable, Iterator
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    PrivateAttr,
    StrictBool,
    StrictInt,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    model_validator,
)

from treatyverify.canonical import canonical_bytes
from treatyverify.errors import SpecError, UnknownNameError
from treatyverify.treaty.fielddocs import describe_fields
from treatyverify.treaty.rules import CountingRule

__all__ = [
    "CommittedDeclarationSpec",
    "Deadline",
    "DeclarationSchedule",
    "DeclaredAbsorber",
    "DetectorKind",
    "DismantlementStep",
    "DueRule",
    "EfficiencyCurve",
    "InspectionType",
    "InstrumentProfile",
    "ItemClass",
    "Limit",
    "MethodSpec",
    "MonitoringNetwork",
    "MonitoringSpec",
    "NotificationType",
    "Party",
    "QuotaPeriod",
    "RangeBand",
    "SamplingSpec",
    "ScreeningCriterion",
    "SignificantQuantity",
    "Stage",
    "TimelinessGoal",
    "TreatySpec",
]

# ---------------------------------------------------------------------------
# Field types
# ---------------------------------------------------------------------------

_SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
_METHOD = r"^[a-z0-9]+(?:[-.][a-z0-9]+)*$"
_FIELD_NAME = r"^[a-z][a-z0-9_]*$"

Slug = Annotated[str, StringConstraints(strict=True, pattern=_SLUG)]
"""Lower-case identifier with hyphens, e.g. ``"new-start"``."""

MethodName = Annotated[str, StringConstraints(strict=True, pattern=_METHOD)]
"""Dotted method name, e.g. ``"gamma.pu240-pu239-ratio"``."""

FieldName = Annotated[str, StringConstraints(strict=True, pattern=_FIELD_NAME)]
"""Name of a record field or parameter, e.g. ``"planned_launch_date"``."""

Text = Annotated[str, StringConstraints(strict=True, strip_whitespace=True, min_length=1)]
"""Non-empty, stripped text."""

Source = Text
"""Public source of a number: treaty, article and paragraph, or report and section."""


def _number(value: object) -> int | float:
    """Accept a finite int or float, but not a bool or a string."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("Input should be a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("Input should be a finite number")
    return value


def _non_negative(value: int | float) -> int | float:
    if value < 0:
        raise ValueError("Input should be greater than or equal to 0")
    return value


def _positive(value: int | float) -> int | float:
    if value <= 0:
        raise ValueError("Input should be greater than 0")
    return value


def _probability(value: int | float) -> int | float:
    if not 0 < value < 1:
        raise ValueError("Input should be a probability strictly between 0 and 1")
    return value


Number = Annotated[int | float, PlainValidator(_number), WithJsonSchema({"type": "number"})]
NonNegative = Annotated[
    int | float,
    PlainValidator(_number),
    AfterValidator(_non_negative),
    WithJsonSchema({"type": "number", "minimum": 0}),
]
Positive = Annotated[
    int | float,
    PlainValidator(_number),
    AfterValidator(_positive),
    WithJsonSchema({"type": "number", "exclusiveMinimum": 0}),
]
Probability = Annotated[
    float | int,
    PlainValidator(_number),
    AfterValidator(_probability),
    WithJsonSchema({"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}),
]
Count = Annotated[StrictInt, Field(ge=0)]
Scalar = StrictBool | StrictInt | Number | Text
"""A parameter value: bool, int, float or non-empty string."""

Role = Literal[
    "inspecting",
    "inspected",
    "notifying",
    "notified",
    "technical-secretariat",
    "observer",
]
Status = Literal["in-force", "not-in-force", "terminated", "expired", "notional"]
StageKind = Literal[
    "data-exchange-and-notifications",
    "inspections",
    "item-authentication",
    "material-accountancy",
    "monitoring",
]
Technology = Literal["seismic", "infrasound", "hydroacoustic", "radionuclide"]

_EFFECTIVE_RULE = re.compile(
    r"^(?P<n>\d+) (?P<unit>years?|months?|days?) after (?P<ref>entry into force|signature)$"
)


def _check_effective(value: date | str) -> date | str:
    if isinstance(value, str) and not _EFFECTIVE_RULE.match(value):
        raise ValueError(
            "Input should be a date or a rule like '7 years after entry into force' "
            "(units: years, months, days; reference: entry into force or signature)"
        )
    return value


EffectiveRule = Annotated[date | str, AfterValidator(_check_effective)]


def _add_months(start: date, months: int) -> date:
    """Calendar arithmetic: ``start`` plus ``months``, clipped to the month's last day."""
    total = start.year * 12 + (start.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


# ---------------------------------------------------------------------------
# Base classes
# ---------------------------------------------------------------------------


class _Frozen(BaseModel):
    """Frozen model that rejects unknown fields."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", validate_default=True, json_schema_extra=describe_fields
    )


class _Bound(_Frozen):
    """An entry that knows which treaty it belongs to, to name it in errors."""

    _treaty: str | None = PrivateAttr(default=None)

    def _bind(self, treaty_id: str) -> None:
        self._treaty = treaty_id

    def _where(self, field: str) -> str:
        return f"treaty {self._treaty}: {field}" if self._treaty else field


def _duplicates(values: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    dups: list[str] = []
    for v in values:
        if v in seen and v not in dups:
            dups.append(v)
        seen.add(v)
    return dups


# ---------------------------------------------------------------------------
# Entries
# ---------------------------------------------------------------------------


class Party(_Frozen):
    """A party to the treaty, or an organisation with a role in it.

    Parameters
    ----------
    id
        Slug, e.g. ``"us"``, ``"ru"``, ``"cn"``.
    name
        Full name.
    roles
        What the party does under the treaty (``"inspecting"``, ``"inspected"``,
        ``"notifying"``, ``"notified"``, ``"technical-secretariat"``, ``"observer"``).
    """

    id: Slug
    name: Text
    roles: tuple[Role, ...] = Field(min_length=1)


class RangeBand(_Frozen):
    """A band of missile range, in kilometres.

    Parameters
    ----------
    lower_km
        Lower bound of the range, km.
    lower_inclusive
        Whether a missile of exactly ``lower_km`` is inside the band.
    upper_km
        Upper bound, km, or ``None`` for no upper bound.
    upper_inclusive
        Whether a missile of exactly ``upper_km`` is inside the band.
    """

    lower_km: NonNegative
    lower_inclusive: StrictBool
    upper_km: NonNegative | None = None
    upper_inclusive: StrictBool = True

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.upper_km is not None and self.upper_km < self.lower_km:
            raise ValueError("upper_km must not be below lower_km")
        return self

    def contains(self, range_km: float) -> bool:
        """Whether a missile of ``range_km`` (km) falls in the band."""
        above = range_km >= self.lower_km if self.lower_inclusive else range_km > self.lower_km
        if self.upper_km is None:
            return above
        below = range_km <= self.upper_km if self.upper_inclusive else range_km < self.upper_km
        return above and below


class ItemClass(_Frozen):
    """A class of treaty-accountable items whose declared numbers can be counted.

    Parameters
    ----------
    id
        Slug, e.g. ``"deployed-icbm"``.
    name, description
        Human-readable name and the treaty definition in brief.
    unit
        Counting unit, e.g. ``"missile"``, ``"launcher"``, ``"warhead"``, ``"kg"``.
    deployed
        ``True`` or ``False`` where the treaty distinguishes deployed items,
        otherwise ``None``.
    range_km
        Range band (km) that defines the class, where the treaty defines one.
    source
        Article and paragraph that define the class.
    """

    id: Slug
    name: Text
    description: Text
    unit: Text
    deployed: StrictBool | None = None
    range_km: RangeBand | None = None
    source: Source


class Limit(_Bound):
    """A numerical limit on the sum of declared counts of some item classes.

    Parameters
    ----------
    id
        Slug, e.g. ``"warheads"``.
    description
        What is limited.
    counts
        Item-class ids whose declared counts add up against the limit.
    maximum
        Largest allowed sum, in ``unit`` (>= 0).
    unit
        Unit of ``maximum``.
    effective
        Date from which the limit applies, or a rule such as
        ``"7 years after entry into force"``.
    source
        Article and paragraph.
    """

    id: Slug
    description: Text
    counts: tuple[Slug, ...] = Field(min_length=1)
    maximum: NonNegative
    unit: Text
    effective: EffectiveRule
    source: Source

    def effective_date(self, *, signed: date | None, entered_into_force: date | None) -> date:
        """Date (UTC calendar day) from which the limit applies.

        Parameters
        ----------
        signed, entered_into_force
            The treaty's dates of signature and entry into force.

        Raises
        ------
        SpecError
            If the rule refers to a date the treaty does not have.
        """
        if isinstance(self.effective, date):
            return self.effective
        match = _EFFECTIVE_RULE.match(self.effective)
        if match is None:  # pragma: no cover - excluded by validation
            raise SpecError("unreadable effective rule", where=self._where(f"limits.{self.id}"))
        ref = entered_into_force if match["ref"] == "entry into force" else signed
        if ref is None:
            raise SpecError(
                f"limit takes effect {self.effective!r}, but the treaty has no date of "
                f"{match['ref']}",
                where=self._where(f"limits.{self.id}.effective"),
            )
        n, unit = int(match["n"]), match["unit"].rstrip("s")
        if unit == "year":
            return _add_months(ref, 12 * n)
        if unit == "month":
            return _add_months(ref, n)
        return date.fromordinal(ref.toordinal() + n)


class DueRule(_Frozen):
    """When a declaration is due. At least one field is set.

    Parameters
    ----------
    days_after_entry_into_force
        Due this many days after entry into force (days).
    days_after_signature
        Due this many days after signature (days).
    interval_months
        Repeats every this many months (months).
    days_after_period_end
        For periodic declarations: due this many days after each period ends (days).
    days_after_event
        For declarations on change: due this many days after the change (days).
    first_period_starts
        For periodic declarations: when the first period begins, ``"entry-into-force"``
        or ``"month-after-entry-into-force"`` (the first day of the month after the
        month of entry into force).
    """

    days_after_entry_into_force: Count | None = None
    days_after_signature: Count | None = None
    interval_months: Annotated[StrictInt, Field(ge=1)] | None = None
    days_after_period_end: Count | None = None
    days_after_event: Count | None = None
    first_period_starts: Literal["entry-into-force", "month-after-entry-into-force"] | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if all(v is None for v in self.model_dump().values()):
            raise ValueError("a due rule needs at least one of its fields")
        return self


class DeclarationSchedule(_Frozen):
    """A data declaration the parties exchange.

    Parameters
    ----------
    id
        Slug, e.g. ``"initial-database"``.
    kind
        ``"initial"``, ``"periodic"`` or ``"on-change"``.
    description
        What is declared.
    due
        When it is due.
    required_fields
        Fields each declaration must contain.
    source
        Article and paragraph.
    """

    id: Slug
    kind: Literal["initial", "periodic", "on-change"]
    description: Text
    due: DueRule
    required_fields: tuple[FieldName, ...] = ()
    source: Source

    @model_validator(mode="after")
    def _kind_matches_due(self) -> Self:
        if self.kind == "periodic" and self.due.interval_months is None:
            raise ValueError("a periodic declaration needs due.interval_months")
        if self.kind == "periodic" and (
            self.due.first_period_starts is None or self.due.days_after_period_end is None
        ):
            missing = (
                "days_after_period_end"
                if self.due.days_after_period_end is None
                else "first_period_starts"
            )
            raise ValueError(f"due.{missing}: a periodic declaration needs it to have a due date")
        if self.kind == "initial" and (
            self.due.days_after_entry_into_force is None and self.due.days_after_signature is None
        ):
            raise ValueError(
                "due.days_after_entry_into_force: an initial declaration needs it "
                "(or due.days_after_signature) to have a due date"
            )
        if self.kind == "on-change" and self.due.days_after_event is None:
            raise ValueError("an on-change declaration needs due.days_after_event")
        return self


class Deadline(_Frozen):
    """Deadline of a notification relative to an event.

    Parameters
    ----------
    relation
        ``"before"`` or ``"after"`` the reference event.
    hours
        Hours before or after the event (h, >= 0).
    reference
        The event, e.g. ``"planned launch"``.
    """

    relation: Literal["before", "after"]
    hours: NonNegative
    reference: Text


class NotificationType(_Frozen):
    """A notification a party must give.

    Parameters
    ----------
    code
        Short slug, e.g. ``"launch"``.
    name, trigger
        Name and the event that requires the notification.
    deadline
        When the notification must be given.
    applies_to
        Item-class ids the notification concerns (may be empty).
    required_fields
        Fields each notification must contain.
    conditions
        Further treaty parameters that decide whether a notice is due
        (e.g. a range threshold in km).
    source
        Article and paragraph.
    """

    code: Slug
    name: Text
    trigger: Text
    deadline: Deadline
    applies_to: tuple[Slug, ...] = ()
    required_fields: tuple[FieldName, ...] = ()
    conditions: dict[FieldName, Scalar] = Field(default_factory=dict)
    source: Source


class QuotaPeriod(_Frozen):
    """Inspection quota for a span of treaty years.

    Parameters
    ----------
    from_year, to_year
        First and last treaty year of the span, counted from 1 at entry into force
        (inclusive).
    per_year
        Inspections allowed in each year of the span.
    source
        Article and paragraph.
    """

    from_year: Annotated[StrictInt, Field(ge=1)]
    to_year: Annotated[StrictInt, Field(ge=1)]
    per_year: Count
    source: Source

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.to_year < self.from_year:
            raise ValueError("to_year must not be before from_year")
        return self


class InspectionType(_Bound):
    """A type of on-site inspection.

    Parameters
    ----------
    id
        Slug, e.g. ``"type-one"``.
    name, purpose
        Name and what the inspection confirms.
    annual_quota
        Inspections of this type allowed per treaty year, if a fixed number.
    quota_by_period
        Quotas that change over the treaty's life (not with ``annual_quota``).
    notice_hours
        Advance notice the inspecting party gives (h).
    duration_hours
        Longest time on site or in country (h).
    extension_hours
        Longest extension of ``duration_hours`` (h).
    team_size
        Largest number of inspectors in a team.
    max_area_km2
        Largest inspection area (km²).
    max_linear_extent_km
        Largest linear distance across the inspection area (km).
    may_record
        Item classes whose counts a report of this type may record; empty: any class of
        the treaty.
    source
        Article and paragraph for every number in the entry.
    """

    id: Slug
    name: Text
    purpose: Text
    may_record: tuple[Slug, ...] = ()
    annual_quota: Count | None = None
    quota_by_period: tuple[QuotaPeriod, ...] = ()
    notice_hours: NonNegative | None = None
    duration_hours: Positive | None = None
    extension_hours: NonNegative | None = None
    team_size: Annotated[StrictInt, Field(ge=1)] | None = None
    max_area_km2: Positive | None = None
    max_linear_extent_km: Positive | None = None
    source: Source

    @model_validator(mode="after")
    def _one_quota(self) -> Self:
        if self.annual_quota is not None and self.quota_by_period:
            raise ValueError("give either annual_quota or quota_by_period, not both")
        periods = sorted(self.quota_by_period, key=lambda p: p.from_year)
        for earlier, later in itertools.pairwise(periods):
            if later.from_year <= earlier.to_year:
                raise ValueError(
                    f"quota periods {earlier.from_year}-{earlier.to_year} and "
                    f"{later.from_year}-{later.to_year} overlap"
                )
        return self

    def quota_for_year(self, year_index: int) -> int:
        """Number of inspections of this type allowed in a treaty year.

        Parameters
        ----------
        year_index
            Treaty year, 1 for the first year after entry into force.

        Raises
        ------
        SpecError
            If the treaty sets no quota for this inspection type, or none for that year.
        """
        if year_index < 1:
            raise SpecError(
                f"treaty years are counted from 1, got {year_index}",
                where=self._where(f"inspections.{self.id}"),
            )
        if self.annual_quota is not None:
            return self.annual_quota
        if not self.quota_by_period:
            raise SpecError(
                "no annual_quota or quota_by_period in the specification",
                where=self._where(f"inspections.{self.id}.annual_quota"),
            )
        for period in self.quota_by_period:
            if period.from_year <= year_index <= period.to_year:
                return period.per_year
        raise SpecError(
            f"quota_by_period covers no treaty year {year_index}",
            where=self._where(f"inspections.{self.id}.quota_by_period"),
        )

    def require(self, field: str) -> Any:
        """Value of an optional numeric field, or :class:`SpecError` if absent.

        Parameters
        ----------
        field
            One of ``notice_hours``, ``duration_hours``, ``extension_hours``,
            ``team_size``, ``max_area_km2``, ``max_linear_extent_km``.
        """
        if field not in {
            "notice_hours",
            "duration_hours",
            "extension_hours",
            "team_size",
            "max_area_km2",
            "max_linear_extent_km",
        }:
            raise SpecError(
                f"inspection types have no field {field!r}",
                where=self._where(f"inspections.{self.id}.{field}"),
            )
        value = getattr(self, field)
        if value is None:
            raise SpecError(
                f"no {field} in the specification",
                where=self._where(f"inspections.{self.id}.{field}"),
            )
        return value


class MethodSpec(_Bound):
    """A technical verification method applied to an item class.

    Parameters
    ----------
    id
        Slug, unique in the treaty, e.g. ``"pu-isotopic-ratio"``.
    item_class
        Item-class id the method applies to.
    method
        Plugin name, e.g. ``"gamma.pu240-pu239-ratio"``, ``"unique-identifier"``.
    parameters
        Decision thresholds and settings, with units in the names
        (e.g. ``max_ratio``, ``min_mass_kg``).
    reveals
        The only outputs that may leave the information barrier (e.g. ``["pass"]``).
    source
        Source of every parameter.
    """

    id: Slug
    item_class: Slug
    method: MethodName
    parameters: dict[FieldName, Scalar] = Field(default_factory=dict)
    reveals: tuple[Slug, ...] = Field(min_length=1)
    source: Source

    def parameter(self, name: str) -> bool | int | float | str:
        """A parameter value, or :class:`SpecError` naming treaty and field if absent."""
        try:
            return self.parameters[name]
        except KeyError:
            raise SpecError(
                f"no parameter {name!r} for method {self.method!r}",
                where=self._where(f"methods.{self.id}.parameters.{name}"),
            ) from None

    def text(self, name: str) -> str:
        """A text parameter; :class:`SpecError` if absent or not text."""
        value = self.parameter(name)
        if not isinstance(value, str):
            raise SpecError(
                f"parameter {name!r} is not text",
                where=self._where(f"methods.{self.id}.parameters.{name}"),
            )
        return value

    def number(self, name: str) -> float:
        """A numeric parameter as float; :class:`SpecError` if absent or not a number."""
        value = self.parameter(name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SpecError(
                f"parameter {name!r} is not a number",
                where=self._where(f"methods.{self.id}.parameters.{name}"),
            )
        return float(value)


class SamplingSpec(_Frozen):
    """Statistical goals for random sampling of items to inspect.

    Parameters
    ----------
    false_alarm_probability
        Largest acceptable probability of declaring a compliant party in breach.
    non_detection_probability
        Largest acceptable probability of missing a violation of the goal size.
    source
        Source of both numbers.
    """

    false_alarm_probability: Probability
    non_detection_probability: Probability
    source: Source


class SignificantQuantity(_Frozen):
    """Approximate amount of nuclear material for which a nuclear explosive device
    cannot be excluded.

    Parameters
    ----------
    material
        Slug, e.g. ``"plutonium"``, ``"heu"``.
    quantity_kg
        Significant quantity, kg.
    basis
        What the mass counts, e.g. ``"total element"``, ``"U-235 contained"``.
    source
        Source (IAEA Safeguards Glossary).
    """

    material: Slug
    quantity_kg: Positive
    basis: Text
    source: Source


class CommittedDeclarationSpec(_Frozen):
    """A declaration the treaty requires as commitments with a zero-knowledge proof.

    The party commits to its count of the limit's items at each site and proves that the
    total is within the limit; inspections open only the commitments of drawn sites.

    Parameters
    ----------
    id
        Slug naming the requirement (used as the declaration's category).
    limit
        Id of the limit (in ``limits``) whose maximum the committed total must respect.
    site_bits
        When set, every site count is also proven in ``[0, 2**site_bits)``; ``None``
        proves only the total (see ``docs/zk.md`` on what that leaves open).
    source
        Source of the requirement.
    """

    id: Slug
    limit: Slug
    site_bits: Annotated[int, Field(ge=1, le=32)] | None = None
    source: Source


class TimelinessGoal(_Frozen):
    """The longest time allowed between a diversion and its detection, per material category.

    Parameters
    ----------
    category
        Slug of the material category, e.g. ``"unirradiated-direct-use"``.
    goal_days
        Timeliness goal, days.
    materials
        Significant-quantity materials (slugs) the goal applies to.
    source
        Source (IAEA Safeguards Glossary).
    """

    category: Slug
    goal_days: Positive
    materials: tuple[Slug, ...] = ()
    source: Source


class Stage(_Frozen):
    """A stage of measures; each stage works on its own (design principle 5).

    Parameters
    ----------
    id
        Slug.
    kind
        Data exchange and notifications, inspections, item authentication, material
        accountancy, or monitoring.
    name
        Human-readable name.
    measures
        Ids of declarations, notifications, inspections, methods, monitoring
        networks or screening criteria in this stage.
    """

    id: Slug
    kind: StageKind
    name: Text
    measures: tuple[Slug, ...] = Field(min_length=1)


class MonitoringNetwork(_Frozen):
    """A network of monitoring facilities.

    Parameters
    ----------
    id
        Slug, e.g. ``"seismic-primary"``.
    technology
        ``"seismic"``, ``"infrasound"``, ``"hydroacoustic"`` or ``"radionuclide"``.
    name
        Human-readable name.
    count
        Number of facilities.
    unit
        ``"station"`` or ``"laboratory"``.
    source
        Article, part and table.
    """

    id: Slug
    technology: Technology
    name: Text
    count: Count
    unit: Literal["station", "laboratory"]
    source: Source


class ScreeningCriterion(_Bound):
    """An event-screening criterion of the international data centre.

    Parameters
    ----------
    id
        Slug, e.g. ``"ms-mb"``.
    technology
        Technology whose data the criterion uses.
    name, description
        What the criterion tests and how an event is screened out.
    parameters
        Numbers of the criterion, with units in their names.
    source
        Source of every parameter.
    """

    id: Slug
    technology: Technology
    name: Text
    description: Text
    parameters: dict[FieldName, Scalar] = Field(default_factory=dict)
    source: Source

    def parameter(self, name: str) -> bool | int | float | str:
        """A parameter value, or :class:`SpecError` naming treaty and field if absent."""
        try:
            return self.parameters[name]
        except KeyError:
            raise SpecError(
                f"no parameter {name!r} for screening criterion {self.id!r}",
                where=self._where(f"monitoring.screening.{self.id}.parameters.{name}"),
            ) from None


class MonitoringSpec(_Frozen):
    """Monitoring system of a test-ban treaty.

    Parameters
    ----------
    networks
        Monitoring networks with their facility counts.
    screening
        Event-screening criteria.
    """

    networks: tuple[MonitoringNetwork, ...] = ()
    screening: tuple[ScreeningCriterion, ...] = ()


class DismantlementStep(_Frozen):
    """One step of a nuclear weapon dismantlement life cycle.

    Parameters
    ----------
    number
        Step number, from 1.
    name, description
        What happens in the step.
    verification_objective
        What the inspecting parties need to confirm in this step.
    source
        Source of the step.
    """

    number: Annotated[StrictInt, Field(ge=1)]
    name: Text
    description: Text
    verification_objective: Text
    source: Source


# ---------------------------------------------------------------------------
# Instruments
# ---------------------------------------------------------------------------


class DetectorKind(StrEnum):
    """The kind of gamma detector, by its sensing material."""

    HPGE = "hpge"
    """High-purity germanium (semiconductor, cooled)."""
    CZT = "czt"
    """Cadmium zinc telluride (semiconductor, room temperature)."""
    LABR3 = "labr3"
    """Cerium-doped lanthanum bromide (scintillator)."""
    CEBR3 = "cebr3"
    """Cerium bromide (scintillator)."""
    NAI = "nai"
    """Thallium-doped sodium iodide (scintillator)."""
    CSI = "csi"
    """Caesium iodide, thallium- or sodium-doped (scintillator)."""
    PLASTIC = "plastic"
    """Organic plastic scintillator (no usable full-energy peaks)."""
    OTHER = "other"
    """Anything else; the resolution, when given, says how it behaves."""


_CSV_COLUMNS = (2, 3)


def _read_efficiency_csv(path: Path) -> dict[str, list[float]]:
    """Columns of an efficiency CSV: energy (keV), relative efficiency, and optionally
    the relative standard uncertainty. ``#`` starts a comment; one header row of
    column names is allowed. Raises ValueError naming the file and the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ValueError(f"{path}: cannot read the efficiency file: {reason}") from None
    rows: list[list[float]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        cells = [cell.strip() for cell in line.split(",")]
        try:
            values = [float(cell) for cell in cells]
        except ValueError:
            if not rows and not any(_is_number(cell) for cell in cells):
                continue  # a header row of column names
            raise ValueError(f"{path}: line {number}: not a number") from None
        if len(values) not in _CSV_COLUMNS:
            raise ValueError(
                f"{path}: line {number}: expected 2 or 3 columns (energy_kev, "
                f"relative_efficiency[, relative_uncertainty]), found {len(values)}"
            )
        if rows and len(values) != len(rows[0]):
            raise ValueError(f"{path}: line {number}: every row needs the same columns")
        if not all(math.isfinite(v) for v in values):
            raise ValueError(f"{path}: line {number}: values must be finite")
        rows.append(values)
    if not rows:
        raise ValueError(f"{path}: the efficiency file holds no rows")
    data: dict[str, list[float]] = {
        "energies_kev": [r[0] for r in rows],
        "relative_efficiency": [r[1] for r in rows],
    }
    if len(rows[0]) == 3:
        data["relative_uncertainty"] = [r[2] for r in rows]
    return data


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


class EfficiencyCurve(_Frozen):
    """The intrinsic full-energy-peak efficiency of a detector, relative, against energy.

    Given either inline (``energies_kev``, ``relative_efficiency`` and optionally
    ``relative_uncertainty``) or as ``file``: a CSV of two or three columns in that
    order, one row per energy, a path relative to the YAML file that names it. The file
    is read when the profile is loaded, so the values (and the treaty digest) hold what
    it said then.
    """

    energies_kev: tuple[Positive, ...] = Field(
        min_length=2,
        description="Energies of the points, strictly increasing.",
        json_schema_extra={"unit": "keV"},
    )
    relative_efficiency: tuple[Positive, ...] = Field(
        min_length=2,
        description="Full-energy-peak efficiency at each energy, relative to any common "
        "reference (only ratios between energies are used); every value > 0.",
        json_schema_extra={"unit": "1"},
    )
    relative_uncertainty: tuple[Positive, ...] | None = Field(
        default=None,
        description="Standard uncertainty of each efficiency, as a fraction of it "
        "(0.02 for 2 %); every value > 0.",
        json_schema_extra={"unit": "1"},
    )
    file: Text | None = Field(
        default=None,
        description="The CSV file the values were read from, as written in the YAML.",
    )

    @model_validator(mode="before")
    @classmethod
    def _from_file(cls, data: Any, info: ValidationInfo) -> Any:
        if not isinstance(data, dict) or data.get("file") is None:
            return data
        inline = {"energies_kev", "relative_efficiency", "relative_uncertainty"} & set(data)
        if inline:
            raise ValueError(
                f"give the efficiency values or a file, not both (found {sorted(inline)[0]})"
            )
        name = data["file"]
        if not isinstance(name, str) or not name.strip():
            raise ValueError("file: must be a path to a CSV file")
        path = Path(name.strip())
        base = info.context.get("base_dir") if isinstance(info.context, dict) else None
        if not path.is_absolute() and base is not None:
            path = Path(base) / path
        return {**data, **_read_efficiency_csv(path)}

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        origin = f"{self.file}: " if self.file else ""
        n = len(self.energies_kev)
        if len(self.relative_efficiency) != n:
            raise ValueError(
                f"{origin}relative_efficiency: {len(self.relative_efficiency)} values "
                f"for {n} energies"
            )
        if self.relative_uncertainty is not None and len(self.relative_uncertainty) != n:
            raise ValueError(
                f"{origin}relative_uncertainty: {len(self.relative_uncertainty)} values "
                f"for {n} energies"
            )
        for i in range(1, n):
            if self.energies_kev[i] <= self.energies_kev[i - 1]:
                raise ValueError(
                    f"{origin}energies_kev: energies must increase "
                    f"({self.energies_kev[i]} keV follows {self.energies_kev[i - 1]} keV)"
                )
        return self


AbsorberMaterial = Literal["Al", "Fe", "Cd", "W", "Pb", "polyethylene", "concrete"]
"""Absorber materials with tabulated attenuation (``methods/nucdata/attenuation.yaml``)."""


class DeclaredAbsorber(_Frozen):
    """A layer that always sits between the item and the detector in this setup: a
    filter, a container wall, a collimator's window. Its attenuation
    ``exp(-mu/rho(E) x)`` multiplies the efficiency of the item's lines."""

    material: AbsorberMaterial = Field(description="Material, by its attenuation table.")
    areal_density_g_cm2: Positive = Field(
        description="Areal density: thickness x density (1 mm of steel is about 0.787).",
        json_schema_extra={"unit": "g/cm^2"},
    )


class InstrumentProfile(_Frozen):
    """A gamma detector as the parties agreed it: its kind, resolution and efficiency.

    A treaty lists its profiles in ``instruments:``; a method names one with its
    parameter ``instrument``. The gamma methods use the resolution given here instead
    of measuring it on the spectrum, and the detector kind to refuse data that the
    method cannot analyse (see ``docs/instruments.md``).
    """

    id: Slug = Field(description="Identifier, unique in the treaty, e.g. 'portal-hpge'.")
    name: Text = Field(description="Manufacturer and model, or a description.")
    detector: DetectorKind = Field(description="Kind of detector, by sensing material.")
    fwhm_noise_kev: NonNegative | None = Field(
        default=None,
        description="Resolution FWHM(E)^2 = fwhm_noise_kev^2 + fwhm_fano_kev * E: the "
        "constant (noise) term. Give both terms or neither.",
        json_schema_extra={"unit": "keV"},
    )
    fwhm_fano_kev: NonNegative | None = Field(
        default=None,
        description="The statistical term of the resolution: FWHM^2 grows by this many "
        "keV^2 per keV of energy.",
        json_schema_extra={"unit": "keV"},
    )
    efficiency: EfficiencyCurve | None = Field(
        default=None,
        description="Intrinsic relative full-energy-peak efficiency against energy.",
    )
    absorbers: tuple[DeclaredAbsorber, ...] = Field(
        default=(),
        description="Absorbers always between item and detector (filters, container "
        "walls), applied by the isotopics fits; declared, never fitted.",
    )
    source: Source = Field(
        description="Where the figures come from: data sheet, acceptance test, report."
    )

    @model_validator(mode="after")
    def _resolution(self) -> Self:
        noise, fano = self.fwhm_noise_kev, self.fwhm_fano_kev
        if (noise is None) != (fano is None):
            missing = "fwhm_fano_kev" if fano is None else "fwhm_noise_kev"
            raise ValueError(f"{missing}: give both resolution terms or neither")
        if noise == 0 and fano == 0:
            raise ValueError("fwhm_noise_kev: the resolution is zero")
        return self

    @property
    def has_resolution(self) -> bool:
        """Whether both resolution terms are given."""
        return self.fwhm_noise_kev is not None and self.fwhm_fano_kev is not None


# ---------------------------------------------------------------------------
# The specification
# ---------------------------------------------------------------------------

Measure = DeclarationSchedule | NotificationType | InspectionType | MethodSpec
MonitoringMeasure = MonitoringNetwork | ScreeningCriterion


class TreatySpec(_Frozen):
    """The specification of one treaty: every parameter a check may read.

    Every section is optional and validated when present.

    Parameters
    ----------
    id
        Slug, also the file name of a shipped specification (``new-start``).
    name, short_name
        Full and short name.
    signed
        Date of signature (or opening for signature); ``None`` only for a notional
        regime.
    entered_into_force
        Date of entry into force, ``None`` if not in force.
    expires
        Date the treaty ceases or ceased to be in force by its term.
    terminated
        Date the treaty ceased to be in force by withdrawal or termination.
    status
        ``"in-force"``, ``"not-in-force"``, ``"terminated"``, ``"expired"`` or
        ``"notional"``.
    notes
        Free text.
    sources
        The treaty text, protocols and other documents the specification draws on.
    parties
        The parties, and organisations with a role (at least one).
    item_classes
        Classes of accountable items whose declared numbers are counted.
    limits
        Numerical limits on sums of declared counts.
    counting_rules
        How declared counts relate: attributions and consistency rules
        (:mod:`treatyverify.treaty.rules`).
    declarations
        The data declarations the parties exchange, with their due dates.
    notifications
        The notifications a party must give, with their deadlines.
    inspections
        The types of on-site inspection, with quotas, notice and durations.
    methods
        Technical verification methods and what each may reveal.
    sampling
        Statistical goals of random sampling of items to inspect.
    significant_quantities
        Significant quantities of nuclear material (kg).
    timeliness_goals
        Longest times between a diversion and its detection (days).
    committed_declarations
        Declarations given as commitments with a zero-knowledge proof.
    stages
        The stages of measures; each works on its own.
    monitoring
        The monitoring system of a test-ban treaty.
    dismantlement_steps
        The steps of a warhead dismantlement life cycle.
    instruments
        Gamma detector profiles (:class:`InstrumentProfile`) that methods name with
        their parameter ``instrument``.
    """

    id: Slug
    name: Text
    short_name: Text
    signed: date | None = None
    entered_into_force: date | None = None
    expires: date | None = None
    terminated: date | None = None
    status: Status
    notes: str = ""
    sources: tuple[Text, ...] = Field(min_length=1)
    parties: tuple[Party, ...] = Field(min_length=1)
    item_classes: tuple[ItemClass, ...] = ()
    limits: tuple[Limit, ...] = ()
    counting_rules: tuple[CountingRule, ...] = ()
    declarations: tuple[DeclarationSchedule, ...] = ()
    notifications: tuple[NotificationType, ...] = ()
    inspections: tuple[InspectionType, ...] = ()
    methods: tuple[MethodSpec, ...] = ()
    sampling: SamplingSpec | None = None
    significant_quantities: tuple[SignificantQuantity, ...] = ()
    timeliness_goals: tuple[TimelinessGoal, ...] = ()
    committed_declarations: tuple[CommittedDeclarationSpec, ...] = ()
    stages: tuple[Stage, ...] = ()
    monitoring: MonitoringSpec | None = None
    dismantlement_steps: tuple[DismantlementStep, ...] = ()
    instruments: tuple[InstrumentProfile, ...] = ()

    # -- validation ---------------------------------------------------------

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        self._check_dates()
        self._check_unique()
        self._check_references()
        self._check_steps()
        return self

    def _check_dates(self) -> None:
        if self.signed is None and self.status != "notional":
            raise ValueError("signed: a date of signature is required unless status is notional")
        if self.entered_into_force is not None:
            if self.signed is not None and self.entered_into_force < self.signed:
                raise ValueError("entered_into_force: must not be before signed")
        elif self.status in {"in-force", "terminated", "expired"}:
            raise ValueError(f"entered_into_force: required for status {self.status!r}")
        if self.status == "terminated" and self.terminated is None:
            raise ValueError("terminated: required for status 'terminated'")
        if self.status == "expired" and self.expires is None:
            raise ValueError("expires: required for status 'expired'")

    def _check_unique(self) -> None:
        sections: list[tuple[str, Iterable[str]]] = [
            ("parties", (p.id for p in self.parties)),
            ("item_classes", (c.id for c in self.item_classes)),
            ("limits", (limit.id for limit in self.limits)),
            ("counting_rules", (rule.id for rule in self.counting_rules)),
            ("declarations", (d.id for d in self.declarations)),
            ("notifications", (n.code for n in self.notifications)),
            ("inspections", (i.id for i in self.inspections)),
            ("methods", (m.id for m in self.methods)),
            ("significant_quantities", (q.material for q in self.significant_quantities)),
            ("timeliness_goals", (g.category for g in self.timeliness_goals)),
            ("committed_declarations", (c.id for c in self.committed_declarations)),
            ("stages", (s.id for s in self.stages)),
            ("dismantlement_steps", (str(s.number) for s in self.dismantlement_steps)),
            ("instruments", (i.id for i in self.instruments)),
        ]
        if self.monitoring is not None:
            sections.append(("monitoring.networks", (n.id for n in self.monitoring.networks)))
            sections.append(("monitoring.screening", (c.id for c in self.monitoring.screening)))
        for name, ids in sections:
            dups = _duplicates(ids)
            if dups:
                raise ValueError(f"{name}: duplicate id {dups[0]!r}")
        dups = _duplicates(self._measure_ids())
        if dups:
            raise ValueError(
                f"stages: measure id {dups[0]!r} is used by more than one section "
                "(declarations, notifications, inspections, methods and monitoring "
                "must not share ids)"
            )
        for i, stage in enumerate(self.stages):
            dups = _duplicates(stage.measures)
            if dups:
                raise ValueError(f"stages.{i}.measures: duplicate id {dups[0]!r}")

    def _measure_ids(self) -> Iterator[str]:
        yield from (d.id for d in self.declarations)
        yield from (n.code for n in self.notifications)
        yield from (i.id for i in self.inspections)
        yield from (m.id for m in self.methods)
        if self.monitoring is not None:
            yield from (n.id for n in self.monitoring.networks)
            yield from (c.id for c in self.monitoring.screening)

    def _check_references(self) -> None:
        classes = {c.id for c in self.item_classes}
        materials = {q.material for q in self.significant_quantities}
        limit_ids = {limit.id for limit in self.limits}
        for i, committed in enumerate(self.committed_declarations):
            if committed.limit not in limit_ids:
                raise ValueError(
                    f"committed_declarations.{i}.limit: {committed.limit!r} is not a limit"
                    f" (limits: {', '.join(sorted(limit_ids)) or 'none'})"
                )
        for i, goal in enumerate(self.timeliness_goals):
            for j, ref in enumerate(goal.materials):
                if ref not in materials:
                    raise ValueError(
                        f"timeliness_goals.{i}.materials.{j}: {ref!r} has no significant quantity"
                        f" (significant_quantities: {', '.join(sorted(materials)) or 'none'})"
                    )
        for i, limit in enumerate(self.limits):
            for j, ref in enumerate(limit.counts):
                if ref not in classes:
                    raise ValueError(
                        f"limits.{i}.counts.{j}: {ref!r} is not a declared item class"
                        f" (item_classes: {', '.join(sorted(classes)) or 'none'})"
                    )
        for i, rule in enumerate(self.counting_rules):
            for field, ref in rule.references():
                if ref not in classes:
                    raise ValueError(
                        f"counting_rules.{i}.{field}: {ref!r} is not a declared item class"
                        f" (item_classes: {', '.join(sorted(classes)) or 'none'})"
                    )
        instruments = {instrument.id for instrument in self.instruments}
        for i, method in enumerate(self.methods):
            if method.item_class not in classes:
                raise ValueError(
                    f"methods.{i}.item_class: {method.item_class!r} is not a declared item class"
                )
            named = method.parameters.get("instrument")
            if named is not None and (not isinstance(named, str) or named not in instruments):
                raise ValueError(
                    f"methods.{i}.parameters.instrument: {named!r} is not an instrument of "
                    f"this treaty (instruments: {', '.join(sorted(instruments)) or 'none'})"
                )
        for i, inspection in enumerate(self.inspections):
            for j, ref in enumerate(inspection.may_record):
                if ref not in classes:
                    raise ValueError(
                        f"inspections.{i}.may_record.{j}: {ref!r} is not a declared item class"
                        f" (item_classes: {', '.join(sorted(classes)) or 'none'})"
                    )
        for i, note in enumerate(self.notifications):
            for j, ref in enumerate(note.applies_to):
                if ref not in classes:
                    raise ValueError(
                        f"notifications.{i}.applies_to.{j}: {ref!r} is not a declared item class"
                    )
        measures = set(self._measure_ids())
        for i, stage in enumerate(self.stages):
            for j, ref in enumerate(stage.measures):
                if ref not in measures:
                    raise ValueError(
                        f"stages.{i}.measures.{j}: {ref!r} is not a declaration, notification, "
                        "inspection, method or monitoring entry of this treaty"
                    )

    def _check_steps(self) -> None:
        numbers = sorted(s.number for s in self.dismantlement_steps)
        if numbers and numbers != list(range(1, len(numbers) + 1)):
            raise ValueError(
                "dismantlement_steps: steps must be numbered 1, 2, 3, ... without gaps"
            )

    def model_post_init(self, context: Any, /) -> None:
        """Tell each entry which treaty it belongs to, so its errors can name it."""
        entries: list[_Bound] = [*self.limits, *self.inspections, *self.methods]
        if self.monitoring is not None:
            entries.extend(self.monitoring.screening)
        for entry in entries:
            entry._bind(self.id)

    # -- accessors ----------------------------------------------------------

    def where(self, field: str) -> str:
        """The ``where`` of an error about ``field`` of this treaty."""
        return f"treaty {self.id}: {field}"

    def _missing(self, what: str, name: object, field: str) -> SpecError:
        return SpecError(f"no {what} {name!r} in the specification", where=self.where(field))

    def party(self, party_id: str) -> Party:
        """The party ``party_id``; :class:`UnknownNameError` if not a party."""
        for p in self.parties:
            if p.id == party_id:
                return p
        known = ", ".join(p.id for p in self.parties)
        raise UnknownNameError(
            f"unknown party {party_id!r}; parties: {known}", where=self.where("parties")
        )

    def consensus_parties(self) -> tuple[str, ...]:
        """Ids of the parties whose co-signature adopts a finding (design principle 4).

        Every party takes part except those whose only roles are ``"observer"`` or
        ``"technical-secretariat"``: a secretariat records and reports, but it is not
        a party to the treaty.
        """
        non_voting = {"observer", "technical-secretariat"}
        return tuple(p.id for p in self.parties if not set(p.roles) <= non_voting)

    def item_class(self, item_class_id: str) -> ItemClass:
        """The item class ``item_class_id``; :class:`UnknownNameError` if unknown."""
        for c in self.item_classes:
            if c.id == item_class_id:
                return c
        known = ", ".join(c.id for c in self.item_classes) or "none"
        raise UnknownNameError(
            f"unknown item class {item_class_id!r}; item classes: {known}",
            where=self.where("item_classes"),
        )

    def limit(self, limit_id: str) -> Limit:
        """The limit ``limit_id``; :class:`SpecError` if the treaty has none."""
        for limit in self.limits:
            if limit.id == limit_id:
                return limit
        raise self._missing("limit", limit_id, f"limits.{limit_id}")

    def limit_effective_date(self, limit_id: str) -> date:
        """Date from which limit ``limit_id`` applies; :class:`SpecError` if unknown."""
        return self.limit(limit_id).effective_date(
            signed=self.signed, entered_into_force=self.entered_into_force
        )

    def declaration(self, declaration_id: str) -> DeclarationSchedule:
        """The declaration schedule ``declaration_id``; :class:`SpecError` if absent."""
        for d in self.declarations:
            if d.id == declaration_id:
                return d
        raise self._missing("declaration", declaration_id, f"declarations.{declaration_id}")

    def notification(self, code: str) -> NotificationType:
        """The notification type ``code``; :class:`SpecError` if absent."""
        for n in self.notifications:
            if n.code == code:
                return n
        raise self._missing("notification", code, f"notifications.{code}")

    def inspection(self, inspection_id: str) -> InspectionType:
        """The inspection type ``inspection_id``; :class:`SpecError` if absent."""
        for i in self.inspections:
            if i.id == inspection_id:
                return i
        raise self._missing("inspection type", inspection_id, f"inspections.{inspection_id}")

    def method(self, method_id: str) -> MethodSpec:
        """The method entry ``method_id``; :class:`SpecError` if absent."""
        for m in self.methods:
            if m.id == method_id:
                return m
        raise self._missing("method", method_id, f"methods.{method_id}")

    def instrument(self, instrument_id: str) -> InstrumentProfile:
        """The instrument profile ``instrument_id``; :class:`SpecError` if absent."""
        for instrument in self.instruments:
            if instrument.id == instrument_id:
                return instrument
        raise self._missing("instrument", instrument_id, f"instruments.{instrument_id}")

    def method_instrument(self, method_id: str) -> InstrumentProfile | None:
        """The profile that method ``method_id`` names in its parameter ``instrument``,
        or ``None`` when it names none; :class:`SpecError` if the method is absent."""
        named = self.method(method_id).parameters.get("instrument")
        return None if named is None else self.instrument(str(named))

    def methods_for(self, item_class: str) -> tuple[MethodSpec, ...]:
        """Methods that apply to ``item_class``.

        Raises
        ------
        UnknownNameError
            If ``item_class`` is not an item class of the treaty.
        SpecError
            If the treaty names no method for it.
        """
        self.item_class(item_class)
        found = tuple(m for m in self.methods if m.item_class == item_class)
        if not found:
            raise SpecError(
                f"no method for item class {item_class!r} in the specification",
                where=self.where(f"methods[item_class={item_class}]"),
            )
        return found

    def stage(self, stage_id: str) -> Stage:
        """The stage ``stage_id``; :class:`SpecError` if absent."""
        for s in self.stages:
            if s.id == stage_id:
                return s
        raise self._missing("stage", stage_id, f"stages.{stage_id}")

    def measure(self, measure_id: str) -> Measure | MonitoringMeasure:
        """The declaration, notification, inspection, method or monitoring entry
        with id ``measure_id``; :class:`SpecError` if absent."""
        entries: list[Measure | MonitoringMeasure] = [
            *self.declarations,
            *self.notifications,
            *self.inspections,
            *self.methods,
        ]
        if self.monitoring is not None:
            entries.extend(self.monitoring.networks)
            entries.extend(self.monitoring.screening)
        for entry in entries:
            key = entry.code if isinstance(entry, NotificationType) else entry.id
            if key == measure_id:
                return entry
        raise self._missing("measure", measure_id, f"stages.measures.{measure_id}")

    def require_sampling(self) -> SamplingSpec:
        """The sampling section; :class:`SpecError` if the treaty has none."""
        if self.sampling is None:
            raise SpecError(
                "no sampling section in the specification", where=self.where("sampling")
            )
        return self.sampling

    def require_monitoring(self) -> MonitoringSpec:
        """The monitoring section; :class:`SpecError` if the treaty has none."""
        if self.monitoring is None:
            raise SpecError(
                "no monitoring section in the specification", where=self.where("monitoring")
            )
        return self.monitoring

    def monitoring_network(self, network_id: str) -> MonitoringNetwork:
        """The monitoring network ``network_id``; :class:`SpecError` if absent."""
        for n in self.require_monitoring().networks:
            if n.id == network_id:
                return n
        raise self._missing("monitoring network", network_id, f"monitoring.networks.{network_id}")

    def screening(self, criterion_id: str) -> ScreeningCriterion:
        """The screening criterion ``criterion_id``; :class:`SpecError` if absent."""
        for c in self.require_monitoring().screening:
            if c.id == criterion_id:
                return c
        raise self._missing(
            "screening criterion", criterion_id, f"monitoring.screening.{criterion_id}"
        )

    def significant_quantity(self, material: str) -> SignificantQuantity:
        """The significant quantity of ``material``; :class:`SpecError` if absent."""
        for q in self.significant_quantities:
            if q.material == material:
                return q
        raise self._missing(
            "significant quantity for", material, f"significant_quantities.{material}"
        )

    def committed_declaration(self, declaration_id: str) -> CommittedDeclarationSpec:
        """The committed-declaration requirement ``declaration_id``; SpecError if absent."""
        for c in self.committed_declarations:
            if c.id == declaration_id:
                return c
        raise self._missing(
            "committed declaration", declaration_id, f"committed_declarations.{declaration_id}"
        )

    def timeliness_goal(self, material: str) -> TimelinessGoal:
        """The timeliness goal that covers ``material``; :class:`SpecError` if none does."""
        for goal in self.timeliness_goals:
            if material in goal.materials:
                return goal
        raise self._missing("timeliness goal for", material, f"timeliness_goals.{material}")

    def dismantlement_step(self, number: int) -> DismantlementStep:
        """Dismantlement step ``number``; :class:`SpecError` if absent."""
        for s in self.dismantlement_steps:
            if s.number == number:
                return s
        raise self._missing("dismantlement step", number, f"dismantlement_steps.{number}")

    # -- identity -----------------------------------------------------------

    def canonical_json(self) -> str:
        """The parsed specification as RFC 8785 canonical JSON (UTF-8 text).

        Fields left at their defaults are omitted, so that a section added to the schema
        later does not change the digest of a specification that does not use it.
        """
        return canonical_bytes(self.model_dump(mode="json", exclude_defaults=True)).decode("utf-8")

    def digest(self) -> str:
        """Hex SHA-256 of the RFC 8785 bytes of ``{"format": TREATY_DIGEST_FORMAT,
        "specification": <the parsed specification, defaults omitted>}``: the digest a
        ledger pins, reproducible by any RFC 8785 encoder."""
        document = {
            "format": TREATY_DIGEST_FORMAT,
            "specification": self.model_dump(mode="json", exclude_defaults=True),
        }
        return hashlib.sha256(canonical_bytes(document)).hexdigest()

    def legacy_digest(self) -> str:
        """The digest ledgers opened before :data:`TREATY_DIGEST_FORMAT` pin: hex SHA-256
        of Python's ``json.dumps`` (sorted keys, no spaces, UTF-8), which writes ``2.0``
        where RFC 8785 writes ``2``. Kept so that those ledgers still open."""
        text = json.dumps(
            self.model_dump(mode="json", exclude_defaults=True),
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


TREATY_DIGEST_FORMAT = "treatyverify-treaty/1"
"""Format tag hashed with the specification in :meth:`TreatySpec.digest`; a new way of
forming the digest gets a new tag."""
