"""Fuel-cycle scenario generator: a year of monthly material balances, with measurement
errors and optional diversion, for tests and exercises.

Two plants are modelled, each as one MBA with 12 monthly balance periods:

Reprocessing plant (plutonium balance)
    Throughput 800 t heavy metal per year: the maximum annual capacity of the Rokkasho
    Reprocessing Plant, 800 tUPr (Japan Nuclear Fuel Ltd., press release of 16 December
    2020, "Operation Plans for Rokkasho Reprocessing Plant and MOX Fuel Fabrication Plant").
    Plutonium content of the spent fuel 1 % of heavy metal, the order of magnitude
    usually quoted for LWR fuel discharged at about 40-50 GWd/t (notional round value).
    So 8000 kg Pu/yr, 666.7 kg per month, received in 10 input-accountancy-tank
    batches (notional). 0.1 % of the input goes to measured discards (high-active
    waste, notional); the rest is shipped in 4 product batches per month (notional).
    In-process inventory 300 kg Pu in 3 items (notional).

Enrichment plant (uranium element and U-235 balances)
    Notional feed 1000 t U per year of natural UF6 (U-235 0.711 wt %, natural
    abundance), product 4.5 % and tails 0.25 % (notional); by the two-stream mass
    balance the product is (0.711 - 0.25) / (4.5 - 0.25) = 10.85 % of the feed.
    Feed in 10 cylinders, product in 6, tails in 9 per month (notional).
    Process hold-up 2000 kg U at the feed assay (notional). Every batch is accounted
    twice, as element U and as U-235 (the U mass times the stream's assay); the U-235
    account adds the error of the enrichment assay (``uf6-enrichment-assay``). A
    diversion of ``D`` kg U (taken from product and tails in proportion) removes
    ``0.00711 D`` kg U-235, the feed assay, since the split conserves U-235.

Measurement errors follow :mod:`.measurement_errors`: each measured mass is
``true * (1 + sum_c (r_c + s_c))`` with ``r_c`` drawn for every measurement and ``s_c``
drawn once per method per year (one calibration period). The error values used by
default are :data:`NOTIONAL_ERRORS`: notional, chosen for exercises, NOT ITV values
(see ``itv.yaml``); pass ``error_model=`` to use others.

Diversion removes material without record: the true MUF of period ``i`` equals the
mass diverted in it. :func:`abrupt` and :func:`protracted` build the per-period masses.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from treatyverify.errors import InputError
from treatyverify.methods.accountancy.measurement_errors import ErrorModel, MethodErrors
from treatyverify.methods.accountancy.model import (
    BalancePeriod,
    Batch,
    ChangeKind,
    Facility,
    InventoryChange,
    KeyMeasurementPoint,
    MaterialBalanceArea,
    PhysicalInventory,
)

__all__ = [
    "NOTIONAL_ERRORS",
    "N_PERIODS",
    "abrupt",
    "enrichment_plant",
    "protracted",
    "reprocessing_plant",
]

N_PERIODS = 12
"""Monthly balances over one year."""

FEED_ASSAY = 0.00711
"""U-235 mass fraction of natural uranium, 0.711 wt % (natural abundance)."""
PRODUCT_ASSAY = 0.045
"""U-235 mass fraction of the enrichment plant's product (notional, 4.5 wt %)."""
TAILS_ASSAY = 0.0025
"""U-235 mass fraction of the enrichment plant's tails (notional, 0.25 wt %)."""

_NOTIONAL = "notional, chosen for exercises (not an ITV-2010 value)"

