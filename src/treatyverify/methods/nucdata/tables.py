"""Curated gamma-line and photon-attenuation tables, each value with its source.

The data files ``gamma_lines.yaml`` (DDEP / LNHB Nucleide-Lara decay data) and
``attenuation.yaml`` (NIST Hubbell-Seltzer / XCOM mass attenuation coefficients)
ship inside the package and are read with :mod:`importlib.resources`.
See ``docs/nuclear-data.md`` for the sources and how to cite them.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from treatyverify.errors import InputError, SpecError, UnknownNameError

__all__ = [
    "ATOMIC_WEIGHTS",
    "AttenuationTable",
    "GammaLine",
    "GammaLineTable",
    "HalfLife",
    "Material",
    "Nuclide",
    "attenuation_factor",
    "half_life_s",
    "line",
    "load_attenuation",
    "load_gamma_lines",
    "mass_attenuation",
    "mass_attenuation_array",
    "mixture_attenuation",
    "nuclide",
    "oxide_mass_fractions",
]

FloatArray = npt.NDArray[np.float64]

_GAMMA_FILE = "gamma_lines.yaml"
_ATTEN_FILE = "attenuation.yaml"

#: Seconds per unit. The year is 365.2422 d, the value with which the LNHB Lara
#: files convert their half-lives to seconds (e.g. Co-60: 5.2711 a = 166.340e6 s).
_UNIT_S: dict[str, float] = {
    "s": 1.0,
    "min": 60.0,
    "h": 3600.0,
    "d": 86400.0,
    "a": 365.2422 * 86400.0,
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HalfLife(_Strict):
    """A half-life as the evaluation states it.

    Parameters
    ----------
    value
        Half-life in ``unit``.
    uncertainty
        Standard uncertainty in ``unit``.
    unit
        One of ``s``, ``min``, ``h``, ``d``, ``a`` (year).
    """

    value: float = Field(gt=0)
    uncertainty: float = Field(ge=0)
    unit: Literal["s", "min", "h", "d", "a"]

    @property
    def seconds(self) -> float:
        """Half-life in seconds (s)."""
        return self.value * _UNIT_S[self.unit]


class ValueUnc(_Strict):
    """A value with its standard uncertainty, in the unit the field name gives."""

    value: float = Field(gt=0)
    uncertainty: float = Field(ge=0)


class Branching(_Strict):
    """Fraction of the decays of ``parent`` that feed the nuclide of the block."""

    parent: str
    fraction: float = Field(gt=0, le=1)


class GammaLine(_Strict):
    """One gamma or X-ray line.

    Parameters
    ----------
    energy_kev, energy_unc_kev
        Energy and its standard uncertainty, keV. The uncertainty is ``None`` where
        Lara states none: every X-ray row, and a few gamma rows.
    intensity_percent, intensity_unc_percent
        Emission intensity and its uncertainty, percent per decay of the nuclide
        whose block holds the line. The uncertainty is ``None`` where Lara states none.
    origin
        The nucleus that emits the photon (for an X-ray, the atom that emits it, named
        by its nuclide).
    kind
        ``"gamma"`` for a gamma ray (nuclear transition), ``"xray"`` for a K X-ray of
        the daughter atom (Lara's "XKa1", "XKa2", "XK'b1", "XK'b2" rows).
    """

    energy_kev: float = Field(gt=0)
    energy_unc_kev: float | None = Field(ge=0)
    intensity_percent: float = Field(gt=0, le=100)
    intensity_unc_percent: float | None = Field(ge=0)
    origin: str
    kind: Literal["gamma", "xray"] = Field(
        default="gamma",
        description='"gamma" for a gamma ray, "xray" for a K X-ray (Lara "XK..." rows).',
    )

    @property
    def probability(self) -> float:
        """Emission probability per decay (dimensionless, in (0, 1])."""
        return self.intensity_percent / 100.0

    @property
    def probability_unc(self) -> float:
        """Standard uncertainty of :attr:`probability` (dimensionless).

        Raises
        ------
        InputError
            If Lara states no intensity uncertainty for the line: there is no value
            to propagate, and zero would claim an exact intensity.
        """
        if self.intensity_unc_percent is None:
            raise InputError(
                f"no intensity uncertainty is given for the {self.energy_kev} keV line "
                f"of {self.origin}",
                where=_GAMMA_FILE,
            )
        return self.intensity_unc_percent / 100.0


class Nuclide(_Strict):
    """Decay data of one nuclide with the source of every value."""

    source: str = Field(min_length=1)
    url: str = Field(min_length=1)
    copy_: str = Field(alias="copy", min_length=1)
    note: str | None = None
    branching_from_parent: Branching | None = None
    half_life: HalfLife
    half_life_s: ValueUnc
    lines: list[GammaLine] = Field(min_length=1)

    @model_validator(mode="after")
    def _sorted(self) -> Nuclide:
        energies = [ln.energy_kev for ln in self.lines]
        if energies != sorted(energies):
            raise ValueError("lines must be sorted by increasing energy")
        return self


class GammaLineTable(_Strict):
    """All curated nuclides, keyed by name (``"Pu-239"``)."""

    schema_: int = Field(alias="schema")
    nuclides: dict[str, Nuclide]


class Material(_Strict):
    """Mass attenuation coefficients of one shielding material.

    ``energies_kev`` is non-decreasing; an absorption edge is two equal energies,
    the first row below the edge and the second above it.
    """

    name: str
    url: str
    copy_: str = Field(alias="copy", min_length=1)
    density_g_cm3: float | None = Field(default=None, gt=0)
    energies_kev: list[float] = Field(min_length=2)
    mu_rho_cm2_g: list[float] = Field(min_length=2)

    @model_validator(mode="after")
    def _check(self) -> Material:
        if len(self.energies_kev) != len(self.mu_rho_cm2_g):
            raise ValueError("energies_kev and mu_rho_cm2_g differ in length")
        if any(e <= 0 for e in self.energies_kev) or any(m <= 0 for m in self.mu_rho_cm2_g):
            raise ValueError("energies and coefficients must be positive")
        if any(b < a for a, b in itertools.pairwise(self.energies_kev)):
            raise ValueError("energies_kev must be non-decreasing")
        return self


class AttenuationTable(_Strict):
    """All curated materials, keyed by name (``"Pb"``, ``"concrete"``)."""

    schema_: int = Field(alias="schema")
    materials: dict[str, Material]


def _read(filename: str) -> Any:
    text = (resources.files("treatyverify.methods.nucdata") / filename).read_text(encoding="utf-8")
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SpecError(f"not valid YAML: {exc}", where=filename) from exc


def _validation(exc: ValidationError, filename: str) -> SpecError:
    err = exc.errors(include_url=False)[0]
    loc = ".".join(str(part) for part in err["loc"])
    return SpecError(str(err["msg"]), where=f"{filename}: {loc}")


@functools.cache
def load_gamma_lines() -> GammaLineTable:
    """Load the shipped gamma-line table (cached).

    Returns
    -------
    GammaLineTable
        Every nuclide with its half-life, lines and source.
    """
    try:
        return GammaLineTable.model_validate(_read(_GAMMA_FILE))
    except ValidationError as exc:
        raise _validation(exc, _GAMMA_FILE) from exc


@functools.cache
def load_attenuation() -> AttenuationTable:
    """Load the shipped attenuation table (cached).

    Returns
    -------
    AttenuationTable
        Every material with its mu/rho table, density and source.
    """
    try:
        return AttenuationTable.model_validate(_read(_ATTEN_FILE))
    except ValidationError as exc:
        raise _validation(exc, _ATTEN_FILE) from exc


def nuclide(name: str) -> Nuclide:
    """Decay data of one nuclide.

    Parameters
    ----------
    name
        Nuclide name as ``"Pu-239"``.

    Raises
    ------
    UnknownNameError
        If the nuclide is not in the curated table.
    """
    table = load_gamma_lines().nuclides
    if name not in table:
        known = ", ".join(sorted(table))
        raise UnknownNameError(f"unknown nuclide {name!r}; known: {known}", where=_GAMMA_FILE)
    return table[name]


def line(nuclide_name: str, energy_kev: float, *, tolerance_kev: float = 1.0) -> GammaLine:
    """The line of ``nuclide_name`` nearest ``energy_kev``.

    Parameters
    ----------
    nuclide_name
        Nuclide name as ``"Cs-137"``.
    energy_kev
        Approximate line energy, keV.
    tolerance_kev
        Largest accepted distance between ``energy_kev`` and the line, keV.

    Raises
    ------
    UnknownNameError
        If the nuclide is unknown or has no line within ``tolerance_kev``.
    """
    nuc = nuclide(nuclide_name)
    best = min(nuc.lines, key=lambda ln: abs(ln.energy_kev - energy_kev))
    if abs(best.energy_kev - energy_kev) > tolerance_kev:
        raise UnknownNameError(
            f"no curated line of {nuclide_name} within {tolerance_kev} keV of {energy_kev} keV",
            where=_GAMMA_FILE,
        )
    return best


def half_life_s(nuclide_name: str) -> float:
    """Half-life in seconds (s), as the evaluation gives it in seconds.

    Parameters
    ----------
    nuclide_name
        Nuclide name as ``"Co-60"``.
    """
    return nuclide(nuclide_name).half_life_s.value


def _material(name: str) -> Material:
    table = load_attenuation().materials
    if name not in table:
        known = ", ".join(sorted(table))
        raise UnknownNameError(f"unknown material {name!r}; known: {known}", where=_ATTEN_FILE)
    return table[name]


def mass_attenuation(material: str, energy_kev: float) -> float:
    """Mass attenuation coefficient mu/rho (cm^2/g), log-log interpolated.

    Parameters
    ----------
    material
        Material name (``"Pb"``, ``"W"``, ``"Fe"``, ``"Al"``, ``"U"``,
        ``"polyethylene"``, ``"concrete"``).
    energy_kev
        Photon energy, keV, inside the tabulated range. At an absorption edge the
        value above the edge is returned.

    Raises
    ------
    UnknownNameError
        If the material is not tabulated.
    InputError
        If ``energy_kev`` is outside the tabulated range.
    """
    mat = _material(material)
    energies, mus = mat.energies_kev, mat.mu_rho_cm2_g
    if not energies[0] <= energy_kev <= energies[-1]:
        raise InputError(
            f"energy {energy_kev} keV outside the tabulated range "
            f"{energies[0]}-{energies[-1]} keV of {material}",
            where=_ATTEN_FILE,
        )
    # Last row whose energy is <= energy_kev: at an edge that is the above-edge row.
    i = max(k for k, e in enumerate(energies) if e <= energy_kev)
    if energies[i] == energy_kev or i == len(energies) - 1:
        return mus[i]
    e0, e1, m0, m1 = energies[i], energies[i + 1], mus[i], mus[i + 1]
    t = math.log(energy_kev / e0) / math.log(e1 / e0)
    return math.exp(math.log(m0) + t * math.log(m1 / m0))


def attenuation_factor(
    material: str, thickness_cm: float, energy_kev: float, density: float | None = None
) -> float:
    """Narrow-beam transmission exp(-mu/rho * rho * x) through a slab.

    Parameters
    ----------
    material
        Material name, as for :func:`mass_attenuation`.
    thickness_cm
        Slab thickness, cm (>= 0).
    energy_kev
        Photon energy, keV.
    density
        Density, g/cm^3; defaults to the tabulated density, and is required for
        materials without one (polyethylene, concrete).

    Returns
    -------
    float
        Transmitted fraction in (0, 1].
    """
    if thickness_cm < 0:
        raise InputError(f"thickness {thickness_cm} cm is negative", where="thickness_cm")
    rho = density if density is not None else _material(material).density_g_cm3
    if rho is None:
        raise InputError(
            f"no confirmed density is tabulated for {material}; pass density (g/cm^3)",
            where="density",
        )
    if rho <= 0:
        raise InputError(f"density {rho} g/cm^3 is not positive", where="density")
    return math.exp(-mass_attenuation(material, energy_kev) * rho * thickness_cm)


# ------------------------------------------------------------------ vectorised mu/rho


@dataclass(frozen=True)
class _Grid:
    """One material's table as arrays, with the log-log slope of every interval."""

    energies_kev: FloatArray
    mu_rho: FloatArray
    log_energy: FloatArray
    log_mu: FloatArray
    slope: FloatArray  # d ln(mu/rho) / d ln E on [k, k + 1]; 0 across an edge (unused)


@functools.cache
def _grid(material: str) -> _Grid:
    mat = _material(material)
    e = np.asarray(mat.energies_kev, dtype=np.float64)
    mu = np.asarray(mat.mu_rho_cm2_g, dtype=np.float64)
    le, lmu = np.log(e), np.log(mu)
    de = np.diff(le)
    slope = np.divide(np.diff(lmu), de, out=np.zeros_like(de), where=de > 0)
    for arr in (e, mu, le, lmu, slope):
        arr.setflags(write=False)
    return _Grid(e, mu, le, lmu, slope)


def mass_attenuation_array(material: str, energies_kev: npt.ArrayLike) -> FloatArray:
    """Mass attenuation coefficients mu/rho (cm^2/g) at many energies at once.

    The same log-log interpolation and edge rule as :func:`mass_attenuation` (at an
    absorption edge, the value above the edge), on arrays prepared once per material,
    for fits that evaluate the attenuation thousands of times.

    Parameters
    ----------
    material
        Material name, as for :func:`mass_attenuation`.
    energies_kev
        Photon energies, keV, any shape, all inside the tabulated range.

    Returns
    -------
    numpy.ndarray
        mu/rho in cm^2/g, float64, of the shape of ``energies_kev``.

    Raises
    ------
    UnknownNameError
        If the material is not tabulated.
    InputError
        If an energy is outside the tabulated range or not a number.
    """
    grid = _grid(material)
    x = np.asarray(energies_kev, dtype=np.float64)
    e = grid.energies_kev
    outside = ~((x >= e[0]) & (x <= e[-1]))
    if np.any(outside):
        bad = float(x[outside].flat[0])
        raise InputError(
            f"energy {bad} keV outside the tabulated range {e[0]:g}-{e[-1]:g} keV of {material}",
            where=_ATTEN_FILE,
        )
    # Last row whose energy is <= x: at an edge that is the above-edge row.
    i = np.searchsorted(e, x, side="right") - 1
    k = np.minimum(i, e.size - 2)
    out = np.exp(grid.log_mu[k] + grid.slope[k] * (np.log(x) - grid.log_energy[k]))
    exact = e[i] == x
    result: FloatArray = np.where(exact, grid.mu_rho[i], out)
    return result


# ---------------------------------------------------------------- mixtures and oxides

#: Relative atomic masses (dimensionless) for :func:`oxide_mass_fractions`.
#: O: the CIAAW standard atomic weight of oxygen is the interval [15.99903, 15.99977]
#: (T. Prohaska et al., "Standard atomic weights of the elements 2021 (IUPAC Technical
#: Report)", Pure Appl. Chem. 94 (2022) 573, Table 1); the value used is its midpoint,
#: as A. M. H. van der Veen et al., "Interpretation and use of standard atomic weights
#: (IUPAC Technical Report)", Pure Appl. Chem. 93 (2021) 629, derive a value from an
#: interval (standard uncertainty (b - a) / (2 sqrt 3) = 0.00021).
#: U and Pu: the atomic weights of NIST XCOM 3.1 (ATWTS.DAT), with which the U and Pu
#: mu/rho of attenuation.yaml were computed: U 238.0289 (the CIAAW 2021 table gives
#: 238.02891(3) for natural uranium), Pu 239.0522 (plutonium has no standard atomic
#: weight). An item of other isotopic composition has another atomic weight: pass it to
#: :func:`oxide_mass_fractions`.
ATOMIC_WEIGHTS: dict[str, float] = {
    "O": (15.99903 + 15.99977) / 2.0,
    "U": 238.0289,
    "Pu": 239.0522,
}

_OXIDE = re.compile(r"^(?P<metal>[A-Z][a-z]?)(?P<n>[0-9]*)O(?P<m>[0-9]*)$")
_FRACTION_SUM_TOL = 1e-6


def oxide_mass_fractions(
    element: str, formula: str, *, metal_atomic_weight: float | None = None
) -> dict[str, float]:
    """Stoichiometric mass fractions of an oxide such as UO2, U3O8 or PuO2.

    ``w_metal = n A_metal / (n A_metal + m A_O)`` for the formula ``Metal_n O_m``.

    Parameters
    ----------
    element
        The metal (``"U"``, ``"Pu"``), which must be the formula's.
    formula
        The oxide, ``<element><n>O<m>`` (``"UO2"``, ``"U3O8"``, ``"PuO2"``).
    metal_atomic_weight
        Atomic weight of the metal (dimensionless); defaults to :data:`ATOMIC_WEIGHTS`.
        Give it for enriched uranium or a known plutonium isotopic composition.

    Returns
    -------
    dict
        ``{element: w_metal, "O": w_O}``, summing to 1; the keys name materials of
        ``attenuation.yaml``, so the result goes to :func:`mixture_attenuation`.

    Raises
    ------
    InputError
        If the formula is not an oxide of ``element`` or the atomic weight is not positive.
    UnknownNameError
        If no atomic weight is tabulated for ``element`` and none is given.
    """
    match = _OXIDE.match(formula)
    if match is None or match.group("metal") != element:
        raise InputError(
            f"{formula!r} is not an oxide of {element!r} written as {element}<n>O<m>",
            where="formula",
        )
    n = int(match.group("n") or "1")
    m = int(match.group("m") or "1")
    if n < 1 or m < 1:
        raise InputError(f"{formula!r} has a zero count", where="formula")
    if metal_atomic_weight is None:
        if element not in ATOMIC_WEIGHTS:
            known = ", ".join(sorted(k for k in ATOMIC_WEIGHTS if k != "O"))
            raise UnknownNameError(
                f"no atomic weight tabulated for {element!r}; known: {known}; "
                "pass metal_atomic_weight",
                where="element",
            )
        metal_atomic_weight = ATOMIC_WEIGHTS[element]
    if not (math.isfinite(metal_atomic_weight) and metal_atomic_weight > 0):
        raise InputError(
            f"atomic weight {metal_atomic_weight} is not positive", where="metal_atomic_weight"
        )
    metal = n * metal_atomic_weight
    oxygen = m * ATOMIC_WEIGHTS["O"]
    return {element: metal / (metal + oxygen), "O": oxygen / (metal + oxygen)}


def mixture_attenuation(mass_fractions: Mapping[str, float], energy_kev: float) -> float:
    """Mass attenuation coefficient of a compound or mixture, cm^2/g.

    The mixture rule of Hubbell and Seltzer (NISTIR 5632, section 2, "The Mass
    Attenuation Coefficient"; https://physics.nist.gov/PhysRefData/XrayMassCoef/chap2.html):
    ``mu/rho = sum_i w_i (mu/rho)_i``, with ``w_i`` the fraction by weight of the i-th
    constituent. Each constituent follows :func:`mass_attenuation` (log-log interpolation,
    above-edge value at an edge); chemical binding is neglected, as in the rule.

    Parameters
    ----------
    mass_fractions
        Fraction by weight of each constituent (dimensionless, >= 0, summing to 1 within
        1e-6), keyed by material name of ``attenuation.yaml`` (``{"U": 0.88, "O": 0.12}``;
        see :func:`oxide_mass_fractions`).
    energy_kev
        Photon energy, keV, inside the tabulated range of every constituent.

    Raises
    ------
    InputError
        If a fraction is negative or not finite, the fractions do not sum to 1, or the
        energy is outside a constituent's table.
    UnknownNameError
        If a constituent is not tabulated.
    """
    if not mass_fractions:
        raise InputError("no constituents given", where="mass_fractions")
    for name, w in mass_fractions.items():
        if not (math.isfinite(w) and w >= 0.0):
            raise InputError(
                f"mass fraction of {name} is {w}; it must be finite and >= 0",
                where="mass_fractions",
            )
    total = math.fsum(mass_fractions.values())
    if abs(total - 1.0) > _FRACTION_SUM_TOL:
        raise InputError(
            f"mass fractions sum to {total:.9g}, not 1 (within {_FRACTION_SUM_TOL:g})",
            where="mass_fractions",
        )
    return math.fsum(w * mass_attenuation(name, energy_kev) for name, w in mass_fractions.items())
