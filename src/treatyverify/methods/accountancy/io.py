"""Read a facility file (YAML or JSON) into a :class:`~.model.Facility`.

Format (YAML shown; JSON has the same structure)::

    mba:
      id: MBA-1
      name: Plutonium process area
      kmps:
        - {id: KMP-A, kind: flow, description: input accountancy tank}
        - {id: KMP-D, kind: inventory}
    methods:                      # optional: override or add to the ITV table
      - {id: idms-pu, random_rsd: 0.002, systematic_rsd: 0.002, source: "..."}
    calibrations:                 # optional: recalibration times per method (UTC)
      idms-pu: [2025-07-01T00:00:00Z]
    inventories:                  # one more than periods
      - time: 2025-01-01T00:00:00Z
        items:
          - {id: V1, element: Pu, mass: 120.0, unit: kg, method: idms-pu, kmp: KMP-D}
    periods:
      - id: 2025-01
        start: 2025-01-01T00:00:00Z
        end: 2025-02-01T00:00:00Z
        changes:
          - {kind: receipt, time: 2025-01-03T08:00:00Z, id: B1, element: Pu,
             mass: 66.1, unit: kg, method: [iat-volume, idms-pu], kmp: KMP-A}

Unknown keys are rejected. Any error is one :class:`InputError` whose ``where`` is
``"<file>: <path>"``, e.g. ``"facility.yaml: periods[2].changes[5].mass"``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from treatyverify.errors import InputError
from treatyverify.files import load_yaml, parse_json, read_text, write_atomically
from treatyverify.methods.accountancy.measurement_errors import (
    ErrorModel,
    MethodErrors,
    default_error_model,
)
from treatyverify.methods.accountancy.model import (
    BalancePeriod,
    Batch,
    Facility,
    InventoryChange,
    KeyMeasurementPoint,
    MaterialBalanceArea,
    PhysicalInventory,
)
from treatyverify.treaty.fielddocs import describe_fields

__all__ = [
    "FacilityFile",
    "facility_to_data",
    "load_facility",
    "parse_facility",
    "write_facility",
]

T = TypeVar("T")


class _Raw(BaseModel):
    """Frozen, and unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=describe_fields)


class KmpEntry(_Raw):
    """A key measurement point: where material is measured.

    Attributes
    ----------
    id
        Identifier, e.g. ``KMP-A``.
    kind
        ``flow`` (material entering or leaving the area) or ``inventory`` (material held).
    description
        What is measured there.
    """

    id: str
    kind: Literal["flow", "inventory"]
    description: str = ""


class MbaSection(_Raw):
    """The material balance area whose balance is closed.

    Attributes
    ----------
    id
        Identifier, e.g. ``MBA-1``.
    name
        What the area is.
    kmps
        Its key measurement points (at least one).
    """

    id: str
    name: str
    kmps: list[KmpEntry] = Field(min_length=1)