NOTIONAL_ERRORS = ErrorModel(
    methods=(
        MethodErrors(
            id="iat-volume",
            random_rsd=0.002,
            systematic_rsd=0.002,
            source=_NOTIONAL,
            description="solution volume in the input accountancy tank",
        ),
        MethodErrors(
            id="pu-input-concentration",
            random_rsd=0.004,
            systematic_rsd=0.003,
            source=_NOTIONAL,
            description="Pu concentration of dissolver solution",
        ),
        MethodErrors(
            id="pu-product-assay",
            random_rsd=0.001,
            systematic_rsd=0.001,
            source=_NOTIONAL,
            description="Pu in product (weighing and assay)",
        ),
        MethodErrors(
            id="waste-nda",
            random_rsd=0.10,
            systematic_rsd=0.10,
            source=_NOTIONAL,
            description="Pu in high-active waste by non-destructive assay",
        ),
        MethodErrors(
            id="pu-process-inventory",
            random_rsd=0.01,
            systematic_rsd=0.01,
            source=_NOTIONAL,
            description="Pu in process vessels at inventory",
        ),
        MethodErrors(
            id="uf6-cylinder-weighing",
            random_rsd=0.0005,
            systematic_rsd=0.0005,
            source=_NOTIONAL,
            description="net UF6 mass of a cylinder",
        ),
        MethodErrors(
            id="uf6-u-assay",
            random_rsd=0.0005,
            systematic_rsd=0.0005,
            source=_NOTIONAL,
            description="U mass fraction of UF6 sample",
        ),
        MethodErrors(
            id="holdup-nda",
            random_rsd=0.05,
            systematic_rsd=0.05,
            source=_NOTIONAL,
            description="U hold-up in cascades by non-destructive assay",
        ),
        MethodErrors(
            id="uf6-enrichment-assay",
            random_rsd=0.001,
            systematic_rsd=0.0005,
            source=_NOTIONAL,
            description="U-235 mass fraction of U in a UF6 sample",
        ),
    )
)
"""Notional relative errors for the scenarios (not ITV values)."""


@dataclass(frozen=True)
class _Stream:
    kind: ChangeKind
    kmp: str
    methods: tuple[str, ...]
    batches: int
    label: str
    assay: float = 0.0  # isotope mass per element mass (with _Isotope only)


@dataclass(frozen=True)
class _Isotope:
    """The isotope accounted beside the element: name, assay method, hold-up assay."""

    name: str
    method: str
    inventory_assay: float


def _check_masses(masses: Sequence[float], where: str) -> None:
    for mass in masses:
        if not math.isfinite(mass):
            raise InputError(f"a diverted mass must be finite, got {mass}", where=where)
        if mass < 0:
            raise InputError("a diverted mass cannot be negative", where=where)


def abrupt(mass_kg: float, period: int, n_periods: int = N_PERIODS) -> tuple[float, ...]:
    """Diversion of ``mass_kg`` (kg) in one period (0-based index)."""
    if not 0 <= period < n_periods:
        raise InputError(f"period must be in 0..{n_periods - 1}, got {period}", where="period")
    _check_masses((mass_kg,), "mass_kg")
    return tuple(mass_kg if i == period else 0.0 for i in range(n_periods))


def protracted(
    mass_kg: float, first: int = 0, last: int = N_PERIODS - 1, n_periods: int = N_PERIODS
) -> tuple[float, ...]:
    """Diversion of ``mass_kg`` (kg) in equal parts over periods ``first..last``."""
    if not 0 <= first <= last < n_periods:
        raise InputError(f"need 0 <= first <= last < {n_periods}", where="first")
    _check_masses((mass_kg,), "mass_kg")
    share = mass_kg / (last - first + 1)
    return tuple(share if first <= i <= last else 0.0 for i in range(n_periods))


def _month(start: datetime, months: int) -> datetime:
    year, month = divmod(start.month - 1 + months, 12)
    return start.replace(year=start.year + year, month=month + 1)


