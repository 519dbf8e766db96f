"""Isotopic source terms of nuclear materials: activities and gamma-line emission rates.

A :class:`Material` holds the isotopic *mass* fractions of plutonium or uranium at the
last chemical separation and the age since then. :func:`emission_lines` turns a mass
of it into the gamma lines it emits (energy, photons per second) from the curated
nuclear data table :mod:`treatyverify.methods.nucdata.tables` (DDEP / LNHB Lara).

Physics, each step with its source or stated approximation:

- Activity ``A = m f N_A ln 2 / (M T1/2)`` with the exact Avogadro constant (SI 2019)
  and the half-life of the data table. The molar mass ``M`` is the mass number in
  g/mol: the AME2020 atomic masses of the actinides here differ from their mass
  numbers by at most 0.03 % (e.g. Pu-239 239.052 u, +0.022 %), below the half-life
  uncertainties that matter (Pu-241 0.3 %).
- Decay since separation: every parent decays as ``exp(-lambda t)``; Am-241 grows in
  from Pu-241 by the two-member Bateman solution
  ``N_Am(t) = N_Am(0) e^{-l_A t} + N_Pu(0) l_P / (l_A - l_P) (e^{-l_P t} - e^{-l_A t})``.
  Other ingrowths (U-235 from Pu-239, U-236 from Pu-240, ...) are negligible for the
  gamma lines within a century and are left out; the lines of the Pu-239 block that
  the table lists with origin U-235 already are the Pu-239 decay gammas.
- U-237 (6.75 d) follows Pu-241 through its alpha branch 2.44e-5 (LNHB Lara Pu-241
  file, as noted in ``gamma_lines.yaml``), with the ingrowth factor
  ``1 - exp(-l_U237 t)``: equilibrium within about two months of separation. It gives
  the 208.00 keV line (and a 59.54 keV line under the Am-241 one).
- Pa-234m is taken in secular equilibrium with U-238 (activity equal to U-238's),
  valid from about six months after separation (its parent Th-234 lives 24 d); for
  younger uranium the 766/1001 keV lines are overestimated.
- U-236 has no line in the table and emits nothing here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from treatyverify.errors import InputError, UnknownNameError
from treatyverify.methods.nucdata.tables import half_life_s, nuclide

__all__ = [
    "AVOGADRO_PER_MOL",
    "ISOTOPES",
    "PRESETS",
    "PU241_ALPHA_BRANCH",
    "SECONDS_PER_YEAR",
    "Material",
    "SourceLine",
    "activities_bq",
    "emission_lines",
    "mass_number",
    "preset",
    "specific_activity_bq_per_g",
]

#: Avogadro constant, mol^-1: exact by the 2019 SI definition (BIPM SI Brochure, 9th ed.).
AVOGADRO_PER_MOL = 6.02214076e23

#: Year of the LNHB Lara files (365.2422 d), the one the half-life table uses, s.
SECONDS_PER_YEAR = 365.2422 * 86400.0

#: Fraction of Pu-241 decays that are alpha decays to U-237: 0.00244 % (LNHB Lara,
#: Pu-241, evaluation KRI 2006, quoted in ``gamma_lines.yaml``).
PU241_ALPHA_BRANCH = 2.44e-5

#: Isotopes a :class:`Material` may hold, in this order.
ISOTOPES: tuple[str, ...] = (
    "Pu-238",
    "Pu-239",
    "Pu-240",
    "Pu-241",
    "Pu-242",
    "Am-241",
    "U-234",
    "U-235",
    "U-236",
    "U-238",
)

Element = Literal["Pu", "U", "Pb"]


def mass_number(name: str) -> int:
    """Mass number of ``"Pu-239"``-style names (used as the molar mass in g/mol).

    Parameters
    ----------
    name
        Nuclide name, element symbol, hyphen, mass number (an ``m`` suffix allowed).
    """
    try:
        return int(name.split("-", 1)[1].rstrip("m"))
    except (IndexError, ValueError) as exc:
        raise UnknownNameError(f"not a nuclide name: {name!r}", where="nuclide") from exc


def specific_activity_bq_per_g(name: str) -> float:
    """Specific activity ``N_A ln 2 / (M T1/2)`` of a pure nuclide, Bq/g.

    Parameters
    ----------
    name
        Nuclide of the curated table (``"Pu-239"``); ``M`` is its mass number in g/mol.
    """
    return AVOGADRO_PER_MOL * math.log(2.0) / (mass_number(name) * half_life_s(name))


def _decay_constant_per_s(name: str) -> float:
    return math.log(2.0) / half_life_s(name)


@dataclass(frozen=True, kw_only=True)
class Material:
    """Isotopic composition of a nuclear material at its last chemical separation.

    Parameters
    ----------
    name
        Display name (``"weapon-grade plutonium"``).
    element
        Main element: ``"Pu"``, ``"U"`` or ``"Pb"`` (a lead surrogate emits nothing).
    mass_fractions
        Mass fraction (dimensionless, 0..1) of each isotope of :data:`ISOTOPES` in the
        whole material at separation; isotopes not named are 0. The sum may be below 1
        (the rest emits no line of interest) but not above.
    age_years
        Time since the last chemical separation, years of 365.2422 d (>= 0).
    basis
        Public basis of the composition, for display.
    """

    name: str
    element: Element
    mass_fractions: Mapping[str, float] = field(default_factory=dict)
    age_years: float = 0.0
    basis: str = ""

    def __post_init__(self) -> None:
        where = f"material {self.name!r}"
        if self.element not in ("Pu", "U", "Pb"):
            raise InputError(f"element must be Pu, U or Pb, got {self.element!r}", where=where)
        fractions = dict(self.mass_fractions)
        for iso, frac in fractions.items():
            if iso not in ISOTOPES:
                raise UnknownNameError(
                    f"isotope {iso!r} not supported; known: {', '.join(ISOTOPES)}", where=where
                )
            if not (math.isfinite(frac) and 0.0 <= frac <= 1.0):
                raise InputError(f"mass fraction of {iso} must be in [0, 1]", where=where)
        if sum(fractions.values()) > 1.0 + 1e-9:
            raise InputError("mass fractions add up to more than 1", where=where)
        if not (math.isfinite(self.age_years) and self.age_years >= 0.0):
            raise InputError(
                f"age must be finite and >= 0 years, got {self.age_years}", where=where
            )
        object.__setattr__(self, "mass_fractions", fractions)

    def fraction(self, isotope: str) -> float:
        """Mass fraction of ``isotope`` at separation (0 when absent)."""
        return float(self.mass_fractions.get(isotope, 0.0))

    def with_age(self, age_years: float) -> Material:
        """The same material at another age (years since separation)."""
        return Material(
            name=self.name,
            element=self.element,
            mass_fractions=self.mass_fractions,
            age_years=age_years,
            basis=self.basis,
        )

    def fractions_at_age(self) -> dict[str, float]:
        """Mass fractions after ``age_years`` of decay, relative to the initial mass.

        Every isotope decays exponentially; Am-241 also grows in from Pu-241 (Bateman).
        Pu-241 and Am-241 have the same mass number, so atom and mass ratios agree.
        """
        t = self.age_years * SECONDS_PER_YEAR
        out: dict[str, float] = {}
        for iso in ISOTOPES:
            frac = self.fraction(iso)
            if iso == "U-236":  # not in the table; 2.3e7 a, its decay is negligible
                out[iso] = frac
            elif frac > 0.0:
                out[iso] = frac * math.exp(-_decay_constant_per_s(iso) * t)
        pu241 = self.fraction("Pu-241")
        if pu241 > 0.0 and t > 0.0:
            lp, la = _decay_constant_per_s("Pu-241"), _decay_constant_per_s("Am-241")
            grown = pu241 * lp / (la - lp) * (math.exp(-lp * t) - math.exp(-la * t))
            out["Am-241"] = out.get("Am-241", 0.0) + grown
        return out


@dataclass(frozen=True)
class SourceLine:
    """One emitted gamma line.

    Parameters
    ----------
    energy_kev
        Line energy, keV.
    rate_per_s
        Photons emitted per second (into 4 pi, before any attenuation).
    nuclide
        Nuclide of the data-table block the line comes from (``"Pu-239"``).
    """

    energy_kev: float
    rate_per_s: float
    nuclide: str


def activities_bq(material: Material, mass_kg: float) -> dict[str, float]:
    """Activity of each emitting nuclide of ``mass_kg`` of ``material`` at its age, Bq.

    Besides the isotopes of the material this includes U-237 (from Pu-241, alpha branch
    :data:`PU241_ALPHA_BRANCH`, ingrowth ``1 - exp(-lambda_U237 t)``) and Pa-234m (secular
    equilibrium with U-238). U-236 has no line in the table and is left out.

    Parameters
    ----------
    material
        Composition and age.
    mass_kg
        Mass of the material, kg (>= 0).
    """
    if not (math.isfinite(mass_kg) and mass_kg >= 0.0):
        raise InputError(f"mass must be finite and >= 0 kg, got {mass_kg}", where="mass_kg")
    mass_g = mass_kg * 1000.0
    acts: dict[str, float] = {}
    for iso, frac in material.fractions_at_age().items():
        if iso == "U-236":
            continue
        acts[iso] = mass_g * frac * specific_activity_bq_per_g(iso)
    if "Pu-241" in acts:
        t = material.age_years * SECONDS_PER_YEAR
        ingrowth = 1.0 - math.exp(-_decay_constant_per_s("U-237") * t)
        acts["U-237"] = acts["Pu-241"] * PU241_ALPHA_BRANCH * ingrowth
    if "U-238" in acts:
        acts["Pa-234m"] = acts["U-238"]
    return acts


def emission_lines(material: Material, mass_kg: float) -> list[SourceLine]:
    """Gamma lines emitted by ``mass_kg`` of ``material``, sorted by energy.

    Each line's rate is the activity of its nuclide (:func:`activities_bq`) times the
    emission probability per decay of the data table (DDEP / LNHB Lara).

    Parameters
    ----------
    material
        Composition and age.
    mass_kg
        Mass, kg.

    Returns
    -------
    list of SourceLine
        Energy (keV), photons per second, nuclide; lines of zero rate are dropped.
    """
    out: list[SourceLine] = []
    for name, activity in activities_bq(material, mass_kg).items():
        if activity <= 0.0:
            continue
        for ln in nuclide(name).lines:
            out.append(SourceLine(ln.energy_kev, activity * ln.probability, name))
    out.sort(key=lambda s: s.energy_kev)
    return out


def _u_mass_fractions(atom_fractions: Mapping[str, float]) -> dict[str, float]:
    """Mass fractions of uranium from atom fractions, with mass numbers as masses."""
    total = sum(f * mass_number(iso) for iso, f in atom_fractions.items())
    return {iso: f * mass_number(iso) / total for iso, f in atom_fractions.items()}


def _presets() -> dict[str, Material]:
    wg = Material(
        name="weapon-grade plutonium",
        element="Pu",
        mass_fractions={
            "Pu-238": 0.0001,
            "Pu-239": 0.935,
            "Pu-240": 0.060,
            "Pu-241": 0.0044,
            "Pu-242": 0.0005,
        },
        basis=(
            "about 93.5 % Pu-239 and 6 % Pu-240: weapon grade is < 7 % Pu-240 in the US DOE "
            "grades (DOE, 'Plutonium: The First 50 Years', DOE/DP-0137, 1996); Pu-240/Pu-239 "
            "= 0.064 is below the 0.10 of the US-Russian Plutonium Management and Disposition "
            "Agreement (2000). Minor isotopes are illustrative."
        ),
    )
    fg = Material(
        name="fuel-grade plutonium",
        element="Pu",
        mass_fractions={
            "Pu-238": 0.001,
            "Pu-239": 0.860,
            "Pu-240": 0.115,
            "Pu-241": 0.020,
            "Pu-242": 0.004,
        },
        basis=(
            "Pu-240/Pu-239 = 0.134, within 0.12-0.15, i.e. fuel grade (7-19 % Pu-240, DOE/DP-0137) "
            "and just above a 0.10 weapon-grade threshold. Minor isotopes are illustrative."
        ),
    )
    rg = Material(
        name="reactor-grade plutonium",
        element="Pu",
        mass_fractions={
            "Pu-238": 0.015,
            "Pu-239": 0.58,
            "Pu-240": 0.24,
            "Pu-241": 0.11,
            "Pu-242": 0.05,
        },
        basis=(
            "1.5/58/24/11/5 % Pu-238/239/240/241/242, an illustrative light-water-reactor "
            "composition (reactor grade is >= 19 % Pu-240, DOE/DP-0137)."
        ),
    )
    heu = Material(
        name="highly enriched uranium",
        element="U",
        mass_fractions={"U-234": 0.010, "U-235": 0.930, "U-236": 0.002, "U-238": 0.058},
        basis="93 % U-235 ('weapon-grade' HEU); U-234 about 1 % (illustrative).",
    )
    nat = Material(
        name="natural uranium",
        element="U",
        mass_fractions=_u_mass_fractions({"U-234": 0.000054, "U-235": 0.007204, "U-238": 0.992742}),
        basis=(
            "IUPAC isotopic composition of natural uranium, amount fractions U-234 0.000054(5), "
            "U-235 0.007204(6), U-238 0.992742(10) (J. Meija et al., Pure Appl. Chem. 88 (2016) "
            "293); converted to mass fractions with mass numbers."
        ),
    )
    du = Material(
        name="depleted uranium",
        element="U",
        mass_fractions={"U-234": 0.00001, "U-235": 0.0025, "U-238": 0.99749},
        basis="0.25 % U-235 (typical enrichment tails 0.2-0.3 %); U-234 illustrative.",
    )
    lead = Material(
        name="lead surrogate",
        element="Pb",
        basis="hoax: a lead object of the declared mass, with no radioactive content.",
    )
    return {
        "weapon-grade-pu": wg,
        "fuel-grade-pu": fg,
        "reactor-grade-pu": rg,
        "heu": heu,
        "natural-u": nat,
        "depleted-u": du,
        "lead-hoax": lead,
        "du-hoax": Material(
            name="depleted-uranium surrogate",
            element="U",
            mass_fractions=du.mass_fractions,
            basis="hoax: depleted uranium presented as a weapon component. " + du.basis,
        ),
        "reactor-grade-substitute": Material(
            name="reactor-grade substitute",
            element="Pu",
            mass_fractions=rg.mass_fractions,
            basis="hoax: reactor-grade plutonium presented as weapon grade. " + rg.basis,
        ),
    }


#: The preset materials, keyed by item kind (all at age 0; use :meth:`Material.with_age`).
PRESETS: Mapping[str, Material] = _presets()


def preset(kind: str, *, age_years: float = 0.0) -> Material:
    """A preset material by item kind.

    Parameters
    ----------
    kind
        One of the keys of :data:`PRESETS` (``"weapon-grade-pu"``, ``"fuel-grade-pu"``,
        ``"reactor-grade-pu"``, ``"heu"``, ``"natural-u"``, ``"depleted-u"``,
        ``"lead-hoax"``, ``"du-hoax"``, ``"reactor-grade-substitute"``).
    age_years
        Years since the last chemical separation.

    Raises
    ------
    UnknownNameError
        For an unknown kind.
    """
    if kind not in PRESETS:
        raise UnknownNameError(
            f"unknown item kind {kind!r}; known: {', '.join(sorted(PRESETS))}", where="kind"
        )
    return PRESETS[kind].with_age(age_years)
