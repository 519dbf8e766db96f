"""Physical relative efficiency of an item measurement: detector x item x absorbers.

The full-energy peak count rate of a line of energy ``E`` emitted by a nuclide of the
item is ``A p(E) eps(E)``, with ``A`` the activity, ``p`` the emission probability and

    eps(E) = eps_det(E) * S(mu_item(E) x_item) * prod_j exp(-mu_j(E) x_j)

the relative full-energy efficiency, up to one constant that the activities absorb:

- ``eps_det``: the detector's intrinsic full-energy efficiency, a tabulated shape times
  a tilt ``exp(b ln(E / E0) + k (E1 / E - E1 / E0))`` with ``E0 =``
  :data:`REFERENCE_KEV` and ``E1 =`` :data:`TURNOVER_KEV`. The shape is the
  instrument's characterisation when one is declared; otherwise the generic coaxial
  germanium detector of :func:`generic_hpge`, the mean of three published detector
  response functions (10, 20 and 40 % relative efficiency). The tilt lets the
  detector differ from the table: its slope ``b`` changes the high-energy fall-off,
  ``k`` the low-energy turnover (``E^b c^(1/E)`` is the form of A. E. Hoerl's
  function, which InterSpec offers as a detector correction of its physical model,
  SAND2022-15323TR). Their Gaussian priors are the spread of the three generic
  detectors about their mean (:func:`generic_hpge`).
- ``S``: the mean escape probability of photons born uniformly in a slab of the item's
  material seen face-on, ``S(t) = (1 - exp(-t)) / t`` with ``t = mu(E) x`` and ``x``
  the areal density (g/cm^2): the self-attenuation term of FRAM's physical model
  (T. E. Sampson et al., "Application Guide to Gamma-Ray Isotopic Analysis Using the
  FRAM Software", LA-14018, 2003). It carries the curvature that uranium and plutonium
  put into the efficiency: ``mu`` of U falls as about ``E^-2.4`` between 143 and
  205 keV but only as ``E^-1`` between 500 and 1000 keV.
- ``exp(-mu_j x_j)``: external absorbers (container walls, shields, a cadmium filter)
  of areal density ``x_j``, declared or fitted.

Mass attenuation coefficients are the NIST XCOM values of
:mod:`treatyverify.methods.nucdata.tables`; a compound (UO2, PuO2) is the mass-fraction
mixture of its elements.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

import numpy as np
import numpy.typing as npt
import yaml

from treatyverify.errors import InputError, SpecError
from treatyverify.methods.nucdata.tables import mass_attenuation_array

__all__ = [
    "MAX_AREAL_DENSITY_G_CM2",
    "REFERENCE_KEV",
    "TURNOVER_KEV",
    "Absorber",
    "EfficiencyModel",
    "GenericDetector",
    "IntrinsicTable",
    "attenuation_coefficients",
    "generic_curve",
    "generic_hpge",
]

FloatArray = npt.NDArray[np.float64]

REFERENCE_KEV = 300.0
"""``E0``: the tilt is 1 here (keV)."""
TURNOVER_KEV = 100.0
"""``E1``: scale of the low-energy term ``k E1 / E`` (keV)."""
MAX_AREAL_DENSITY_G_CM2 = 150.0
"""Upper bound of a fitted areal density (g/cm^2): beyond it, a uranium or plutonium slab
is opaque (``mu x > 7``) at every energy the fits use, so thicker changes nothing."""
_GENERIC_FILE = "hpge_efficiency.yaml"
_TILT_FIT_RANGE_KEV = (120.0, 2000.0)


def attenuation_coefficients(
    composition: Mapping[str, float], energies_kev: npt.ArrayLike
) -> FloatArray:
    """mu/rho (cm^2/g) of a material given by mass fractions of tabulated materials.

    The mixture rule ``mu/rho = sum_i w_i (mu/rho)_i`` (J. H. Hubbell and S. M. Seltzer,
    NISTIR 5632, 1995).

    Parameters
    ----------
    composition
        Mass fraction of each tabulated material (``{"U": 0.8815, "O": 0.1185}``); they
        must be >= 0 and sum to 1.
    energies_kev
        Photon energies (keV).
    """
    weights = dict(composition)
    if not weights or any(w < 0 for w in weights.values()):
        raise InputError("mass fractions must be >= 0", where="composition")
    if not math.isclose(sum(weights.values()), 1.0, rel_tol=1e-6):
        raise InputError("mass fractions must sum to 1", where="composition")
    e = np.asarray(energies_kev, dtype=np.float64)
    mu = np.zeros_like(e)
    for name, weight in weights.items():
        mu = mu + weight * mass_attenuation_array(name, e)
    return mu


@dataclass(frozen=True)
class Absorber:
    """An external absorber between item and detector.

    Parameters
    ----------
    name
        Display name, also the parameter's (``"steel"``: ``x_steel``).
    composition
        Mass fractions of tabulated materials (``{"Fe": 1.0}``).
    areal_density_g_cm2
        Areal density (g/cm^2) when declared; ``None`` to fit it.
    """

    name: str
    composition: Mapping[str, float]
    areal_density_g_cm2: float | None = None

    def __post_init__(self) -> None:
        x = self.areal_density_g_cm2
        if x is not None and not (math.isfinite(x) and x >= 0.0):
            raise InputError("must be a finite areal density >= 0 g/cm^2", where=self.name)


@dataclass(frozen=True, eq=False)
class IntrinsicTable:
    """A detector's intrinsic full-energy efficiency shape, tabulated.

    Parameters
    ----------
    energies_kev
        Increasing energies (keV).
    efficiencies
        Relative efficiency at each energy (> 0; any common scale).
    source
        Where the characterisation comes from.
    """

    energies_kev: tuple[float, ...]
    efficiencies: tuple[float, ...]
    source: str

    def __post_init__(self) -> None:
        e = np.asarray(self.energies_kev, dtype=np.float64)
        v = np.asarray(self.efficiencies, dtype=np.float64)
        if e.size < 2 or e.size != v.size:
            raise InputError("needs two or more energies, one efficiency each", where="efficiency")
        if not (np.all(np.isfinite(e)) and np.all(np.diff(e) > 0) and np.all(e > 0)):
            raise InputError("energies must be positive and increasing", where="efficiency")
        if not (np.all(np.isfinite(v)) and np.all(v > 0)):
            raise InputError("efficiencies must be positive", where="efficiency")

    def log_efficiency(self, energies_kev: npt.ArrayLike) -> FloatArray:
        """``ln eps_det``, linear in ln-ln between the rows and continued with the end
        slopes beyond them."""
        x = np.log(np.asarray(self.energies_kev))
        y = np.log(np.asarray(self.efficiencies))
        u = np.log(np.asarray(energies_kev, dtype=np.float64))
        out = np.interp(u, x, y)
        lo_slope = (y[1] - y[0]) / (x[1] - x[0])
        hi_slope = (y[-1] - y[-2]) / (x[-1] - x[-2])
        out = np.where(u < x[0], y[0] + lo_slope * (u - x[0]), out)
        out = np.where(u > x[-1], y[-1] + hi_slope * (u - x[-1]), out)
        return np.asarray(out, dtype=np.float64)


@dataclass(frozen=True, eq=False)
class GenericDetector:
    """The default germanium detector shape and what is known of its spread.

    Attributes
    ----------
    table
        Mean of the logarithms of the generic detectors' efficiencies.
    slope_sigma, low_energy_sigma
        Standard deviations of the tilt ``(b, k)`` that takes the mean to each detector
        (least squares over 120-2000 keV, ``n - 1`` in the denominator).
    residual_sigma
        Root-mean-square relative difference left after that tilt: how far a real
        detector's shape may stray from the tilted mean, a model term of the fits.
    names
        The generic detectors used.
    """

    table: IntrinsicTable
    slope_sigma: float
    low_energy_sigma: float
    residual_sigma: float
    names: tuple[str, ...]


def _tilt_basis(energies_kev: FloatArray) -> FloatArray:
    u = np.log(energies_kev / REFERENCE_KEV)
    w = TURNOVER_KEV / energies_kev - TURNOVER_KEV / REFERENCE_KEV
    return np.column_stack([u, w])


@functools.cache
def _generic_curves() -> tuple[FloatArray, dict[str, FloatArray]]:
    text = (resources.files("treatyverify.methods.nucdata") / _GENERIC_FILE).read_text("utf-8")
    data = yaml.safe_load(text)
    try:
        energies = np.asarray(data["energies_kev"], dtype=np.float64)
        curves = {
            key: np.asarray(value["peak_efficiency_percent"], dtype=np.float64)
            for key, value in data["curves"].items()
        }
    except (KeyError, TypeError, ValueError) as exc:
        raise SpecError("malformed generic detector table", where=_GENERIC_FILE) from exc
    return energies, curves


def generic_curve(name: str) -> IntrinsicTable:
    """One generic detector's efficiency (``"hpge-10"``, ``"hpge-20"``, ``"hpge-40"``)."""
    energies, curves = _generic_curves()
    if name not in curves:
        raise InputError(f"no generic detector {name!r}; known: {sorted(curves)}", where=name)
    return IntrinsicTable(
        tuple(float(e) for e in energies),
        tuple(float(v) for v in curves[name]),
        f"GADRAS generic {name} (InterSpec)",
    )