def _generate(
    *,
    rng: np.random.Generator,
    mba: MaterialBalanceArea,
    element: str,
    error_model: ErrorModel,
    receipt_kg: float,
    removal_split: Sequence[tuple[_Stream, float]],
    receipt_stream: _Stream,
    inventory_kg: Sequence[float],
    inventory_methods: tuple[str, ...],
    inventory_kmp: str,
    diversion_kg: Sequence[float] | None,
    measurement_errors: bool,
    start: datetime,
    isotope: _Isotope | None = None,
) -> Facility:
    diversion = tuple(diversion_kg) if diversion_kg is not None else (0.0,) * N_PERIODS
    if len(diversion) != N_PERIODS:
        raise InputError(f"give {N_PERIODS} diverted masses", where="diversion_kg")
    _check_masses(diversion, "diversion_kg")
    methods = sorted(
        {m for s, _ in removal_split for m in s.methods}
        | set(receipt_stream.methods)
        | set(inventory_methods)
    )
    for method in methods + ([isotope.method] if isotope else []):
        error_model.get(method)
    # one systematic error per method per year (one calibration period)
    systematic = {
        m: (rng.normal(0.0, error_model.get(m).systematic_rsd) if measurement_errors else 0.0)
        for m in methods
    }

    # element batches with (true isotope mass, element error factor) for the isotope account
    pending: list[tuple[Batch, float, float]] = []

    def batch(
        batch_id: str, true_kg: float, stream_methods: tuple[str, ...], kmp: str, assay: float
    ) -> Batch:
        factor = 1.0
        for m in stream_methods:
            r = rng.normal(0.0, error_model.get(m).random_rsd) if measurement_errors else 0.0
            factor += r + systematic[m]
        made = Batch(
            id=batch_id,
            element=element,
            mass=max(true_kg * factor, 0.0),
            unit="kg",
            methods=stream_methods,
            kmp=kmp,
        )
        pending.append((made, true_kg * assay, factor))
        return made

    inventory_items = [
        [
            batch(
                f"INV{k:02d}-{n}",
                mass,
                inventory_methods,
                inventory_kmp,
                isotope.inventory_assay if isotope else 0.0,
            )
            for n, mass in enumerate(inventory_kg)
        ]
        for k in range(N_PERIODS + 1)
    ]

    period_bounds: list[tuple[datetime, datetime]] = []
    period_changes: list[list[InventoryChange]] = []
    for i in range(N_PERIODS):
        begin, end = _month(start, i), _month(start, i + 1)
        period_bounds.append((begin, end))
        span = end - begin
        # true inventory is steady: removals = receipts - diversion
        streams: list[tuple[_Stream, float]] = [(receipt_stream, receipt_kg)]
        removable = receipt_kg - diversion[i]
        if removable < 0:
            raise InputError("a month's diversion exceeds its receipts", where="diversion_kg")
        streams += [(stream, removable * share) for stream, share in removal_split]
        changes: list[InventoryChange] = []
        for stream, total_kg in streams:
            for b in range(stream.batches):
                when = begin + span * (b + 0.5) / stream.batches
                changes.append(
                    InventoryChange(
                        kind=stream.kind,
                        time=when,
                        batch=batch(
                            f"{i + 1:02d}-{stream.label}{b + 1:02d}",
                            total_kg / stream.batches,
                            stream.methods,
                            stream.kmp,
                            stream.assay,
                        ),
                    )
                )
        period_changes.append(changes)
    if isotope is not None:
        # drawn after every element error, so the element account is the same for a seed
        assay = error_model.get(isotope.method)
        s_iso = rng.normal(0.0, assay.systematic_rsd) if measurement_errors else 0.0
        twins: dict[int, Batch] = {}
        for made, true_kg, factor in pending:
            r_iso = rng.normal(0.0, assay.random_rsd) if measurement_errors else 0.0
            twins[id(made)] = Batch(
                id=made.id,
                element=element,
                isotope=isotope.name,
                mass=max(true_kg * (factor + r_iso + s_iso), 0.0),
                unit="kg",
                methods=(*made.methods, isotope.method),
                kmp=made.kmp,
            )
        inventory_items = [
            [twin for item in items for twin in (item, twins[id(item)])]
            for items in inventory_items
        ]
        period_changes = [
            [
                twin
                for change in changes
                for twin in (
                    change,
                    InventoryChange(change.kind, change.time, twins[id(change.batch)]),
                )
            ]
            for changes in period_changes
        ]
    inventories = tuple(
        PhysicalInventory(_month(start, k), tuple(items)) for k, items in enumerate(inventory_items)
    )
    periods = tuple(
        BalancePeriod(
            f"{bounds[0]:%Y-%m}",
            bounds[0],
            bounds[1],
            tuple(sorted(changes, key=lambda change: change.time)),
        )
        for bounds, changes in zip(period_bounds, period_changes, strict=True)
    )
    return Facility(mba=mba, error_model=error_model, inventories=inventories, periods=periods)


