"""Uranium and plutonium isotopics of one measurement, and the quantities attributes use.

:func:`uranium_isotopics` and :func:`plutonium_isotopics` run the joint fit of
:mod:`treatyverify.methods.gamma.isotopics` with the lines of
:mod:`treatyverify.methods.gamma.isotopic_lines` and the physical relative efficiency of
:mod:`treatyverify.methods.gamma.releff`: the detector's characterised efficiency when
the measurement's instrument profile has one, else the generic germanium detector; the
item's self-attenuation in its metal; and the absorbers the instrument profile declares
(filters, container walls), never fitted. A fit is kept for the life of its measurement, so that the
Pu-240/Pu-239 and age attributes of one spectrum share it.

The quantities (:class:`~treatyverify.methods.decision.BoundedValue`) carry three kinds
of uncertainty, all stated:

1. statistics, from the fit's covariance (counts, the dispersion, the emission
   probabilities varied within their uncertainties, the priors);
2. the geometry: a quarter of the quantity's range over the profile of the item's
   areal density within four units of the best objective (a two-sigma
   profile-likelihood interval), which the local covariance misses when the
   likelihood is flat or has two minima;
3. a model term for the detector shape: ``sqrt(2)`` times the relative spread the
   generic germanium detectors keep about their tilted mean
   (:attr:`~treatyverify.methods.gamma.releff.GenericDetector.residual_sigma`), as
   relative variance of each activity ratio, since the two nuclides' lines sit at
   different energies; and the half-lives' uncertainties.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass

import numpy as np

from treatyverify.errors import InputError
from treatyverify.methods.decision import BoundedValue, one_sided_confidence, one_sided_z
from treatyverify.methods.gamma.isotopic_lines import (
    ENERGY_RANGE_KEV,
    interference_lines,
    item_lines,
)
from treatyverify.methods.gamma.isotopics import IsotopicsFit, IsotopicsSetup, fit_isotopics
from treatyverify.methods.gamma.measurement import GammaMeasurement
from treatyverify.methods.gamma.releff import (
    Absorber,
    EfficiencyModel,
    IntrinsicTable,
    generic_hpge,
)
from treatyverify.methods.nucdata.tables import nuclide

__all__ = [
    "PlutoniumIsotopics",
    "UraniumIsotopics",
    "age_from_activity_ratio",
    "efficiency_model",
    "plutonium_isotopics",
    "uranium_isotopics",
]

_YEAR_S = 365.2422 * 86400.0
_FITS: weakref.WeakKeyDictionary[GammaMeasurement, dict[str, IsotopicsFit]] = (
    weakref.WeakKeyDictionary()
)


def _model_relative_variance() -> float:
    return 2.0 * generic_hpge().residual_sigma ** 2


def efficiency_model(measurement: GammaMeasurement, element: str) -> EfficiencyModel:
    """The relative-efficiency model of the isotopics fit of ``element`` on ``measurement``:
    the instrument's characterised shape and declared absorbers when its profile has them."""
    profile = measurement.instrument
    if profile is None:
        return EfficiencyModel({element: 1.0})
    intrinsic = None
    if profile.efficiency is not None:
        curve = profile.efficiency
        intrinsic = IntrinsicTable(
            tuple(curve.energies_kev), tuple(curve.relative_efficiency), f"instrument {profile.id}"
        )
    absorbers = tuple(
        Absorber(f"{a.material}_{k}", {a.material: 1.0}, float(a.areal_density_g_cm2))
        for k, a in enumerate(profile.absorbers)
    )
    return EfficiencyModel({element: 1.0}, absorbers=absorbers, intrinsic=intrinsic)


