"""Warhead dismantlement: items presented for dismantlement, authenticated behind a barrier.

The host declares the items it presents (containers declared to hold warheads of a
declared type), the treaty's dismantlement steps are walked in order with chain-of-
custody records, and at the authentication step the inspectors choose, by a
commit-reveal draw, which items to authenticate (all of them when the quota covers
them). Each chosen item is measured through the information barrier with the treaty's
methods that the inspectors bring: gamma attributes on a simulated HPGe spectrum
(:func:`~treatyverify.methods.gamma.simulate.simulate_item`) and the plutonium mass
attribute from a simulated neutron pulse train analysed by a shift register
(:mod:`treatyverify.methods.neutron`). An item that fails a method, or on which a
method ends in an error, is a finding of non-compliance about that item.

The host's violation is ``hoax-items``: some items are replaced by a hoax of a kind the
gamma simulator knows (``lead-hoax``, ``du-hoax``, ``reactor-grade-substitute`` ...).
Every genuine item's hidden mass, age and geometry are drawn anew in each run.
See docs/exercise-dismantlement.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, model_validator

from treatyverify.barrier.barrier import (
    InformationBarrier,
)
from treatyverify.barrier.catalog import default_registry
from treatyverify.barrier.registry import MethodRegistry
from treatyverify.barrier.sensitive import SALT_BYTES, SensitiveData
from treatyverify.compliance.authentication import AUTHENTICATION_RULE, authentication_finding
from treatyverify.errors import TreatyVerifyError
from treatyverify.exercise.regime import RunTruth
from treatyverify.exercise.scenario import (
    Compliant,
    Facility,
    Identifier,
    ScenarioBase,
    ScenarioError,
    Strategy,
    Strict,
)
from treatyverify.exercise.world import RunContext
from treatyverify.methods.gamma.attributes import GammaMeasurement
from treatyverify.methods.gamma.resolution import measurement_from_spectrum
from treatyverify.methods.gamma.simulate import DETECTORS, Detector, simulate_item
from treatyverify.methods.gamma.sources import PRESETS, Material
from treatyverify.methods.neutron import (
    MultiplicityDistributions,
    PulseTrain,
    exponential_gate_fractions,
    multiplicity_distributions,
    shift_register,
    simulate_pulse_train,
)
from treatyverify.methods.neutron.attribute import MultiplicityMeasurement
from treatyverify.methods.neutron.constants import PU240EFF_COEFF_PU238, PU240EFF_COEFF_PU242
from treatyverify.methods.sampling.attribute import exact_sample_size
from treatyverify.records.ledger import Record
from treatyverify.treaty import TreatySpec

__all__ = [
    "CUSTODY_CHECK_KIND",
    "CUSTODY_STEP_KIND",
    "DECLARATION_KIND",
    "REGIME",
    "DismantlementRegime",
    "DismantlementScenario",
    "HoaxItems",
]

DECLARATION_KIND = "item_declaration"
"""Ledger kind of the host's declaration of the items presented (the treaty has no
declaration schedule, so :mod:`treatyverify.exchange.declarations` does not apply):
body ``{"items": [{"item", "type", "item_class", "facility"}], "steps": [...]}``."""

CUSTODY_STEP_KIND = "custody_step"
"""Ledger kind of the host's record that the items entered one dismantlement step:
body ``{"step", "name", "items"}``."""

CUSTODY_CHECK_KIND = "custody_check"
"""Ledger kind of the inspectors' chain-of-custody check at one step: body
``{"step", "inspection", "objective", "items", "seals"}``."""

RULE = AUTHENTICATION_RULE
GAMMA = "gamma"
NEUTRON = "neutron"
NO_NEUTRON_COUNTS = "neutron_counter_empty"
STATION_INPUTS = frozenset({GAMMA, NEUTRON})
"""What the authentication station measures: a gamma spectrum and a neutron count."""
SEAL_STATE = "intact"
_PU = "Pu"
_MICROSECOND_S = 1.0e-6

# Scenario model -------------------------------------------------------------------


class Span(Strict):
    """A hidden quantity drawn uniformly in ``[low, high]`` for each run.

    Attributes
    ----------
    low, high
        Bounds, in the unit of the field that holds the span.
    """

    low: float = Field(ge=0.0, allow_inf_nan=False)
    high: float = Field(ge=0.0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _ordered(self) -> Span:
        if self.high < self.low:
            raise ValueError("high is below low")
        return self

    def draw(self, rng: np.random.Generator) -> float:
        """One value drawn uniformly from the span (same unit)."""
        return float(rng.uniform(self.low, self.high))


class WarheadType(Strict):
    """A declared warhead type and the hidden truth of its genuine items.

    Attributes
    ----------
    id
        Type identifier (what the host declares).
    material
        Gamma-simulator item kind of a genuine item (for example ``weapon-grade-pu``);
        its isotopic composition is also the declared isotopics used by the mass attribute.
    pu_mass_kg
        Hidden fissile mass per item, kg.
    age_years
        Hidden years since the material was last separated, years.
    geometries
        Hidden shapes, one drawn per item and run: ``sphere`` (solid sphere of the mass)
        or ``slab`` (face-on slab, thickness from ``slab_thickness_cm``).
    slab_thickness_cm
        Hidden slab thickness, cm (required when ``slab`` is listed).
    multiplication_per_kg
        Leakage multiplication ``M = 1 + k m`` with ``m`` the mass, 1/kg.
    alpha
        Ratio of (alpha,n) to spontaneous-fission neutrons (dimensionless).
    """

    id: Identifier
    material: str
    pu_mass_kg: Span
    age_years: Span
    geometries: tuple[Literal["sphere", "slab"], ...] = Field(min_length=1)
    slab_thickness_cm: Span | None = None
    multiplication_per_kg: float = Field(ge=0.0, le=1.0)
    alpha: float = Field(ge=0.0, le=100.0)


class Item(Strict):
    """An item presented for dismantlement, as the host declares it.

    Attributes
    ----------
    id
        Item (container) identifier.
    type
        Declared warhead type (``warhead_types``).
    item_class
        Treaty item class (for example ``warhead-in-container``).
    facility
        Declared facility where the item is presented.
    """

    id: Identifier
    type: str
    item_class: str
    facility: str


class Schedule(Strict):
    """The dismantlement steps walked and how long each takes.

    Attributes
    ----------
    steps
        Treaty dismantlement step numbers, consecutive and in order.
    authentication_step
        The step at which items are authenticated (one of ``steps``).
    custody_inspection
        The treaty's inspection type for the chain-of-custody checks.
    step_days
        Calendar days each step takes, days.
    custody_check_days
        Inspection days per chain-of-custody check (per step), days.
    authentication_days
        Inspection days per authenticated item (setup and both countings), days.
    """

    steps: tuple[int, ...] = Field(min_length=1, max_length=100)
    authentication_step: int
    custody_inspection: str
    step_days: float = Field(gt=0.0, le=3650.0)
    custody_check_days: float = Field(ge=0.0, le=3650.0)
    authentication_days: float = Field(gt=0.0, le=3650.0)


class Measurement(Strict):
    """The authentication station: gamma and neutron settings.

    Attributes
    ----------
    detector
        Gamma detector preset (``hpge`` or ``nai``).
    counting_time_s
        Gamma live time per item, s.
    distance_cm
        Item-detector distance, cm.
    steel_cm
        Steel (iron) container wall between item and detector, cm.
    neutron_counting_time_s
        Neutron multiplicity counting time per item, s.
    neutron_efficiency
        Neutron detection efficiency of the well counter (dimensionless).
    die_away_us, predelay_us, gate_us, long_delay_us
        Die-away time, pre-delay, gate width and accidentals delay, microseconds.
    background_neutrons_per_s
        Uncorrelated neutron background counted, 1/s.
    """

    detector: str
    counting_time_s: float = Field(allow_inf_nan=False)
    distance_cm: float = Field(gt=0.0, le=1.0e4)
    steel_cm: float = Field(ge=0.0, le=100.0)
    neutron_counting_time_s: float = Field(allow_inf_nan=False)
    neutron_efficiency: float = Field(gt=0.0, le=1.0)
    die_away_us: float = Field(gt=0.0, le=1.0e4)
    predelay_us: float = Field(ge=0.0, le=1.0e4)
    gate_us: float = Field(gt=0.0, le=1.0e4)
    long_delay_us: float = Field(gt=0.0, le=1.0e6)
    background_neutrons_per_s: float = Field(ge=0.0, le=1.0e6)


class Hoax(Strict):
    """One declared item replaced by a hoax.

    Attributes
    ----------
    item
        The item replaced.
    substitute
        Gamma-simulator item kind of the hoax (``lead-hoax``, ``du-hoax``,
        ``reactor-grade-substitute`` ...), of the declared type's hidden mass.
    """

    item: str
    substitute: str


class HoaxItems(Strategy):
    """The host presents hoaxes in place of some declared items.

    Attributes
    ----------
    hoax_items
        The items replaced and with what.
    """

    kind: Literal["hoax-items"]
    hoax_items: tuple[Hoax, ...] = Field(min_length=1)


class DismantlementScenario(ScenarioBase):
    """A dismantlement exercise (see the module docstring and the docs page).

    Attributes
    ----------
    facilities
        The host's facilities that hold the items.
    warhead_types
        The kinds of warhead, with the hidden properties each item of a kind has.
    items
        The declared items, each of a warhead type and a treaty item class.
    schedule
        The dismantlement steps the items go through and the time each takes.
    measurement
        How the items are measured behind the information barrier.
    """

    regime: Literal["dismantlement"]
    strategy: Annotated[Compliant | HoaxItems, Field(discriminator="kind")]
    facilities: tuple[Facility, ...] = Field(min_length=1)
    warhead_types: tuple[WarheadType, ...] = Field(min_length=1)
    items: tuple[Item, ...] = Field(min_length=1, max_length=10_000)
    schedule: Schedule
    measurement: Measurement


# Checks ---------------------------------------------------------------------------


def _unique(ids: Sequence[str], field: str) -> None:
    seen: set[str] = set()
    for index, name in enumerate(ids):
        if name in seen:
            raise ScenarioError(f"{name!r} appears twice", loc=(field, index, "id"))
        seen.add(name)


def _check_types(scenario: DismantlementScenario) -> None:
    _unique([t.id for t in scenario.warhead_types], "warhead_types")
    for index, kind in enumerate(scenario.warhead_types):
        loc: tuple[str | int, ...] = ("warhead_types", index)
        if kind.material not in PRESETS:
            raise ScenarioError(
                f"unknown material {kind.material!r} (known: {', '.join(sorted(PRESETS))})",
                loc=(*loc, "material"),
            )
        if PRESETS[kind.material].element != _PU:
            raise ScenarioError(
                f"{kind.material} is not plutonium: the mass attribute needs a plutonium type",
                loc=(*loc, "material"),
            )
        if kind.pu_mass_kg.low <= 0.0:
            raise ScenarioError("the mass of an item is > 0 kg", loc=(*loc, "pu_mass_kg", "low"))
        if "slab" in kind.geometries and kind.slab_thickness_cm is None:
            raise ScenarioError("a slab geometry needs slab_thickness_cm", loc=(*loc, "geometries"))
        if kind.slab_thickness_cm is not None and kind.slab_thickness_cm.low <= 0.0:
            raise ScenarioError(
                "a slab is thicker than 0 cm", loc=(*loc, "slab_thickness_cm", "low")
            )


def _check_items(scenario: DismantlementScenario, spec: TreatySpec) -> None:
    _unique([f.id for f in scenario.facilities], "facilities")
    _unique([i.id for i in scenario.items], "items")
    declared = {f.id for f in scenario.facilities if f.declared}
    types = {t.id for t in scenario.warhead_types}
    classes = {c.id for c in spec.item_classes}
    for index, item in enumerate(scenario.items):
        if item.facility not in declared:
            raise ScenarioError(
                f"item {item.id} is at {item.facility!r}, not a declared facility "
                f"(declared: {', '.join(sorted(declared)) or 'none'})",
                loc=("items", index, "facility"),
            )
        if item.type not in types:
            raise ScenarioError(
                f"unknown warhead type {item.type!r} (types: {', '.join(sorted(types))})",
                loc=("items", index, "type"),
            )
        if item.item_class not in classes:
            raise ScenarioError(
                f"{spec.id} has no item class {item.item_class!r} "
                f"(classes: {', '.join(sorted(classes))})",
                loc=("items", index, "item_class"),
            )


def _check_methods(scenario: DismantlementScenario, spec: TreatySpec) -> None:
    methods = scenario.inspector.methods
    if not methods:
        raise ScenarioError(
            "the inspectors bring no method to authenticate items", loc=("inspector", "methods")
        )
    implemented = set(default_registry().names())
    for index, method_id in enumerate(methods):
        method = spec.method(method_id)
        if method.method not in implemented:
            raise ScenarioError(
                f"method {method_id} ({method.method}) is not a measurement the barrier runs",
                loc=("inspector", "methods", index),
            )
        for item in scenario.items:
            if method.item_class != item.item_class:
                raise ScenarioError(
                    f"{spec.id} lists {method_id} for {method.item_class}, not for the "
                    f"{item.item_class} of item {item.id}",
                    loc=("inspector", "methods", index),
                )
        if not set(_inputs(method.method)) <= STATION_INPUTS:
            raise ScenarioError(
                f"method {method_id} needs {', '.join(_inputs(method.method))}; the "
                "authentication station measures one gamma spectrum and one neutron count",
                loc=("inspector", "methods", index),
            )


def _check_schedule(scenario: DismantlementScenario, spec: TreatySpec) -> None:
    schedule = scenario.schedule
    if not spec.dismantlement_steps:
        raise ScenarioError(f"{spec.id} lists no dismantlement steps", loc=("schedule", "steps"))
    known = {s.number for s in spec.dismantlement_steps}
    for index, number in enumerate(schedule.steps):
        if number not in known:
            raise ScenarioError(
                f"{spec.id} has no dismantlement step {number} (steps 1-{max(known)})",
                loc=("schedule", "steps", index),
            )
        if index and number != schedule.steps[index - 1] + 1:
            raise ScenarioError(
                "the steps are walked in order, without gaps", loc=("schedule", "steps", index)
            )
    if schedule.authentication_step not in schedule.steps:
        raise ScenarioError(
            f"step {schedule.authentication_step} is not among the steps walked",
            loc=("schedule", "authentication_step"),
        )
    if schedule.custody_inspection not in {i.id for i in spec.inspections}:
        raise ScenarioError(
            f"{spec.id} has no inspection type {schedule.custody_inspection!r}",
            loc=("schedule", "custody_inspection"),
        )
    needed = len(schedule.steps) * schedule.step_days
    if needed > scenario.timeline.days:
        raise ScenarioError(
            f"{len(schedule.steps)} steps of {schedule.step_days:g} days need {needed:g} days; "
            f"the timeline has {scenario.timeline.days:g}",
            loc=("timeline", "end"),
        )


def _check_effort(scenario: DismantlementScenario) -> None:
    schedule, quota = scenario.schedule, scenario.inspector.quota
    if quota > len(scenario.items):
        raise ScenarioError(
            f"a quota of {quota} authentications exceeds the {len(scenario.items)} items",
            loc=("inspector", "quota"),
        )
    busy = quota * schedule.authentication_days
    if busy > schedule.step_days:
        raise ScenarioError(
            f"{quota} authentications of {schedule.authentication_days:g} days do not fit "
            f"in the {schedule.step_days:g}-day authentication step",
            loc=("inspector", "quota"),
        )
    days = scenario.inspector.team_size * (len(schedule.steps) * schedule.custody_check_days + busy)
    if days > scenario.inspector.team_days:
        raise ScenarioError(
            f"the custody checks and {quota} authentications need {days:g} team-days; "
            f"the inspectors have {scenario.inspector.team_days:g}",
            loc=("inspector", "team_days"),
        )


def _check_measurement(scenario: DismantlementScenario) -> None:
    m = scenario.measurement
    if m.detector not in DETECTORS:
        raise ScenarioError(
            f"unknown detector {m.detector!r} (known: {', '.join(sorted(DETECTORS))})",
            loc=("measurement", "detector"),
        )
    for name in ("counting_time_s", "neutron_counting_time_s"):
        value = getattr(m, name)
        if not 0.0 < value <= 1.0e6:
            raise ScenarioError(
                f"a counting time is > 0 s and at most 1e6 s, not {value:g}",
                loc=("measurement", name),
            )
    if m.long_delay_us < m.predelay_us + m.gate_us:
        raise ScenarioError(
            "the accidentals gate opens after the pre-delay and the gate",
            loc=("measurement", "long_delay_us"),
        )


def _check_strategy(scenario: DismantlementScenario) -> None:
    strategy = scenario.strategy
    if not isinstance(strategy, HoaxItems):
        return
    items = {item.id: item for item in scenario.items}
    types = {t.id: t for t in scenario.warhead_types}
    seen: set[str] = set()
    for index, hoax in enumerate(strategy.hoax_items):
        loc: tuple[str | int, ...] = ("strategy", "hoax_items", index)
        if hoax.item not in items:
            raise ScenarioError(f"no item {hoax.item!r} is declared", loc=(*loc, "item"))
        if hoax.item in seen:
            raise ScenarioError(f"item {hoax.item} is replaced twice", loc=(*loc, "item"))
        seen.add(hoax.item)
        if hoax.substitute not in PRESETS:
            raise ScenarioError(
                f"unknown hoax kind {hoax.substitute!r} (known: {', '.join(sorted(PRESETS))})",
                loc=(*loc, "substitute"),
            )
        if hoax.substitute == types[items[hoax.item].type].material:
            raise ScenarioError(
                f"{hoax.substitute} is what item {hoax.item} is declared to hold: not a hoax",
                loc=(*loc, "substitute"),
            )


# Shared state and one run ---------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    """What every run of one sweep point shares (built once per worker process).

    Attributes
    ----------
    barrier
        The information barrier with the inspectors' methods for the item class.
    detector
        The gamma detector.
    gate_fractions
        Doubles and triples gate fractions of the neutron counter (dimensionless).
    distributions
        Neutron multiplicity distributions of the point-model data.
    start_of_step
        Offset of each walked step from the timeline start.
    inputs
        The sensitive inputs the methods read (``gamma``, ``neutron``): only those
        are measured.
    notes
        Facts for the report (the treaty's sample size for one hoax).
    """

    barrier: InformationBarrier
    detector: Detector
    gate_fractions: tuple[float, float]
    distributions: MultiplicityDistributions
    start_of_step: dict[int, timedelta]
    inputs: frozenset[str]
    notes: dict[str, str]


@dataclass(frozen=True)
class TrueItem:
    """The hidden truth of one item in one run (never leaves the simulation).

    Attributes
    ----------
    kind
        Gamma-simulator item kind it really is.
    genuine
        Whether it is what the host declared.
    mass_kg
        Its mass, kg.
    age_years
        Years since separation, years.
    geometry
        ``sphere`` or ``slab``.
    slab_cm
        Slab thickness, cm (``None`` for a sphere).
    """

    kind: str
    genuine: bool
    mass_kg: float
    age_years: float
    geometry: Literal["sphere", "slab"]
    slab_cm: float | None


def _truth(
    scenario: DismantlementScenario, rng: np.random.Generator, cheat: bool
) -> dict[str, TrueItem]:
    """Draw every item's hidden truth, in declared order (the same draws with or without
    cheating, so the compliant twin differs only by the hoaxes)."""
    types = {t.id: t for t in scenario.warhead_types}
    hoaxes: dict[str, str] = {}
    if cheat and isinstance(scenario.strategy, HoaxItems):
        hoaxes = {h.item: h.substitute for h in scenario.strategy.hoax_items}
    truth = {}
    for item in scenario.items:
        kind = types[item.type]
        mass = kind.pu_mass_kg.draw(rng)
        age = kind.age_years.draw(rng)
        geometry = kind.geometries[int(rng.integers(len(kind.geometries)))]
        slab = kind.slab_thickness_cm.draw(rng) if kind.slab_thickness_cm is not None else None
        real = hoaxes.get(item.id, kind.material)
        truth[item.id] = TrueItem(
            real, item.id not in hoaxes, mass, age, geometry, slab if geometry == "slab" else None
        )
    return truth


def _gamma(
    true: TrueItem, measurement: Measurement, detector: Detector, rng: np.random.Generator
) -> GammaMeasurement:
    """Simulate the item's gamma spectrum and attach the instrument's calibration."""
    spectrum = simulate_item(
        true.kind,
        mass_kg=true.mass_kg,
        detector=detector,
        live_time_s=measurement.counting_time_s,
        geometry=true.geometry,
        slab_thickness_cm=true.slab_cm,
        distance_cm=measurement.distance_cm,
        shielding=[("Fe", measurement.steel_cm)] if measurement.steel_cm > 0.0 else [],
        age_years=true.age_years,
        rng=rng,
    )
    return measurement_from_spectrum(
        spectrum,
        fwhm_noise_kev=math.sqrt(detector.fwhm_a_kev2),
        fwhm_fano_kev=detector.fwhm_b_kev,
    )


def _m240eff_g(material: Material, mass_kg: float) -> float:
    """240Pu-effective mass of ``mass_kg`` of ``material`` (g); 0 without plutonium."""
    if material.element != _PU:
        return 0.0
    return (
        1000.0
        * mass_kg
        * (
            PU240EFF_COEFF_PU238 * material.fraction("Pu-238")
            + material.fraction("Pu-240")
            + PU240EFF_COEFF_PU242 * material.fraction("Pu-242")
        )
    )


def _neutron(
    true: TrueItem,
    kind: WarheadType,
    measurement: Measurement,
    prepared: Prepared,
    rng: np.random.Generator,
) -> MultiplicityMeasurement | None:
    """Count the item's neutrons (pulse train + background, shift register).

    The isotopic fractions are the declared type's (the host declares the isotopics);
    ``None`` when nothing was counted (the mass method then has no input).
    """
    duration = measurement.neutron_counting_time_s
    die_away = measurement.die_away_us * _MICROSECOND_S
    m240eff = _m240eff_g(PRESETS[true.kind], true.mass_kg)
    parts = [
        rng.uniform(0.0, duration, rng.poisson(measurement.background_neutrons_per_s * duration))
    ]
    if m240eff > 0.0:
        train = simulate_pulse_train(
            m240eff,
            1.0 + kind.multiplication_per_kg * true.mass_kg,
            kind.alpha,
            efficiency=measurement.neutron_efficiency,
            die_away_s=die_away,
            duration_s=duration,
            seed=rng,
            distributions=prepared.distributions,
        )
        parts.append(train.times_s)
    times = np.sort(np.concatenate(parts), kind="stable")  # merges sorted runs
    declared = PRESETS[kind.material]
    try:
        counted = shift_register(
            PulseTrain(times_s=times, start_s=0.0, stop_s=duration),
            predelay_s=measurement.predelay_us * _MICROSECOND_S,
            gate_s=measurement.gate_us * _MICROSECOND_S,
            long_delay_s=measurement.long_delay_us * _MICROSECOND_S,
        )
        return MultiplicityMeasurement(
            counted.singles_per_s,
            counted.doubles_per_s,
            counted.triples_per_s,
            counted.covariance,
            measurement.neutron_efficiency,
            prepared.gate_fractions[0],
            prepared.gate_fractions[1],
            declared.fraction("Pu-238"),
            declared.fraction("Pu-240"),
            declared.fraction("Pu-242"),
        )
    except TreatyVerifyError:  # no counts, or no usable covariance: nothing to release
        return None


def _inputs(method_name: str) -> tuple[str, ...]:
    """The sensitive inputs the barrier's plugin ``method_name`` reads."""
    return default_registry().get(method_name).inputs