def _rng(seed: int | np.random.Generator) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def reprocessing_plant(
    seed: int | np.random.Generator,
    *,
    diversion_kg: Sequence[float] | None = None,
    error_model: ErrorModel = NOTIONAL_ERRORS,
    measurement_errors: bool = True,
    start: datetime = datetime(2025, 1, 1, tzinfo=UTC),
) -> Facility:
    """One year of monthly Pu balances of an 800 t HM/yr reprocessing plant.

    Parameters
    ----------
    seed
        Seed or generator; the result is deterministic for a given seed.
    diversion_kg
        Pu diverted per month, kg (12 values; see :func:`abrupt`, :func:`protracted`).
    error_model
        Must know ``iat-volume``, ``pu-input-concentration``, ``pu-product-assay``,
        ``waste-nda`` and ``pu-process-inventory``.
    measurement_errors
        ``False`` gives the true masses (no errors drawn).
    start
        Start of the first month (UTC).
    """
    mba = MaterialBalanceArea(
        id="RP-MBA-2",
        name="Reprocessing plant process area (notional)",
        kmps=(
            KeyMeasurementPoint("KMP-A", "flow", "input accountancy tank"),
            KeyMeasurementPoint("KMP-B", "flow", "product to Pu store"),
            KeyMeasurementPoint("KMP-C", "flow", "high-active waste"),
            KeyMeasurementPoint("KMP-D", "inventory", "process vessels"),
        ),
    )
    pu_kg_per_month = 800_000.0 * 0.01 / N_PERIODS  # 800 t HM/yr x 1 % Pu, kg
    return _generate(
        rng=_rng(seed),
        mba=mba,
        element="Pu",
        error_model=error_model,
        receipt_kg=pu_kg_per_month,
        receipt_stream=_Stream(
            "receipt", "KMP-A", ("iat-volume", "pu-input-concentration"), 10, "IAT"
        ),
        removal_split=(
            (_Stream("shipment", "KMP-B", ("pu-product-assay",), 4, "PRD"), 0.999),
            (_Stream("measured-discard", "KMP-C", ("waste-nda",), 1, "HAW"), 0.001),
        ),
        inventory_kg=(150.0, 100.0, 50.0),
        inventory_methods=("pu-process-inventory",),
        inventory_kmp="KMP-D",
        diversion_kg=diversion_kg,
        measurement_errors=measurement_errors,
        start=start,
    )


def enrichment_plant(
    seed: int | np.random.Generator,
    *,
    diversion_kg: Sequence[float] | None = None,
    error_model: ErrorModel = NOTIONAL_ERRORS,
    measurement_errors: bool = True,
    start: datetime = datetime(2025, 1, 1, tzinfo=UTC),
) -> Facility:
    """One year of monthly U and U-235 balances of a notional 1000 t U/yr enrichment plant.

    Parameters are those of :func:`reprocessing_plant`; the error model must know
    ``uf6-cylinder-weighing``, ``uf6-u-assay``, ``holdup-nda`` and
    ``uf6-enrichment-assay``. Diversion in kg U (element); the U-235 diverted is 0.711 %
    of it. ``material_balance(facility, "U")`` balances element uranium,
    ``material_balance(facility, "U", "U-235")`` the U-235 contained.
    """
    mba = MaterialBalanceArea(
        id="EP-MBA-1",
        name="Enrichment plant cascade area (notional)",
        kmps=(
            KeyMeasurementPoint("KMP-F", "flow", "feed cylinders"),
            KeyMeasurementPoint("KMP-P", "flow", "product cylinders"),
            KeyMeasurementPoint("KMP-T", "flow", "tails cylinders"),
            KeyMeasurementPoint("KMP-H", "inventory", "cascade hold-up"),
        ),
    )
    feed_kg = 1_000_000.0 / N_PERIODS
    product_share = (FEED_ASSAY - TAILS_ASSAY) / (PRODUCT_ASSAY - TAILS_ASSAY)
    cylinder = ("uf6-cylinder-weighing", "uf6-u-assay")
    return _generate(
        rng=_rng(seed),
        mba=mba,
        element="U",
        error_model=error_model,
        receipt_kg=feed_kg,
        receipt_stream=_Stream("receipt", "KMP-F", cylinder, 10, "F", FEED_ASSAY),
        removal_split=(
            (_Stream("shipment", "KMP-P", cylinder, 6, "P", PRODUCT_ASSAY), product_share),
            (_Stream("shipment", "KMP-T", cylinder, 9, "T", TAILS_ASSAY), 1.0 - product_share),
        ),
        inventory_kg=(2000.0,),
        inventory_methods=("holdup-nda",),
        inventory_kmp="KMP-H",
        diversion_kg=diversion_kg,
        measurement_errors=measurement_errors,
        start=start,
        isotope=_Isotope("U-235", "uf6-enrichment-assay", FEED_ASSAY),
    )