def _fit(measurement: GammaMeasurement, element: str) -> IsotopicsFit:
    cached = _FITS.setdefault(measurement, {})
    if element not in cached:
        spectrum = measurement.spectrum
        edges = spectrum.channel_edges_kev
        if edges is None:
            edges = measurement.calibration.edges(spectrum.n_channels)
        setup = IsotopicsSetup(
            item=item_lines(element),
            interferences=interference_lines(element),
            efficiency=efficiency_model(measurement, element),
            energy_range_kev=ENERGY_RANGE_KEV[element],
        )
        cached[element] = fit_isotopics(
            spectrum.counts,
            np.asarray(edges, dtype=np.float64),
            setup,
            fwhm_noise_kev=measurement.fwhm_noise_kev,
            fwhm_fano_kev=measurement.fwhm_fano_kev,
        )
    return cached[element]


def _half_life(name: str) -> tuple[float, float]:
    hl = nuclide(name).half_life_s
    return hl.value, hl.uncertainty / hl.value


def _bounds(value: float, sigma: float, z: float) -> tuple[float, float]:
    """One-sided bounds of a positive ratio: log-normal when its relative uncertainty is
    below 30 % (a ratio is skewed, and log-normal keeps the bounds positive), else
    normal, clipped at 0."""
    if value > 0 and math.isfinite(value) and sigma < 0.3 * value:
        spread = math.exp(z * sigma / value)
        return value / spread, value * spread
    return max(value - z * sigma, 0.0), value + z * sigma


def _ratio(
    fit: IsotopicsFit, num: str, den: str, scale: float, extra_relative_variance: float, z: float
) -> BoundedValue:
    """``scale * L_num / L_den`` with statistics, geometry, the model term and
    ``extra_relative_variance`` (half-lives) in its uncertainty."""

    def quantity(values: np.ndarray) -> float:
        a, b = float(values[fit.index(num)]), float(values[fit.index(den)])
        return a / b * scale if b > 0 else math.inf

    ratio, sigma = fit.level_ratio(num, den)
    value = ratio * scale
    geometry = fit.profile_spread(quantity)
    relative = _model_relative_variance() + extra_relative_variance
    total = math.sqrt((sigma * scale) ** 2 + geometry**2 + relative * value**2)
    lower, upper = _bounds(value, total, z)
    return BoundedValue(value, total, lower, upper, one_sided_confidence(z))


def _atom_ratio(fit: IsotopicsFit, num: str, den: str, z: float) -> BoundedValue:
    """``N_num / N_den`` from the levels (activities) and the half-lives."""
    t_num, r_num = _half_life(num)
    t_den, r_den = _half_life(den)
    return _ratio(fit, num, den, t_num / t_den, r_num**2 + r_den**2, z)


@dataclass(frozen=True)
class UraniumIsotopics:
    """Uranium of one measurement (behind the barrier).

    Attributes
    ----------
    enrichment
        U-235 atom fraction of U-235 + U-238 (dimensionless), with its bounds.
    u235_significance_sigma, u238_significance_sigma
        Significance of each isotope's level (standard deviations).
    dispersion
        The fit's ``max(1, chi2/ndof)``.
    """

    enrichment: BoundedValue
    u235_significance_sigma: float
    u238_significance_sigma: float
    dispersion: float

    def seen(self, min_sigma: float) -> bool:
        """Whether uranium is there: either isotope at ``min_sigma`` or more."""
        return max(self.u235_significance_sigma, self.u238_significance_sigma) >= min_sigma


def uranium_isotopics(measurement: GammaMeasurement, *, confidence: float) -> UraniumIsotopics:
    """Enrichment of the uranium in ``measurement``, bounded at ``confidence``.

    ``f = N235 / (N235 + N238) = 1 / (1 + s)`` with ``s = N238 / N235`` when U-235 is
    the better measured isotope, or ``r / (1 + r)`` with ``r = N235 / N238`` otherwise;
    the bounds of the ratio (Fieller) map monotonically onto ``f``. U-234 and U-236
    are neglected.

    Raises
    ------
    InputError
        When the spectrum holds no uranium line in range or the fit is singular.
    """
    z = one_sided_z(confidence)
    fit = _fit(measurement, "U")
    for name in ("U-235", "U-238"):
        if name not in fit.item_nuclides:
            raise InputError(f"no {name} line lies in the spectrum", where="U isotopics")
    s235, s238 = fit.significance("U-235"), fit.significance("U-238")
    if s235 >= s238:
        s = _atom_ratio(fit, "U-238", "U-235", z)
        value, sigma = 1.0 / (1.0 + max(s.value, 0.0)), s.sigma / (1.0 + max(s.value, 0.0)) ** 2
        lower, upper = 1.0 / (1.0 + s.upper), 1.0 / (1.0 + s.lower)
    else:
        r = _atom_ratio(fit, "U-235", "U-238", z)
        value, sigma = r.value / (1.0 + r.value), r.sigma / (1.0 + r.value) ** 2
        lower, upper = r.lower / (1.0 + r.lower), r.upper / (1.0 + r.upper)
    bounded = BoundedValue(value, sigma, lower, upper, confidence)
    return UraniumIsotopics(bounded, s235, s238, fit.dispersion)