class BatchEntry(_Raw):
    """A batch of nuclear material, as measured.

    Attributes
    ----------
    id
        Batch identifier.
    element
        Element accounted for, e.g. ``Pu`` or ``U``.
    isotope
        Isotope accounted for, e.g. ``U-235``, when the account is of one isotope.
    mass
        Mass of the element (or isotope), in ``unit``.
    unit
        Unit of ``mass``: ``kg`` or ``g``.
    method
        Measurement method id (or ids, for a mass measured in steps), from the error
        table or this file's ``methods``.
    kmp
        Key measurement point where the batch was measured.
    """

    id: str
    element: str
    isotope: str | None = None
    mass: float
    unit: str
    method: list[str] = Field(min_length=1)
    kmp: str

    @field_validator("method", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value


class ChangeEntry(BatchEntry):
    """An inventory change: a batch that entered or left the area.

    Attributes
    ----------
    kind
        ``receipt``, ``shipment`` or ``measured-discard``.
    time
        When the change happened (UTC, ISO 8601).
    """

    kind: str
    time: datetime


class InventoryEntry(_Raw):
    """A physical inventory taken at one time.

    Attributes
    ----------
    time
        When it was taken (UTC, ISO 8601).
    items
        The batches on inventory.
    """

    time: datetime
    items: list[BatchEntry] = Field(default_factory=list)


class PeriodEntry(_Raw):
    """A material balance period between two physical inventories.

    Attributes
    ----------
    id
        Identifier, e.g. ``2025-01``.
    start, end
        First and last moment of the period (UTC, ISO 8601).
    changes
        Inventory changes during the period.
    """

    id: str
    start: datetime
    end: datetime
    changes: list[ChangeEntry] = Field(default_factory=list)


class FacilityFile(_Raw):
    """A facility file: one material balance area, its inventories and balance periods.

    Attributes
    ----------
    mba
        The material balance area.
    methods
        Measurement methods with their relative standard deviations, overriding or
        adding to the shipped international target values.
    calibrations
        Recalibration times (UTC) per method id; each starts a new systematic error.
    inventories
        Physical inventories, one more than periods, in time order.
    periods
        Balance periods (at least one), in time order.
    """

    mba: MbaSection
    methods: list[MethodErrors] = Field(default_factory=list)
    calibrations: dict[str, list[datetime]] = Field(default_factory=dict)
    inventories: list[InventoryEntry]
    periods: list[PeriodEntry] = Field(min_length=1)


def _format_loc(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _build(name: str, path: str, make: Callable[[], T]) -> T:
    try:
        return make()
    except InputError as exc:
        inner = f"{path}.{exc.where}" if exc.where else path
        raise InputError(exc.message, where=f"{name}: {inner}") from None


def _batch(raw: BatchEntry) -> Batch:
    return Batch(
        id=raw.id,
        element=raw.element,
        isotope=raw.isotope,
        mass=raw.mass,
        unit=raw.unit,
        methods=tuple(raw.method),
        kmp=raw.kmp,
    )


def _change(raw: ChangeEntry) -> InventoryChange:
    batch = _batch(raw)
    return InventoryChange(kind=raw.kind, time=raw.time, batch=batch)  # type: ignore[arg-type]


def parse_facility(
    data: object, name: str = "<facility>", *, error_model: ErrorModel | None = None
) -> Facility:
    """Validate parsed YAML/JSON data into a :class:`Facility`.

    Parameters
    ----------
    data
        The parsed document (a mapping).
    name
        File name used in error locations.
    error_model
        Base error model, overridden by the file's ``methods``; default: the shipped
        ITV table (:func:`default_error_model`).

    Raises
    ------
    InputError
        One error naming ``name`` and the field.
    """
    try:
        raw = FacilityFile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = _format_loc(tuple(err["loc"]))
        raise InputError(err["msg"], where=f"{name}: {loc}" if loc else name) from None

    base = default_error_model() if error_model is None else error_model
    model = base.updated(raw.methods)
    kmps = tuple(
        _build(name, f"mba.kmps[{i}]", partial(KeyMeasurementPoint, k.id, k.kind, k.description))
        for i, k in enumerate(raw.mba.kmps)
    )
    mba = _build(name, "mba", lambda: MaterialBalanceArea(raw.mba.id, raw.mba.name, kmps))
    inventories: list[PhysicalInventory] = []
    for i, inv in enumerate(raw.inventories):
        items = tuple(
            _build(name, f"inventories[{i}].items[{j}]", partial(_batch, b))
            for j, b in enumerate(inv.items)
        )
        inventories.append(
            _build(
                name,
                f"inventories[{i}]",
                partial(PhysicalInventory, inv.time, items),
            )
        )
    periods: list[BalancePeriod] = []
    for i, per in enumerate(raw.periods):
        changes = tuple(
            _build(name, f"periods[{i}].changes[{j}]", partial(_change, c))
            for j, c in enumerate(per.changes)
        )
        periods.append(
            _build(
                name,
                f"periods[{i}]",
                partial(BalancePeriod, per.id, per.start, per.end, changes),
            )
        )
    calibrations = {key: tuple(value) for key, value in raw.calibrations.items()}
    try:
        return Facility(
            mba=mba,
            error_model=model,
            inventories=tuple(inventories),
            periods=tuple(periods),
            calibrations=calibrations,
        )
    except InputError as exc:
        raise InputError(exc.message, where=f"{name}: {exc.where}") from None


def load_facility(path: str | Path, *, error_model: ErrorModel | None = None) -> Facility:
    """Read a facility file: ``.yaml``/``.yml`` or ``.json``.

    Raises
    ------
    InputError
        If the file is missing, unreadable, not valid YAML/JSON, or its content is bad.
    """
    file = Path(path)
    name = file.name
    text = read_text(file)
    data: Any
    if file.suffix.lower() == ".json":
        data = parse_json(text, where=name)
    elif file.suffix.lower() in (".yaml", ".yml"):
        try:
            data = load_yaml(text)
        except yaml.YAMLError as exc:
            raise InputError(f"not valid YAML: {exc}", where=name) from None
    else:
        raise InputError("a facility file must end in .yaml, .yml or .json", where=name)
    return parse_facility(data, name, error_model=error_model)


def _time(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _batch_data(batch: Batch) -> dict[str, Any]:
    data: dict[str, Any] = {"id": batch.id, "element": batch.element}
    if batch.isotope is not None:
        data["isotope"] = batch.isotope
    data |= {
        "mass": batch.mass,
        "unit": batch.unit,
        "method": list(batch.methods),
        "kmp": batch.kmp,
    }
    return data


def facility_to_data(facility: Facility) -> dict[str, Any]:
    """The facility as the mapping :func:`parse_facility` reads (times in UTC, ISO 8601).

    Every method of the error model is written out with its source, so that the file
    stands on its own.
    """
    return {
        "mba": {
            "id": facility.mba.id,
            "name": facility.mba.name,
            "kmps": [
                {"id": k.id, "kind": k.kind, "description": k.description}
                for k in facility.mba.kmps
            ],
        },
        "methods": [
            facility.error_model.get(m).model_dump(mode="json")
            for m in sorted(facility.error_model.ids)
        ],
        "calibrations": {
            method: [_time(t) for t in times] for method, times in facility.calibrations.items()
        },
        "inventories": [
            {"time": _time(inv.time), "items": [_batch_data(b) for b in inv.items]}
            for inv in facility.inventories
        ],
        "periods": [
            {
                "id": per.id,
                "start": _time(per.start),
                "end": _time(per.end),
                "changes": [
                    {"kind": c.kind, "time": _time(c.time)} | _batch_data(c.batch)
                    for c in per.changes
                ],
            }
            for per in facility.periods
        ],
    }


def write_facility(path: str | Path, facility: Facility) -> Path:
    """Write a facility file atomically: JSON for ``.json``, YAML for ``.yaml``/``.yml``."""
    file = Path(path)
    data = facility_to_data(facility)
    if file.suffix.lower() == ".json":
        text = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
    elif file.suffix.lower() in {".yaml", ".yml"}:
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    else:
        raise InputError("a facility file must end in .json, .yaml or .yml", where=str(file))
    return write_atomically(file, text.encode("utf-8"))