def _sampling_notes(spec: TreatySpec, items: int) -> dict[str, str]:
    """The authentications the treaty's non-detection goal needs against one hoax."""
    if spec.sampling is None:
        return {}
    beta = spec.sampling.non_detection_probability
    needed = exact_sample_size(items, 1, beta)
    return {
        "sampling": f"{needed} of {items} items meet the treaty's non-detection "
        f"probability {beta:g} against one hoax (hypergeometric)"
    }


class DismantlementRegime:
    """The ``dismantlement`` regime (see the module docstring)."""

    name = "dismantlement"
    model: type[ScenarioBase] = DismantlementScenario
    strategies = frozenset({"compliant", "hoax-items"})

    def check(self, scenario: Any, spec: TreatySpec) -> None:
        """Check cross-references, the timeline, effort and strategy against ``spec``.

        Raises
        ------
        ScenarioError
            Naming the field at fault.
        """
        _check_types(scenario)
        _check_items(scenario, spec)
        _check_methods(scenario, spec)
        _check_schedule(scenario, spec)
        _check_effort(scenario)
        _check_measurement(scenario)
        _check_strategy(scenario)

    def prepare(self, scenario: Any, spec: TreatySpec) -> Prepared:
        """Build the barrier, detector, gate fractions and step times (deterministic)."""
        m: Measurement = scenario.measurement
        registry: MethodRegistry = default_registry()
        barrier = InformationBarrier(
            spec, scenario.items[0].item_class, registry, scenario.inspector.methods
        )
        fractions = exponential_gate_fractions(
            m.die_away_us * _MICROSECOND_S,
            m.predelay_us * _MICROSECOND_S,
            m.gate_us * _MICROSECOND_S,
        )
        step = timedelta(days=scenario.schedule.step_days)
        starts = {n: index * step for index, n in enumerate(scenario.schedule.steps)}
        inputs = frozenset(name for method in barrier.methods for name in _inputs(method.method))
        return Prepared(
            barrier,
            DETECTORS[m.detector],
            fractions,
            multiplicity_distributions(),
            starts,
            inputs,
            _sampling_notes(spec, len(scenario.items)),
        )

    def run(self, context: RunContext, scenario: Any, prepared: Any) -> RunTruth:
        """Declare, walk the steps, authenticate drawn items, propose findings."""
        truth = _truth(scenario, context.rng, context.cheat)
        declaration = _declare(context, scenario)
        authenticated: list[str] = []
        for number in scenario.schedule.steps:
            context.move_to(scenario.timeline.start + prepared.start_of_step[number])
            _custody(context, scenario, number)
            if number == scenario.schedule.authentication_step:
                authenticated = _authenticate(context, scenario, prepared, truth, declaration)
        return _run_truth(scenario, prepared, truth, authenticated, context.cheat)