@functools.cache
def generic_hpge() -> GenericDetector:
    """The generic coaxial HPGe shape of ``nucdata/hpge_efficiency.yaml`` and its spread.

    Source: the GADRAS generic detector response functions "HPGe 10%", "HPGe 20%" and
    "HPGe 40%" distributed with InterSpec (see the data file for the copy).
    """
    energies, curves = _generic_curves()
    logs = np.vstack([np.log(c) for c in curves.values()])
    mean = logs.mean(axis=0)
    inside = (energies >= _TILT_FIT_RANGE_KEV[0]) & (energies <= _TILT_FIT_RANGE_KEV[1])
    basis = np.column_stack([np.ones(int(inside.sum())), _tilt_basis(energies[inside])])
    tilts, residuals = [], []
    for row in logs:
        coef, *_ = np.linalg.lstsq(basis, (row - mean)[inside], rcond=None)
        tilts.append(coef[1:])
        residuals.append((row - mean)[inside] - basis @ coef)
    spread = np.std(np.asarray(tilts), axis=0, ddof=1)
    rms = float(np.sqrt(np.mean(np.square(np.concatenate(residuals)))))
    table = IntrinsicTable(
        tuple(float(e) for e in energies),
        tuple(float(v) for v in np.exp(mean)),
        "mean of the GADRAS generic HPGe 10 %, 20 % and 40 % detectors (InterSpec)",
    )
    return GenericDetector(table, float(spread[0]), float(spread[1]), rms, tuple(curves))


