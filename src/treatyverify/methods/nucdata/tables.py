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
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from treatyverify.errors import InputError, SpecError, UnknownNameError

__all__ = [
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
    "nuclide",
]

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