def _declare(context: RunContext, scenario: DismantlementScenario) -> Record:
    """The host's declaration of the items presented for dismantlement."""
    body = {
        "items": [
            {"item": i.id, "type": i.type, "item_class": i.item_class, "facility": i.facility}
            for i in scenario.items
        ],
        "steps": list(scenario.schedule.steps),
    }
    return context.ledger.append(
        DECLARATION_KIND,
        body,
        context.keys[scenario.host],
        ref=f"{scenario.scenario}-items",
        time=context.advance(minutes=1),
    )


def _custody(context: RunContext, scenario: DismantlementScenario, number: int) -> None:
    """The host's step record and the inspectors' chain-of-custody check."""
    step = context.spec.dismantlement_step(number)
    items = [i.id for i in scenario.items]
    context.ledger.append(
        CUSTODY_STEP_KIND,
        {"step": number, "name": step.name, "items": items},
        context.keys[scenario.host],
        ref=f"step-{number}",
        time=context.advance(minutes=1),
    )
    context.ledger.append(
        CUSTODY_CHECK_KIND,
        {
            "step": number,
            "inspection": scenario.schedule.custody_inspection,
            "objective": step.verification_objective,
            "items": items,
            "seals": SEAL_STATE,
        },
        context.keys[scenario.inspectors[0]],
        ref=f"custody-check-{number}",
        time=context.advance(minutes=30),
    )


