"""Domain model of nuclear material accountancy for one material balance area.

A :class:`Facility` holds the material balance area (MBA) with its key measurement
points (KMPs), the measurement error model, the physical inventories taken at the
period boundaries and the balance periods with their inventory changes. Inventory
``k`` closes period ``k - 1`` and opens period ``k``: it is one measurement, used twice.

Every object checks itself when built and raises :class:`InputError` whose ``where``
names the offending field relative to the object (``"mass"``, ``"changes[5].time"``);
:mod:`.io` prefixes the file and the path of the object.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from treatyverify.errors import InputError
from treatyverify.methods.accountancy.measurement_errors import ErrorModel

__all__ = [
    "ELEMENTS",
    "MASS_UNITS_KG",
    "BalancePeriod",
    "Batch",
    "ChangeKind",
    "Facility",
    "InventoryChange",
    "KeyMeasurementPoint",
    "MaterialBalanceArea",
    "PhysicalInventory",
]

MASS_UNITS_KG: Mapping[str, float] = {"kg": 1.0, "g": 1.0e-3}
"""Accepted mass units and their value in kg. Anything else is an error."""

ELEMENTS: frozenset[str] = frozenset({"U", "Pu", "Th"})
"""Elements accounted for (INFCIRC/153 (Corrected), para. 112: source and special
fissionable material)."""

ChangeKind = Literal["receipt", "shipment", "measured-discard", "increase", "decrease"]
"""Receipts add to the book inventory (X); shipments and measured discards remove (Y).
``increase`` and ``decrease`` are any other inventory change that adds or removes
(nuclear production, nuclear loss, ...; see :mod:`.reports`)."""

_SIGN: Mapping[str, int] = {
    "receipt": +1,
    "shipment": -1,
    "measured-discard": -1,
    "increase": +1,
    "decrease": -1,
}


def _prefixed(exc: InputError, prefix: str) -> InputError:
    where = f"{prefix}.{exc.where}" if exc.where else prefix
    return InputError(exc.message, where=where)


def _text(value: str, name: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InputError("must be a non-empty string", where=name)


def _utc(value: datetime, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise InputError("must be a date and time", where=name)
    if value.tzinfo is None or value.utcoffset() is None:
        raise InputError("must carry a time zone (times are UTC, e.g. ...Z)", where=name)
    return value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class KeyMeasurementPoint:
    """A key measurement point.

    Parameters
    ----------
    id
        Identifier, unique in the MBA (e.g. ``"KMP-A"``).
    kind
        ``"flow"`` (inventory changes are measured here) or ``"inventory"``.
    description
        Free text.
    """

    id: str
    kind: Literal["flow", "inventory"]
    description: str = ""

    def __post_init__(self) -> None:
        _text(self.id, "id")
        if self.kind not in ("flow", "inventory"):
            raise InputError(f"must be 'flow' or 'inventory', got {self.kind!r}", where="kind")


@dataclass(frozen=True, slots=True)
class MaterialBalanceArea:
    """A material balance area and its key measurement points."""

    id: str
    name: str
    kmps: tuple[KeyMeasurementPoint, ...]

    def __post_init__(self) -> None:
        _text(self.id, "id")
        _text(self.name, "name")
        if not self.kmps:
            raise InputError("an MBA needs at least one key measurement point", where="kmps")
        seen: set[str] = set()
        for index, kmp in enumerate(self.kmps):
            if kmp.id in seen:
                raise InputError(f"KMP {kmp.id!r} is given twice", where=f"kmps[{index}].id")
            seen.add(kmp.id)

    def kmp(self, kmp_id: str) -> KeyMeasurementPoint:
        """The KMP with this id; :class:`InputError` if there is none."""
        for kmp in self.kmps:
            if kmp.id == kmp_id:
                return kmp
        raise InputError(f"unknown key measurement point {kmp_id!r}", where="kmp")


@dataclass(frozen=True, slots=True)
class Batch:
    """A batch or item of nuclear material as measured.

    Parameters
    ----------
    id
        Batch identifier.
    element
        ``"U"``, ``"Pu"`` or ``"Th"``.
    isotope
        ``None`` when ``mass`` is the element mass, else the isotope (e.g. ``"U-235"``).
    mass
        Measured mass in ``unit``; must be finite and non-negative.
    unit
        ``"kg"`` or ``"g"``; converted explicitly to kg by :attr:`mass_kg`.
    methods
        Measurement method ids whose relative errors combine (e.g. tank volume and
        Pu concentration). At least one.
    kmp
        Key measurement point where the batch was measured.
    """

    id: str
    element: str
    mass: float
    unit: str
    methods: tuple[str, ...]
    kmp: str
    isotope: str | None = None

    def __post_init__(self) -> None:
        _text(self.id, "id")
        if self.element not in ELEMENTS:
            allowed = ", ".join(sorted(ELEMENTS))
            raise InputError(f"unknown element {self.element!r} (use {allowed})", where="element")
        if self.isotope is not None:
            _text(self.isotope, "isotope")
        if self.unit not in MASS_UNITS_KG:
            raise InputError(
                f"unit must be 'kg' or 'g', got {self.unit!r}; no other unit is converted",
                where="unit",
            )
        if isinstance(self.mass, bool) or not isinstance(self.mass, int | float):
            raise InputError("must be a number", where="mass")
        if not math.isfinite(self.mass):
            raise InputError("must be finite", where="mass")
        if self.mass < 0:
            raise InputError(f"a mass cannot be negative, got {self.mass}", where="mass")
        if not self.methods:
            raise InputError("at least one measurement method is needed", where="method")
        for index, method in enumerate(self.methods):
            _text(method, f"method[{index}]")
        _text(self.kmp, "kmp")

    @property
    def mass_kg(self) -> float:
        """Measured mass in kg."""
        return float(self.mass) * MASS_UNITS_KG[self.unit]


@dataclass(frozen=True, slots=True)
class InventoryChange:
    """A receipt, shipment or measured discard of one batch at a time (UTC)."""

    kind: ChangeKind
    time: datetime
    batch: Batch

    def __post_init__(self) -> None:
        if self.kind not in _SIGN:
            allowed = ", ".join(sorted(_SIGN))
            raise InputError(f"unknown change kind {self.kind!r} (use {allowed})", where="kind")
        object.__setattr__(self, "time", _utc(self.time, "time"))

    @property
    def sign(self) -> int:
        """+1 for a receipt, -1 for a removal."""
        return _SIGN[self.kind]


@dataclass(frozen=True, slots=True)
class PhysicalInventory:
    """A physical inventory taken at ``time`` (UTC): the items measured then."""

    time: datetime
    items: tuple[Batch, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "time", _utc(self.time, "time"))


@dataclass(frozen=True, slots=True)
class BalancePeriod:
    """A material balance period ``[start, end]`` (UTC) with its inventory changes."""

    id: str
    start: datetime
    end: datetime
    changes: tuple[InventoryChange, ...] = ()

    def __post_init__(self) -> None:
        _text(self.id, "id")
        object.__setattr__(self, "start", _utc(self.start, "start"))
        object.__setattr__(self, "end", _utc(self.end, "end"))
        if self.end <= self.start:
            raise InputError("the period must end after it starts", where="end")
        for index, change in enumerate(self.changes):
            if not self.start <= change.time <= self.end:
                raise InputError(
                    f"change at {change.time.isoformat()} is outside the balance period "
                    f"{self.start.isoformat()} .. {self.end.isoformat()}",
                    where=f"changes[{index}].time",
                )


@dataclass(frozen=True, slots=True)
class Facility:
    """Accountancy records of one MBA over consecutive balance periods.

    Parameters
    ----------
    mba
        The material balance area.
    error_model
        Relative errors of every measurement method used.
    inventories
        ``len(periods) + 1`` physical inventories; inventory ``k`` is taken at the start
        of period ``k`` and at the end of period ``k - 1``.
    periods
        Consecutive balance periods (each starts where the previous ends).
    calibrations
        Per method id, the times (UTC) at which the method was recalibrated. A
        systematic error holds from one calibration to the next; a measurement at the
        instant of a calibration belongs to the new one. No entry: one calibration
        period for the whole record.
    """

    mba: MaterialBalanceArea
    error_model: ErrorModel
    inventories: tuple[PhysicalInventory, ...]
    periods: tuple[BalancePeriod, ...]
    calibrations: Mapping[str, tuple[datetime, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.periods:
            raise InputError("at least one balance period is needed", where="periods")
        if len(self.inventories) != len(self.periods) + 1:
            raise InputError(
                f"{len(self.periods)} periods need {len(self.periods) + 1} physical "
                f"inventories, got {len(self.inventories)}",
                where="inventories",
            )
        for index, period in enumerate(self.periods):
            if index and period.start != self.periods[index - 1].end:
                raise InputError(
                    "each period must start where the previous one ends",
                    where=f"periods[{index}].start",
                )
            if self.inventories[index].time != period.start:
                raise InputError(
                    f"must be the start of period {period.id!r} ({period.start.isoformat()})",
                    where=f"inventories[{index}].time",
                )
        if self.inventories[-1].time != self.periods[-1].end:
            raise InputError(
                "must be the end of the last period", where=f"inventories[{len(self.periods)}].time"
            )
        for index, inventory in enumerate(self.inventories):
            for item_index, item in enumerate(inventory.items):
                self._check_batch(item, f"inventories[{index}].items[{item_index}]")
        for index, period in enumerate(self.periods):
            for change_index, change in enumerate(period.changes):
                self._check_batch(change.batch, f"periods[{index}].changes[{change_index}]")
        times: dict[str, tuple[datetime, ...]] = {}
        for method, instants in self.calibrations.items():
            if method not in self.error_model:
                raise InputError(f"unknown measurement method {method!r}", where="calibrations")
            converted = tuple(
                _utc(t, f"calibrations.{method}[{i}]") for i, t in enumerate(instants)
            )
            if list(converted) != sorted(converted):
                raise InputError(
                    "calibration times must be in order", where=f"calibrations.{method}"
                )
            times[method] = converted
        object.__setattr__(self, "calibrations", times)

    def _check_batch(self, batch: Batch, where: str) -> None:
        for index, method in enumerate(batch.methods):
            if method not in self.error_model:
                known = ", ".join(sorted(self.error_model.ids)) or "none"
                suffix = "method" if len(batch.methods) == 1 else f"method[{index}]"
                raise InputError(
                    f"unknown measurement method {method!r} (known: {known})",
                    where=f"{where}.{suffix}",
                )
        try:
            self.mba.kmp(batch.kmp)
        except InputError as exc:
            raise _prefixed(exc, where) from None

    def calibration_index(self, method: str, time: datetime) -> int:
        """Number of recalibrations of ``method`` at or before ``time``."""
        return sum(1 for instant in self.calibrations.get(method, ()) if instant <= time)