@dataclass(frozen=True, eq=False)
class EfficiencyModel:
    """The relative efficiency of one measurement, as a function of its parameters.

    Parameters (``theta``, in :attr:`names` order): the tilt slope ``b`` and low-energy
    term ``k``, the item's areal density ``x_item`` (g/cm^2), and the areal density of
    each fitted absorber (g/cm^2).

    Parameters
    ----------
    item_composition
        Mass fractions of the item's material (``{"U": 1.0}``).
    absorbers
        External absorbers, declared or fitted.
    intrinsic
        The detector's characterised intrinsic efficiency, or ``None`` for the generic
        germanium detector.
    """

    item_composition: Mapping[str, float]
    absorbers: tuple[Absorber, ...] = ()
    intrinsic: IntrinsicTable | None = None

    @property
    def detector(self) -> IntrinsicTable:
        """The tabulated intrinsic shape in use."""
        return self.intrinsic if self.intrinsic is not None else generic_hpge().table

    @property
    def names(self) -> tuple[str, ...]:
        """Names of the parameters, in order."""
        fitted = tuple(f"x_{a.name}" for a in self.absorbers if a.areal_density_g_cm2 is None)
        return ("slope", "low_energy", "x_item", *fitted)

    def bounds(self) -> tuple[FloatArray, FloatArray]:
        """Lower and upper bounds of the parameters."""
        lo = [-2.0, -10.0] + [0.0] * (len(self.names) - 2)
        hi = [2.0, 10.0] + [MAX_AREAL_DENSITY_G_CM2] * (len(self.names) - 2)
        return np.asarray(lo), np.asarray(hi)

    def priors(self) -> tuple[FloatArray, FloatArray]:
        """Means and standard deviations of the Gaussian priors (inf: none): the tilt's,
        from the spread of the generic detectors."""
        generic = generic_hpge()
        sigma = np.full(len(self.names), math.inf)
        sigma[0], sigma[1] = generic.slope_sigma, generic.low_energy_sigma
        return np.zeros(len(self.names)), sigma

    def start(self, x_item: float = 1.0) -> FloatArray:
        """Starting values: no tilt, ``x_item`` of item, 0.1 g/cm^2 of each absorber."""
        values = np.full(len(self.names), 0.1)
        values[:2] = 0.0
        values[2] = x_item
        return values

    def attenuation_table(self, energies_kev: npt.ArrayLike) -> Attenuation:
        """Precomputed mu/rho of the item and absorbers at the line energies."""
        e = np.asarray(energies_kev, dtype=np.float64)
        return Attenuation(
            energies_kev=e,
            detector=self.detector.log_efficiency(e),
            tilt=_tilt_basis(e),
            item=attenuation_coefficients(self.item_composition, e),
            absorbers=tuple(attenuation_coefficients(a.composition, e) for a in self.absorbers),
        )

    def log_detector(self, theta: FloatArray, att: Attenuation) -> tuple[FloatArray, FloatArray]:
        """``ln eps_det`` at the table's energies and its derivatives by ``theta``."""
        jac = np.zeros((att.energies_kev.size, theta.size))
        jac[:, :2] = att.tilt
        return att.detector + att.tilt @ theta[:2], jac

    def log_efficiency(self, theta: FloatArray, att: Attenuation) -> tuple[FloatArray, FloatArray]:
        """``ln eps`` of item lines at the table's energies and its derivatives by ``theta``."""
        value, jac = self.log_detector(theta, att)
        tau = att.item * theta[2]
        value = value + _log_escape(tau)
        jac[:, 2] = att.item * _dlog_escape(tau)
        j = 3
        for absorber, mu in zip(self.absorbers, att.absorbers, strict=True):
            if absorber.areal_density_g_cm2 is None:
                value = value - mu * theta[j]
                jac[:, j] = -mu
                j += 1
            else:
                value = value - mu * absorber.areal_density_g_cm2
        return value, jac


@dataclass(frozen=True, eq=False)
class Attenuation:
    """Energy-dependent factors of :class:`EfficiencyModel` at fixed line energies."""

    energies_kev: FloatArray
    detector: FloatArray
    tilt: FloatArray
    item: FloatArray
    absorbers: tuple[FloatArray, ...]


def _log_escape(tau: FloatArray) -> FloatArray:
    """``ln((1 - exp(-t)) / t)``, stable near 0."""
    small = tau < 1e-8
    safe = np.where(small, 1.0, tau)
    value = np.log(-np.expm1(-safe) / safe)
    return np.asarray(np.where(small, -0.5 * tau, value), dtype=np.float64)


def _dlog_escape(tau: FloatArray) -> FloatArray:
    """``d ln S / d t = 1 / (exp(t) - 1) - 1 / t``, -1/2 at 0."""
    small = tau < 1e-6
    safe = np.clip(np.where(small, 1.0, tau), None, 700.0)  # exp(700) is finite
    value = 1.0 / np.expm1(safe) - 1.0 / safe
    return np.asarray(np.where(small, -0.5 + tau / 12.0, value), dtype=np.float64)