def _authenticate(
    context: RunContext,
    scenario: DismantlementScenario,
    prepared: Prepared,
    truth: dict[str, TrueItem],
    declaration: Record,
) -> list[str]:
    """Choose the items (a draw when the quota is short), measure each, propose findings."""
    ids = [item.id for item in scenario.items]
    quota = scenario.inspector.quota
    if quota == 0:
        return []
    if quota < len(ids):
        chosen = context.draw(
            f"authentication-step-{scenario.schedule.authentication_step}",
            purpose="items to authenticate before dismantlement",
            population=ids,
            count=quota,
            opener=scenario.inspectors[0],
        )
    else:
        chosen = ids
    types = {t.id: t for t in scenario.warhead_types}
    items = {item.id: item for item in scenario.items}
    for item_id in chosen:
        started = context.now
        _authenticate_one(
            context,
            scenario,
            prepared,
            truth[item_id],
            types[items[item_id].type],
            item_id,
            declaration,
        )
        context.move_to(started + timedelta(days=scenario.schedule.authentication_days))
    return list(chosen)


def _authenticate_one(
    context: RunContext,
    scenario: DismantlementScenario,
    prepared: Prepared,
    true: TrueItem,
    kind: WarheadType,
    item_id: str,
    declaration: Record,
) -> None:
    m = scenario.measurement
    inputs: dict[str, Any] = {}
    if GAMMA in prepared.inputs:
        inputs[GAMMA] = _gamma(true, m, prepared.detector, context.rng)
    if NEUTRON in prepared.inputs:
        neutron = _neutron(true, kind, m, prepared, context.rng)
        if neutron is not None:
            inputs[NEUTRON] = neutron
        else:  # the mass method then releases the error "missing-input"
            inputs[NO_NEUTRON_COUNTS] = True
    data = SensitiveData(inputs, salt=context.rng.bytes(SALT_BYTES))
    inspector = scenario.inspectors[0]
    context.advance(seconds=m.counting_time_s + m.neutron_counting_time_s)
    releases, release_record = context.measure(prepared.barrier, data, item=item_id, by=inspector)
    finding = authentication_finding(
        treaty=context.spec.id,
        host=scenario.host,
        item=item_id,
        step=scenario.schedule.authentication_step,
        releases=releases,
        basis=(declaration, release_record),
    )
    context.propose(finding, by=inspector)


def _run_truth(
    scenario: DismantlementScenario,
    prepared: Prepared,
    truth: dict[str, TrueItem],
    authenticated: list[str],
    cheat: bool,
) -> RunTruth:
    schedule, m = scenario.schedule, scenario.measurement
    count = len(authenticated)
    effort = {
        "authentications": float(count),
        "measurements": float(count * len(prepared.barrier.methods)),
        "counting_time_s": count * (m.counting_time_s + m.neutron_counting_time_s),
        "team_days": scenario.inspector.team_size
        * (
            len(schedule.steps) * schedule.custody_check_days + count * schedule.authentication_days
        ),
    }
    cheating = frozenset(i for i, t in truth.items() if not t.genuine) if cheat else frozenset()
    return RunTruth(
        effort=effort,
        cheating_subjects=cheating,
        items={i: (truth[i].kind, truth[i].genuine) for i in authenticated},
        notes={
            "neutron": "simulated pulse train with uncorrelated background, shift register",
            **prepared.notes,
        },
    )


REGIME = DismantlementRegime()