@dataclass(frozen=True)
class PlutoniumIsotopics:
    """Plutonium of one measurement (behind the barrier).

    Attributes
    ----------
    pu240_pu239
        Atom ratio ``N(Pu-240) / N(Pu-239)`` with its bounds.
    am241_pu241
        Activity ratio ``A(Am-241) / A(Pu-241)`` with its bounds.
    age_years
        Years since americium was last separated, with its bounds.
    pu239_significance_sigma
        Significance of the Pu-239 level (standard deviations).
    dispersion
        The fit's ``max(1, chi2/ndof)``.
    """

    pu240_pu239: BoundedValue
    am241_pu241: BoundedValue
    age_years: BoundedValue
    pu239_significance_sigma: float
    dispersion: float


def age_from_activity_ratio(activity_ratio: float) -> float:
    """Years since separation for ``A(Am-241)/A(Pu-241)``, Am-241 = 0 at separation.

    Bateman: ``A_Am / A_Pu = lam_Am / d * (exp(d t) - 1)`` with ``d = lam_Pu - lam_Am``,
    so ``t = ln(1 + q d / lam_Am) / d`` (half-lives DDEP via ``gamma_lines.yaml``).
    """
    if not math.isfinite(activity_ratio) or activity_ratio < 0.0:
        raise InputError("must be a finite ratio >= 0", where="activity_ratio")
    lam_am = math.log(2.0) / nuclide("Am-241").half_life_s.value
    lam_pu = math.log(2.0) / nuclide("Pu-241").half_life_s.value
    d = lam_pu - lam_am
    return math.log1p(activity_ratio * d / lam_am) / d / _YEAR_S


def _age_bound(q: float) -> float:
    if q <= 0.0:
        return 0.0
    if not math.isfinite(q):
        return math.inf
    return age_from_activity_ratio(q)


def plutonium_isotopics(measurement: GammaMeasurement, *, confidence: float) -> PlutoniumIsotopics:
    """Pu-240/Pu-239, Am-241/Pu-241 and the age of the plutonium in ``measurement``.

    Raises
    ------
    InputError
        When the spectrum holds no plutonium line in range or the fit is singular.
    """
    z = one_sided_z(confidence)
    fit = _fit(measurement, "Pu")
    for name in ("Pu-239", "Pu-240", "Pu-241", "Am-241"):
        if name not in fit.item_nuclides:
            raise InputError(f"no {name} line lies in the spectrum", where="Pu isotopics")
    ratio = _atom_ratio(fit, "Pu-240", "Pu-239", z)
    activity = _ratio(fit, "Am-241", "Pu-241", 1.0, 0.0, z)
    q = max(activity.value, 0.0)
    lam_am = math.log(2.0) / nuclide("Am-241").half_life_s.value
    lam_pu = math.log(2.0) / nuclide("Pu-241").half_life_s.value
    dt_dq = 1.0 / (lam_am + q * (lam_pu - lam_am)) / _YEAR_S
    age = BoundedValue(
        _age_bound(q),
        dt_dq * activity.sigma,
        _age_bound(activity.lower),
        _age_bound(activity.upper),
        confidence,
    )
    return PlutoniumIsotopics(ratio, activity, age, fit.significance("Pu-239"), fit.dispersion)
