"""The catalog of verification methods the information barrier can run.

:func:`default_registry` registers one :class:`MethodPlugin` for every method name in
the shipped treaty specifications that treatyverify implements:

========================== ======================= ==================================
method                     inputs                  treaty parameter (threshold)
========================== ======================= ==================================
gamma.pu-presence          gamma                   min_significance_sigma
gamma.pu240-pu239-ratio    gamma                   max_ratio (*)
gamma.pu-age               gamma                   min_age_years (*)
gamma.oxide-absence        gamma                   max_oxide_significance_sigma
gamma.u-enrichment         gamma                   min_enrichment (*)
gamma.symmetry             positions               false_alarm_probability
neutron.multiplicity-mass  neutron                 min_mass_kg
template.spectrum-match    template, candidate     false_alarm_probability, normalization
template.multiplet-match   template_gamma,         false_alarm_probability
                           candidate_gamma
accountancy.mass-balance   balance                 false_alarm_probability
========================== ======================= ==================================

Inputs: ``gamma`` is a :class:`GammaMeasurement`, ``positions`` a sequence of them
(one per detector position), ``neutron`` a :class:`MultiplicityMeasurement`,
``template`` and ``candidate`` spectra (:class:`Spectrum`), ``template_gamma`` and
``candidate_gamma`` their :class:`GammaMeasurement` (calibration and resolution),
``balance`` a :class:`MaterialBalance` (the MUFs of a campaign with their covariance,
judged by Page's test on SITMUF at the treaty's campaign false-alarm probability).

(*) and ``confidence_level`` (one-sided level of the bound the decision reads),
``max_relative_uncertainty`` and ``min_signature_sigma`` (the nuclide must be seen);
see :mod:`treatyverify.methods.gamma.isotopic_attributes`. An isotopic attribute whose
bound straddles its threshold raises :class:`~treatyverify.errors.InconclusiveError`,
which the barrier releases as the status ``inconclusive``. Every gamma method except
``template.spectrum-match`` refuses a spectrum that is not HPGe-class
(``needs-high-resolution``).

Every threshold comes from the method's parameters in the treaty specification
(:meth:`MethodSpec.number`); a missing one is the :class:`SpecError` naming the treaty
and the field, never a default. Each plugin computes ``pass`` and its physics value
(``ratio``, ``mass_kg``, ...); the barrier releases only those the treaty lists in
``reveals``.

Not implemented here: ``unique-identifier`` (tags and seals), ``visual-count`` and
``visual-count.reentry-vehicles``
(inspections counted by inspectors, not measured behind a barrier).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from treatyverify.barrier.registry import MethodPlugin, MethodRegistry, OutputValue
from treatyverify.barrier.sensitive import SensitiveData
from treatyverify.errors import InconclusiveError, InputError
from treatyverify.methods.accountancy.balance import MaterialBalance
from treatyverify.methods.accountancy.evaluation import evaluate_campaign
from treatyverify.methods.decision import Decision, Verdict
from treatyverify.methods.gamma.attributes import (
    GammaMeasurement,
    oxide_absence,
    pu_presence,
    symmetry,
)
from treatyverify.methods.gamma.instrument import require_high_resolution
from treatyverify.methods.gamma.isotopic_attributes import (
    pu240_pu239_ratio,
    pu_age,
    u_enrichment,
)
from treatyverify.methods.gamma.spectrum import Spectrum
from treatyverify.methods.neutron.attribute import MultiplicityMeasurement, pu_mass_attribute
from treatyverify.methods.template.compare import compare_spectra
from treatyverify.methods.template.multiplets import compare_multiplets
from treatyverify.treaty.models import MethodSpec

__all__ = ["NOT_IMPLEMENTED", "default_registry"]

NOT_IMPLEMENTED: frozenset[str] = frozenset(
    {
        "unique-identifier",
        "visual-count",
        "visual-count.reentry-vehicles",
    }
)
"""Method names used in the shipped treaties that have no plugin here."""

Outputs = Mapping[str, OutputValue]


def _gamma(data: SensitiveData, method: MethodSpec, name: str = "gamma") -> GammaMeasurement:
    """The measurement ``name``, refused unless HPGe-class: every gamma attribute here
    reads lines that only a germanium detector resolves."""
    value = data[name]
    if not isinstance(value, GammaMeasurement):
        raise InputError("must be a GammaMeasurement", where=name)
    require_high_resolution(value, method.method)
    return value


def _decided(verdict: Verdict) -> bool:
    """``pass`` for a decided verdict; an inconclusive one leaves as its own status."""
    if verdict.decision is Decision.INCONCLUSIVE:
        raise InconclusiveError(
            verdict.reason or "bound-straddles-threshold",
            "the attribute was measured but not decided at the treaty's confidence",
        )
    return verdict.passed


def _isotopic_thresholds(method: MethodSpec) -> dict[str, float]:
    return {
        "confidence_level": method.number("confidence_level"),
        "max_relative_uncertainty": method.number("max_relative_uncertainty"),
        "min_signature_sigma": method.number("min_signature_sigma"),
    }


def _presence(data: SensitiveData, method: MethodSpec) -> Outputs:
    result = pu_presence(
        _gamma(data, method), min_significance_sigma=method.number("min_significance_sigma")
    )
    return {"pass": result.passed, "significance_sigma": result.significance_sigma}


def _ratio(data: SensitiveData, method: MethodSpec) -> Outputs:
    result = pu240_pu239_ratio(
        _gamma(data, method), max_ratio=method.number("max_ratio"), **_isotopic_thresholds(method)
    )
    passed = _decided(result.verdict)
    return {"pass": passed, "ratio": -1.0 if result.ratio is None else result.ratio.value}


def _age(data: SensitiveData, method: MethodSpec) -> Outputs:
    result = pu_age(
        _gamma(data, method),
        min_age_years=method.number("min_age_years"),
        **_isotopic_thresholds(method),
    )
    passed = _decided(result.verdict)
    value = -1.0 if result.age_years is None else result.age_years.value
    return {"pass": passed, "age_years": value}


def _oxide(data: SensitiveData, method: MethodSpec) -> Outputs:
    result = oxide_absence(
        _gamma(data, method),
        max_oxide_significance_sigma=method.number("max_oxide_significance_sigma"),
    )
    return {"pass": result.passed, "significance_sigma": result.significance_sigma}


def _enrichment(data: SensitiveData, method: MethodSpec) -> Outputs:
    result = u_enrichment(
        _gamma(data, method),
        min_enrichment=method.number("min_enrichment"),
        **_isotopic_thresholds(method),
    )
    passed = _decided(result.verdict)
    value = -1.0 if result.enrichment is None else result.enrichment.value
    return {"pass": passed, "enrichment": value}


def _symmetry(data: SensitiveData, method: MethodSpec) -> Outputs:
    positions = data["positions"]
    if not isinstance(positions, Sequence) or not all(
        isinstance(p, GammaMeasurement) for p in positions
    ):
        raise InputError("must be a sequence of GammaMeasurement", where="positions")
    for position in positions:
        require_high_resolution(position, method.method)
    result = symmetry(positions, false_alarm_probability=method.number("false_alarm_probability"))
    return {"pass": result.passed, "p_value": result.p_value}


def _mass(data: SensitiveData, method: MethodSpec) -> Outputs:
    neutron = data["neutron"]
    if not isinstance(neutron, MultiplicityMeasurement):
        raise InputError("must be a MultiplicityMeasurement", where="neutron")
    result = pu_mass_attribute(neutron, min_mass_kg=method.number("min_mass_kg"))
    return {"pass": result.passed, "mass_kg": result.mass_kg}


def _template(data: SensitiveData, method: MethodSpec) -> Outputs:
    template, candidate = data["template"], data["candidate"]
    for name, value in (("template", template), ("candidate", candidate)):
        if not isinstance(value, Spectrum):
            raise InputError("must be a Spectrum", where=name)
    result = compare_spectra(
        template,
        candidate,
        false_alarm_probability=method.number("false_alarm_probability"),
        normalization=method.text("normalization"),
    )
    return {"pass": result.passed, "p_value": result.p_value}


def _multiplets(data: SensitiveData, method: MethodSpec) -> Outputs:
    template, candidate = data["template_gamma"], data["candidate_gamma"]
    for name, value in (("template_gamma", template), ("candidate_gamma", candidate)):
        if not isinstance(value, GammaMeasurement):
            raise InputError("must be a GammaMeasurement", where=name)
        require_high_resolution(value, method.method)
    result = compare_multiplets(
        template, candidate, false_alarm_probability=method.number("false_alarm_probability")
    )
    return {"pass": result.passed, "p_value": result.p_value}


def _mass_balance(data: SensitiveData, method: MethodSpec) -> Outputs:
    balance = data["balance"]
    if not isinstance(balance, MaterialBalance):
        raise InputError("must be a MaterialBalance", where="balance")
    result = evaluate_campaign(
        balance, false_alarm_probability=method.number("false_alarm_probability")
    )
    alarm = result.page.alarm_period
    return {"pass": result.passed, "alarm_period": 0 if alarm is None else alarm}


_GAMMA = ("treatyverify.methods.gamma.attributes", "treatyverify.methods.gamma.instrument")
_ISOTOPIC = (
    "treatyverify.methods.gamma.isotopic_attributes",
    "treatyverify.methods.gamma.instrument",
)
_NEUTRON = ("treatyverify.methods.neutron.attribute",)
_TEMPLATE = ("treatyverify.methods.template.compare",)
_MULTIPLETS = ("treatyverify.methods.template.multiplets",)
_ACCOUNTANCY = ("treatyverify.methods.accountancy.evaluation",)


def default_registry() -> MethodRegistry:
    """A registry holding every implemented method (see the module docstring).

    Each plugin names the physics modules its function calls; its code hash covers
    them, the modules they import and their nuclear data, not this adapter module.
    """
    registry = MethodRegistry()
    plugins = (
        ("gamma.pu-presence", ("gamma",), {"pass", "significance_sigma"}, _presence, _GAMMA),
        ("gamma.pu240-pu239-ratio", ("gamma",), {"pass", "ratio"}, _ratio, _ISOTOPIC),
        ("gamma.pu-age", ("gamma",), {"pass", "age_years"}, _age, _ISOTOPIC),
        ("gamma.oxide-absence", ("gamma",), {"pass", "significance_sigma"}, _oxide, _GAMMA),
        ("gamma.u-enrichment", ("gamma",), {"pass", "enrichment"}, _enrichment, _ISOTOPIC),
        ("gamma.symmetry", ("positions",), {"pass", "p_value"}, _symmetry, _GAMMA),
        ("neutron.multiplicity-mass", ("neutron",), {"pass", "mass_kg"}, _mass, _NEUTRON),
        (
            "template.spectrum-match",
            ("template", "candidate"),
            {"pass", "p_value"},
            _template,
            _TEMPLATE,
        ),
        (
            "template.multiplet-match",
            ("template_gamma", "candidate_gamma"),
            {"pass", "p_value"},
            _multiplets,
            _MULTIPLETS,
        ),
        (
            "accountancy.mass-balance",
            ("balance",),
            {"pass", "alarm_period"},
            _mass_balance,
            _ACCOUNTANCY,
        ),
    )
    for name, inputs, outputs, run, modules in plugins:
        registry.register(MethodPlugin(name, inputs, frozenset(outputs), run, modules))
    return registry
