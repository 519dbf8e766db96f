"""Simulated gamma spectra of nuclear items for tests and exercises.

The model, with its approximations (see ``docs/gamma-simulation.md``):

- **Lines**: energies and emission rates from :mod:`treatyverify.methods.gamma.sources`
  (DDEP data table) or given directly as :class:`~treatyverify.methods.gamma.sources.SourceLine`.
- **Detector response** (:class:`Detector`): Gaussian full-energy peaks with
  ``FWHM(E)^2 = a + b E + c E^2`` (the usual noise + statistics + drift form, G. Gilmore,
  *Practical Gamma-ray Spectrometry*, 2nd ed., Wiley 2008, ch. 6), integrated exactly over
  each channel with the normal CDF over +-8 sigma; an absolute full-energy-peak efficiency
  ``ln(eps/eps_ref) = sum_i c_i x^i``, ``x = ln(E/E_ref)``, scaled with distance by the
  inverse square law (valid for distances well beyond the crystal size); a peak-to-total
  ratio ``P/T(E) = min(P/T_max, P/T_ref (E/E_ref)^-k)``.
- **Compton continuum** of each line: ``N_peak (1/(P/T) - 1)`` counts, of which a fraction
  :data:`BACKSCATTER_FRACTION` forms a backscatter bump at ``E - E_c`` and the rest a flat
  plateau from 0 to the Compton edge ``E_c = E (1 - 1/(1 + 2E/m_e c^2))``, its edge smeared
  by the detector resolution. The true single-scatter shape (Klein-Nishina) rises towards
  the edge, and multiple scattering fills the valley between edge and peak: both are left
  out. Pair production (escape peaks above 1022 keV) and summing are left out too.
- **Attenuation**: narrow-beam transmission through shields
  (:func:`~treatyverify.methods.nucdata.tables.attenuation_factor`, NIST XCOM, no buildup) and
  the mean escape probability of photons born uniformly in a sphere or a slab of the item
  (:func:`sphere_escape_probability`, :func:`slab_escape_probability`).
- **Background**: K-40, Th-232 chain and Ra-226 chain lines, each chain as an equivalent
  point source at the reference distance, plus a falling continuum; not attenuated by the
  item's shields.
- **Counting**: Poisson noise from a :class:`numpy.random.Generator`; real time from a
  non-paralysable dead time per event.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import special

from treatyverify.errors import InputError, UnknownNameError
from treatyverify.methods.gamma.releff import IntrinsicTable, generic_curve
from treatyverify.methods.gamma.sources import (
    Material,
    SourceLine,
    emission_lines,
    preset,
)
from treatyverify.methods.gamma.spectrum import Spectrum
from treatyverify.methods.nucdata.tables import (
    attenuation_factor,
    load_attenuation,
    mass_attenuation,
    nuclide,
)

__all__ = [
    "BACKSCATTER_FRACTION",
    "DEFAULT_BACKGROUND",
    "DETECTORS",
    "ELECTRON_REST_ENERGY_KEV",
    "FWHM_PER_SIGMA",
    "HPGE_COAXIAL",
    "NAI_3X3",
    "PU_ALPHA_DENSITY_G_CM3",
    "Background",
    "Detector",
    "SelfAttenuation",
    "Shield",
    "compton_edge_kev",
    "expected_spectrum",
    "line_peak_counts",
    "simulate_item",
    "simulate_spectrum",
    "slab_escape_probability",
    "sphere_escape_probability",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

#: Electron rest energy m_e c^2, keV (CODATA 2018: 0.51099895000 MeV).
ELECTRON_REST_ENERGY_KEV = 510.99895

#: FWHM / sigma of a Gaussian, 2 sqrt(2 ln 2).
FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))

#: Fraction of each line's Compton continuum put in the backscatter bump (an illustrative
#: value: the real fraction depends on the material around source and detector).
BACKSCATTER_FRACTION = 0.05

#: Relative width (sigma / E) of the backscatter bump added to the detector resolution:
#: it spreads over the range of large scattering angles (illustrative).
_BACKSCATTER_REL_SIGMA = 0.04

#: Density of alpha-phase plutonium, g/cm^3: 19.86 (S. S. Hecker, "Plutonium and its
#: alloys", Los Alamos Science 26 (2000), table of the phases of plutonium).
PU_ALPHA_DENSITY_G_CM3 = 19.86

#: Half-width of the computed window of a peak or an edge, in sigma.
_WINDOW_SIGMA = 8.0


def _ndtr(x: FloatArray) -> FloatArray:
    return np.asarray(special.ndtr(x), dtype=np.float64)


def _psi(z: FloatArray) -> FloatArray:
    """Integral of the standard normal CDF from -inf to z: z Phi(z) + phi(z)."""
    phi = np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
    return np.asarray(z * _ndtr(z) + phi, dtype=np.float64)


def compton_edge_kev(energy_kev: float | FloatArray) -> FloatArray:
    """Compton edge ``E (1 - 1/(1 + 2E/m_e c^2))``: the largest energy given to an electron.

    Parameters
    ----------
    energy_kev
        Photon energy, keV.

    Returns
    -------
    numpy.ndarray
        Edge energy, keV (e.g. 477.3 keV for 661.7 keV).
    """
    e = np.asarray(energy_kev, dtype=np.float64)
    edge: FloatArray = e * (1.0 - 1.0 / (1.0 + 2.0 * e / ELECTRON_REST_ENERGY_KEV))
    return edge


def sphere_escape_probability(tau: float) -> float:
    """Mean escape probability of photons born uniformly in a sphere, seen from afar.

    ``P(tau) = 3/(4 tau) [1 - 1/(2 tau^2) + (1/(2 tau^2) + 1/tau) exp(-2 tau)]`` with
    ``tau = mu R`` (linear attenuation coefficient times radius): the mean over the volume
    of ``exp(-mu l)``, ``l`` the path to the surface along the direction of a distant
    detector. ``P -> 1 - 3 tau/4`` for a thin sphere and ``3/(4 tau)`` for a thick one.

    Parameters
    ----------
    tau
        Optical radius mu R (dimensionless, >= 0).
    """
    if tau < 0.0 or not math.isfinite(tau):
        raise InputError(f"optical radius must be finite and >= 0, got {tau}", where="tau")
    if tau < 1e-3:  # series, avoids cancellation: 1 - 3/4 tau + 2/5 tau^2 - ...
        return 1.0 - 0.75 * tau + 0.4 * tau * tau
    inv2 = 1.0 / (2.0 * tau * tau)
    return 0.75 / tau * (1.0 - inv2 + (inv2 + 1.0 / tau) * math.exp(-2.0 * tau))


def slab_escape_probability(tau: float) -> float:
    """Mean escape probability ``(1 - exp(-tau))/tau`` of a slab seen face-on.

    Parameters
    ----------
    tau
        Optical thickness mu t (dimensionless, >= 0).
    """
    if tau < 0.0 or not math.isfinite(tau):
        raise InputError(f"optical thickness must be finite and >= 0, got {tau}", where="tau")
    if tau < 1e-6:
        return 1.0 - 0.5 * tau
    return -math.expm1(-tau) / tau


@dataclass(frozen=True, kw_only=True)
class Detector:
    """A gamma detector: resolution, efficiency, peak-to-total ratio and channels.

    Parameters
    ----------
    name
        Display name.
    n_channels
        Number of channels (>= 1).
    gain_kev_per_channel
        Channel width, keV (> 0).
    offset_kev
        Lower edge of channel 0, keV.
    fwhm_a_kev2, fwhm_b_kev, fwhm_c
        ``FWHM(E)^2 = a + b E + c E^2`` with FWHM and E in keV (a in keV^2, b in keV,
        c dimensionless).
    efficiency_ref
        Absolute full-energy-peak efficiency (counts per emitted photon) at
        ``efficiency_ref_kev`` for a point source at ``reference_distance_cm``.
    efficiency_ref_kev
        Reference energy of the efficiency and the peak-to-total curves, keV.
    efficiency_poly
        ``(c_1, c_2, ...)`` of ``ln(eps/eps_ref) = sum_i c_i x^i``, ``x = ln(E/E_ref)``.
    efficiency_shape
        A tabulated full-energy-peak efficiency shape (a detector response function's),
        used instead of ``efficiency_poly`` when given: ``eps/eps_ref`` follows it.
    reference_distance_cm
        Source-detector distance of the efficiency curve, cm.
    peak_to_total_ref
        Peak-to-total ratio at ``efficiency_ref_kev`` (0..1].
    peak_to_total_index
        ``k`` in ``P/T = P/T_ref (E/E_ref)^-k``.
    peak_to_total_max
        Upper bound of the peak-to-total ratio (at low energies).
    dead_time_s
        Non-paralysable dead time per recorded event, s.
    """

    name: str
    n_channels: int
    gain_kev_per_channel: float
    offset_kev: float = 0.0
    fwhm_a_kev2: float
    fwhm_b_kev: float
    fwhm_c: float
    efficiency_ref: float
    efficiency_ref_kev: float
    efficiency_poly: tuple[float, ...]
    efficiency_shape: IntrinsicTable | None = None
    reference_distance_cm: float
    peak_to_total_ref: float
    peak_to_total_index: float
    peak_to_total_max: float = 0.95
    dead_time_s: float

    def __post_init__(self) -> None:
        where = f"detector {self.name!r}"
        if self.n_channels < 1:
            raise InputError("needs at least one channel", where=where)
        positive = {
            "gain": self.gain_kev_per_channel,
            "efficiency": self.efficiency_ref,
            "efficiency reference energy": self.efficiency_ref_kev,
            "reference distance": self.reference_distance_cm,
            "peak-to-total ratio": self.peak_to_total_ref,
        }
        for what, value in positive.items():
            if not (math.isfinite(value) and value > 0.0):
                raise InputError(f"{what} must be finite and > 0, got {value}", where=where)
        if not 0.0 < self.peak_to_total_max <= 1.0 or self.peak_to_total_ref > 1.0:
            raise InputError("peak-to-total ratios must be in (0, 1]", where=where)
        if self.dead_time_s < 0.0:
            raise InputError("dead time must be >= 0 s", where=where)
        if min(self.fwhm_a_kev2, self.fwhm_b_kev, self.fwhm_c) < 0.0 or (
            self.fwhm_a_kev2 + self.fwhm_b_kev + self.fwhm_c == 0.0
        ):
            raise InputError("FWHM coefficients must be >= 0 and not all 0", where=where)

    @property
    def channel_edges_kev(self) -> FloatArray:
        """The ``n_channels + 1`` channel edges, keV (linear calibration)."""
        edges: FloatArray = self.offset_kev + self.gain_kev_per_channel * np.arange(
            self.n_channels + 1, dtype=np.float64
        )
        return edges

    def fwhm_kev(self, energy_kev: float | FloatArray) -> FloatArray:
        """Full width at half maximum of a peak at ``energy_kev`` (keV), keV."""
        e = np.asarray(energy_kev, dtype=np.float64)
        fwhm: FloatArray = np.sqrt(self.fwhm_a_kev2 + self.fwhm_b_kev * e + self.fwhm_c * e * e)
        return fwhm

    def sigma_kev(self, energy_kev: float | FloatArray) -> FloatArray:
        """Gaussian standard deviation of a peak at ``energy_kev`` (keV), keV."""
        sigma: FloatArray = self.fwhm_kev(energy_kev) / FWHM_PER_SIGMA
        return sigma

    def efficiency(
        self, energy_kev: float | FloatArray, distance_cm: float | None = None
    ) -> FloatArray:
        """Absolute full-energy-peak efficiency for a point source.

        Parameters
        ----------
        energy_kev
            Photon energy, keV (> 0).
        distance_cm
            Source-detector distance, cm; ``None`` for the reference distance. Scaled by
            the inverse square law.
        """
        e = np.asarray(energy_kev, dtype=np.float64)
        if self.efficiency_shape is not None:
            shape = self.efficiency_shape
            log_rel = shape.log_efficiency(e) - shape.log_efficiency(
                np.asarray(self.efficiency_ref_kev)
            )
        else:
            x = np.log(e / self.efficiency_ref_kev)
            log_rel = np.zeros_like(x)
            for power, coeff in enumerate(self.efficiency_poly, start=1):
                log_rel += coeff * x**power
        eff: FloatArray = self.efficiency_ref * np.exp(log_rel)
        if distance_cm is not None:
            if not (math.isfinite(distance_cm) and distance_cm > 0.0):
                raise InputError(
                    f"distance must be finite and > 0 cm, got {distance_cm}", where="distance_cm"
                )
            eff = eff * (self.reference_distance_cm / distance_cm) ** 2
        return eff

    def peak_to_total(self, energy_kev: float | FloatArray) -> FloatArray:
        """Peak-to-total ratio at ``energy_kev`` (keV), in (0, 1]."""
        e = np.asarray(energy_kev, dtype=np.float64)
        pt = self.peak_to_total_ref * (e / self.efficiency_ref_kev) ** (-self.peak_to_total_index)
        capped: FloatArray = np.minimum(pt, self.peak_to_total_max)
        return capped


#: A coaxial p-type HPGe of about 40 % relative efficiency, 16384 channels of 0.25 keV.
#: Resolution 0.89 keV at 122 keV and 1.84 keV at 1332 keV, typical of the coaxial
#: detector specifications of manufacturers (e.g. ORTEC, "Overview of Semiconductor Photon
#: Detectors": resolution specified at 122 keV and 1.33 MeV). Efficiency: 40 % relative
#: efficiency means 0.40 x 1.2e-3 at 1332 keV for a point source at 25 cm, 1.2e-3 being the
#: efficiency of a 3"x3" NaI(Tl) there (G. F. Knoll, *Radiation Detection and Measurement*,
#: 4th ed., Wiley 2010, ch. 12); the energy dependence is that of the generic GADRAS
#: "HPGe 40%" detector response function distributed with InterSpec (the ``hpge-40`` curve
#: of ``nucdata/hpge_efficiency.yaml``): a real detector's turnover below 150 keV and
#: fall-off above, where an earlier version used an illustrative quadratic in ln E that
#: no germanium detector follows. Peak-to-total 0.22 at 1332 keV (illustrative, of the
#: order of coaxial detectors of this size). Dead time 10 us (illustrative).
HPGE_COAXIAL = Detector(
    name="HPGe coaxial 40%",
    n_channels=16384,
    gain_kev_per_channel=0.25,
    fwhm_a_kev2=0.55,
    fwhm_b_kev=2.0e-3,
    fwhm_c=1.0e-7,
    efficiency_ref=0.40 * 1.2e-3,
    efficiency_ref_kev=1332.492,
    efficiency_poly=(),
    efficiency_shape=generic_curve("hpge-40"),
    reference_distance_cm=25.0,
    peak_to_total_ref=0.22,
    peak_to_total_index=0.6,
    dead_time_s=10e-6,
)

#: A 3"x3" NaI(Tl) scintillator, 1024 channels of 3 keV. Resolution 7 % FWHM at 662 keV,
#: scaling as E^-1/2 (FWHM^2 = b E with b = 0.07^2 x 661.7 keV; Knoll ch. 10 gives 6-7 %
#: at 662 keV as typical). Efficiency 1.2e-3 at 1332 keV at 25 cm (the reference of
#: relative efficiencies, Knoll ch. 12); shape and peak-to-total illustrative.
NAI_3X3 = Detector(
    name="NaI(Tl) 3x3",
    n_channels=1024,
    gain_kev_per_channel=3.0,
    fwhm_a_kev2=0.0,
    fwhm_b_kev=0.07**2 * 661.657,
    fwhm_c=0.0,
    efficiency_ref=1.2e-3,
    efficiency_ref_kev=1332.492,
    efficiency_poly=(-0.8, -0.1),
    reference_distance_cm=25.0,
    peak_to_total_ref=0.35,
    peak_to_total_index=0.6,
    dead_time_s=2e-6,
)

#: Detector presets by name.
DETECTORS: dict[str, Detector] = {"hpge": HPGE_COAXIAL, "nai": NAI_3X3}


@dataclass(frozen=True)
class Shield:
    """A slab of shielding between the item and the detector.

    Parameters
    ----------
    material
        Material of the attenuation table (``"Pb"``, ``"Fe"``, ``"concrete"``, ...).
    thickness_cm
        Thickness, cm (>= 0).
    density_g_cm3
        Density, g/cm^3; ``None`` for the tabulated one.
    """

    material: str
    thickness_cm: float
    density_g_cm3: float | None = None

    def transmission(self, energy_kev: float) -> float:
        """Narrow-beam transmission at ``energy_kev`` (keV), no buildup."""
        return attenuation_factor(
            self.material, self.thickness_cm, energy_kev, density=self.density_g_cm3
        )


ShieldLike = Shield | tuple[str, float] | tuple[str, float, float]


def _shields(shielding: Sequence[ShieldLike]) -> list[Shield]:
    out: list[Shield] = []
    for item in shielding:
        if isinstance(item, Shield):
            out.append(item)
        elif isinstance(item, tuple) and len(item) in (2, 3):
            out.append(Shield(*item))
        else:
            raise InputError(
                "each shield is (material, thickness_cm[, density_g_cm3]) or a Shield",
                where="shielding",
            )
    return out


@dataclass(frozen=True, kw_only=True)
class SelfAttenuation:
    """Self-attenuation of a uniform sphere or slab of the item material.

    Parameters
    ----------
    material
        Material of the attenuation table whose mu/rho is used (``"U"``, ``"Pu"``).
    density_g_cm3
        Density of the item, g/cm^3 (> 0).
    shape
        ``"sphere"`` (size = radius) or ``"slab"`` seen face-on (size = thickness).
    size_cm
        Radius or thickness, cm (>= 0).
    """

    material: str
    density_g_cm3: float
    shape: Literal["sphere", "slab"] = "sphere"
    size_cm: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.density_g_cm3) and self.density_g_cm3 > 0.0):
            raise InputError("density must be finite and > 0 g/cm^3", where="self_attenuation")
        if not (math.isfinite(self.size_cm) and self.size_cm >= 0.0):
            raise InputError("size must be finite and >= 0 cm", where="self_attenuation")
        if self.shape not in ("sphere", "slab"):
            raise InputError(f"unknown shape {self.shape!r}", where="self_attenuation")

    @classmethod
    def sphere_of_mass(cls, material: str, density_g_cm3: float, mass_kg: float) -> SelfAttenuation:
        """A solid sphere of ``mass_kg`` (kg) at ``density_g_cm3`` (g/cm^3)."""
        if not (math.isfinite(mass_kg) and mass_kg >= 0.0):
            raise InputError(f"mass must be finite and >= 0 kg, got {mass_kg}", where="mass_kg")
        radius = (3.0 * mass_kg * 1000.0 / (4.0 * math.pi * density_g_cm3)) ** (1.0 / 3.0)
        return cls(material=material, density_g_cm3=density_g_cm3, shape="sphere", size_cm=radius)

    def escape_probability(self, energy_kev: float) -> float:
        """Mean escape probability of photons of ``energy_kev`` (keV) born in the item."""
        tau = mass_attenuation(self.material, energy_kev) * self.density_g_cm3 * self.size_cm
        if self.shape == "sphere":
            return sphere_escape_probability(tau)
        return slab_escape_probability(tau)


#: Natural background chains: member nuclides of the data table, per chain.
_CHAINS: dict[str, tuple[str, ...]] = {
    "K-40": ("K-40",),
    "Th-232": ("Th-232", "Ac-228", "Pb-212", "Tl-208"),
    "Ra-226": ("Ra-226", "Pb-214", "Bi-214"),
}


@dataclass(frozen=True, kw_only=True)
class Background:
    """Natural background: K-40, Th-232 and Ra-226 chain lines and a falling continuum.

    Each chain is an equivalent point source at the detector's reference distance, its
    members in secular equilibrium (Tl-208 times its branching from Bi-212 in the table).
    The defaults give about 0.05 counts/s in the 1461 keV peak of the HPGe preset, of the
    order of an unshielded laboratory detector; they are illustrative.

    Parameters
    ----------
    k40_bq, th232_chain_bq, ra226_chain_bq
        Equivalent activities, Bq (>= 0).
    continuum_per_s_per_kev
        Incident continuum at 100 keV, photons / (s keV) (>= 0); recorded as
        ``phi(E) eps(E) / (P/T)(E)`` counts / (s keV).
    continuum_index
        Power-law index of the incident continuum, ``phi ~ (E/100 keV)^-index``.
    """

    k40_bq: float = 1000.0
    th232_chain_bq: float = 300.0
    ra226_chain_bq: float = 300.0
    continuum_per_s_per_kev: float = 3.0
    continuum_index: float = 1.5

    def __post_init__(self) -> None:
        for what, value in (
            ("K-40 activity", self.k40_bq),
            ("Th-232 chain activity", self.th232_chain_bq),
            ("Ra-226 chain activity", self.ra226_chain_bq),
            ("continuum", self.continuum_per_s_per_kev),
        ):
            if not (math.isfinite(value) and value >= 0.0):
                raise InputError(f"{what} must be finite and >= 0", where="background")

    def lines(self) -> list[SourceLine]:
        """Background lines as emitted photons per second at the reference distance."""
        activities = {"K-40": self.k40_bq, "Th-232": self.th232_chain_bq}
        activities["Ra-226"] = self.ra226_chain_bq
        out: list[SourceLine] = []
        for chain, members in _CHAINS.items():
            for member in members:
                data = nuclide(member)
                branch = data.branching_from_parent.fraction if data.branching_from_parent else 1.0
                for ln in data.lines:
                    rate = activities[chain] * branch * ln.probability
                    if rate > 0.0:
                        out.append(SourceLine(ln.energy_kev, rate, member))
        return out


#: The default natural background of :func:`simulate_item`.
DEFAULT_BACKGROUND = Background()


def _channel_index(edges: FloatArray, x: FloatArray) -> IntArray:
    """Index of the edge at or below ``x``, clipped to ``0..n_channels``."""
    idx = np.searchsorted(edges, x, side="right") - 1
    clipped: IntArray = np.clip(idx, 0, edges.size - 1)
    return clipped


def _add_windows(
    out: FloatArray,
    edges: FloatArray,
    lo: IntArray,
    hi: IntArray,
    cumulative: Callable[[FloatArray], FloatArray],
) -> None:
    """Add ``diff(cumulative(edges))`` over the channels ``lo[k]..hi[k]`` of each row ``k``.

    ``cumulative`` maps a ``(rows, width + 1)`` array of edge energies to the cumulative
    counts of each row there.
    """
    if lo.size == 0:
        return
    n = edges.size - 1
    width = int(np.max(hi - lo)) + 1
    edge_idx = lo[:, None] + np.arange(width + 1)[None, :]
    edge_idx = np.minimum(edge_idx, n)
    counts = np.diff(cumulative(edges[edge_idx]), axis=1)
    channel = edge_idx[:, :-1]
    valid = channel < n
    out += np.bincount(channel[valid], weights=counts[valid], minlength=n)


def _fold(energies: FloatArray, peak_counts: FloatArray, detector: Detector) -> FloatArray:
    """Expected counts per channel of lines with the given full-energy-peak counts."""
    edges = detector.channel_edges_kev
    n = detector.n_channels
    out = np.zeros(n, dtype=np.float64)
    keep = (peak_counts > 0.0) & (energies > 0.0)
    e, area = energies[keep], peak_counts[keep]
    if e.size == 0:
        return out

    # Full-energy peaks: A Phi((x - E)/sigma) integrated channel by channel.
    sigma = detector.sigma_kev(e)
    lo = _channel_index(edges, e - _WINDOW_SIGMA * sigma)
    hi = _channel_index(edges, e + _WINDOW_SIGMA * sigma)
    _add_windows(
        out,
        edges,
        lo,
        hi,
        lambda x: area[:, None] * _ndtr((x - e[:, None]) / sigma[:, None]),
    )

    # Compton continuum: plateau 0..E_c with a resolution-smeared edge, plus a bump.
    continuum = area * (1.0 / detector.peak_to_total(e) - 1.0)
    edge_kev = compton_edge_kev(e)
    height = (1.0 - BACKSCATTER_FRACTION) * continuum / edge_kev  # counts per keV
    s_edge = detector.sigma_kev(edge_kev)
    lo = _channel_index(edges, edge_kev - _WINDOW_SIGMA * s_edge)
    hi = _channel_index(edges, edge_kev + _WINDOW_SIGMA * s_edge)
    # Below the window the plateau is flat: a step for every channel under lo.
    steps = np.bincount(lo, weights=height, minlength=n + 1)
    flat = np.cumsum(steps[::-1])[::-1][1:]  # sum of heights with lo > channel
    out += flat * np.diff(edges)
    # In the window: integral of h Phi((E_c - x)/s) is -h s Psi((E_c - x)/s).
    _add_windows(
        out,
        edges,
        lo,
        hi,
        lambda x: -(height * s_edge)[:, None] * _psi((edge_kev[:, None] - x) / s_edge[:, None]),
    )
    backscatter_kev = e - edge_kev
    s_bs = np.hypot(detector.sigma_kev(backscatter_kev), _BACKSCATTER_REL_SIGMA * backscatter_kev)
    bs_area = BACKSCATTER_FRACTION * continuum
    lo = _channel_index(edges, backscatter_kev - _WINDOW_SIGMA * s_bs)
    hi = _channel_index(edges, backscatter_kev + _WINDOW_SIGMA * s_bs)
    _add_windows(
        out,
        edges,
        lo,
        hi,
        lambda x: bs_area[:, None] * _ndtr((x - backscatter_kev[:, None]) / s_bs[:, None]),
    )
    np.maximum(out, 0.0, out=out)  # rounding at the plateau edges
    return out


def _check_time(live_time_s: float) -> None:
    if not (math.isfinite(live_time_s) and live_time_s > 0.0):
        raise InputError(
            f"live time must be finite and > 0 s, got {live_time_s}", where="live_time_s"
        )


def line_peak_counts(
    lines: Sequence[SourceLine],
    detector: Detector,
    live_time_s: float,
    *,
    distance_cm: float | None = None,
    shielding: Sequence[ShieldLike] = (),
    self_attenuation: SelfAttenuation | None = None,
) -> FloatArray:
    """Expected full-energy-peak counts of each line (no noise, no background).

    ``rate x escape probability x shield transmission x efficiency x live time``.

    Parameters
    ----------
    lines
        Emitted lines (energy keV, photons/s).
    detector
        The detector.
    live_time_s
        Live time, s (> 0).
    distance_cm
        Source-detector distance, cm; ``None`` for the detector's reference distance.
    shielding
        Slabs between item and detector: :class:`Shield` or ``(material, thickness_cm)``
        or ``(material, thickness_cm, density_g_cm3)``.
    self_attenuation
        Self-attenuation of the item, or ``None`` for a point source.

    Returns
    -------
    numpy.ndarray
        Counts per line, in the order of ``lines``.
    """
    _check_time(live_time_s)
    shields = _shields(shielding)
    if not lines:
        return np.zeros(0, dtype=np.float64)
    energies = np.array([ln.energy_kev for ln in lines], dtype=np.float64)
    rates = np.array([ln.rate_per_s for ln in lines], dtype=np.float64)
    if np.any(~np.isfinite(rates)) or np.any(rates < 0.0) or np.any(energies <= 0.0):
        raise InputError("line energies must be > 0 keV and rates finite and >= 0", where="lines")
    factor = np.ones_like(energies)
    # Attenuation is looked up once per distinct energy (the table lookup is scalar).
    for k, energy in enumerate(energies.tolist()):
        for shield in shields:
            factor[k] *= shield.transmission(energy)
        if self_attenuation is not None:
            factor[k] *= self_attenuation.escape_probability(energy)
    counts: FloatArray = rates * factor * detector.efficiency(energies, distance_cm) * live_time_s
    return counts


def expected_spectrum(
    lines: Sequence[SourceLine],
    detector: Detector,
    live_time_s: float,
    *,
    distance_cm: float | None = None,
    shielding: Sequence[ShieldLike] = (),
    self_attenuation: SelfAttenuation | None = None,
    background: Background | None = None,
) -> FloatArray:
    """Expected counts per channel (the mean of :func:`simulate_spectrum`).

    Parameters are those of :func:`simulate_spectrum` (without ``rng``).
    """
    peaks = line_peak_counts(
        lines,
        detector,
        live_time_s,
        distance_cm=distance_cm,
        shielding=shielding,
        self_attenuation=self_attenuation,
    )
    energies = np.array([ln.energy_kev for ln in lines], dtype=np.float64)
    if background is not None:
        bg_lines = background.lines()
        bg_e = np.array([ln.energy_kev for ln in bg_lines], dtype=np.float64)
        bg_rate = np.array([ln.rate_per_s for ln in bg_lines], dtype=np.float64)
        energies = np.concatenate([energies, bg_e])
        peaks = np.concatenate([peaks, bg_rate * detector.efficiency(bg_e) * live_time_s])
    mean = _fold(energies, peaks, detector)
    if background is not None and background.continuum_per_s_per_kev > 0.0:
        edges = detector.channel_edges_kev
        centre = 0.5 * (edges[:-1] + edges[1:])
        ok = centre > 0.0
        e = np.where(ok, centre, 1.0)
        phi = background.continuum_per_s_per_kev * (e / 100.0) ** (-background.continuum_index)
        density = phi * detector.efficiency(e) / detector.peak_to_total(e)
        mean += np.where(ok, density * np.diff(edges) * live_time_s, 0.0)
    return mean


def simulate_spectrum(
    lines: Sequence[SourceLine],
    detector: Detector,
    live_time_s: float,
    *,
    distance_cm: float | None = None,
    shielding: Sequence[ShieldLike] = (),
    self_attenuation: SelfAttenuation | None = None,
    background: Background | None = None,
    rng: np.random.Generator | int | None = None,
    noise: bool = True,
    source: str = "simulated",
) -> Spectrum:
    """Simulate a gamma spectrum of emitted lines seen by a detector.

    Parameters
    ----------
    lines
        Emitted lines (energy keV, photons/s), e.g. from
        :func:`~treatyverify.methods.gamma.sources.emission_lines`.
    detector
        The detector (:data:`HPGE_COAXIAL`, :data:`NAI_3X3` or your own).
    live_time_s
        Live time, s (> 0).
    distance_cm
        Source-detector distance, cm; ``None`` for the detector's reference distance.
    shielding
        Slabs between item and detector (see :func:`line_peak_counts`).
    self_attenuation
        Self-attenuation of the item, or ``None`` for a point source.
    background
        Natural background, or ``None`` for none.
    rng
        Random generator or seed for the Poisson noise; ``None`` draws fresh entropy.
    noise
        ``False`` returns the expected counts without noise.
    source
        Display name of the spectrum.

    Returns
    -------
    Spectrum
        Counts, live time, real time ``live (1 + n tau)`` (``n`` the true count rate,
        ``tau`` the detector's dead time) and the channel edges.
    """
    mean = expected_spectrum(
        lines,
        detector,
        live_time_s,
        distance_cm=distance_cm,
        shielding=shielding,
        self_attenuation=self_attenuation,
        background=background,
    )
    if noise:
        generator = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        counts: FloatArray = generator.poisson(mean).astype(np.float64)
    else:
        counts = mean
    true_rate = float(mean.sum()) / live_time_s
    real_time_s = live_time_s * (1.0 + true_rate * detector.dead_time_s)
    return Spectrum(
        counts=counts,
        live_time_s=live_time_s,
        real_time_s=real_time_s,
        channel_edges_kev=detector.channel_edges_kev,
        source=source,
        title=f"simulated, {detector.name}",
    )


def _item_density_and_mu_material(material: Material) -> tuple[str, float]:
    """Attenuation-table material and density (g/cm^3) for self-attenuation."""
    table = load_attenuation().materials
    if material.element == "Pu":
        # Pu mu/rho from NIST XCOM (the table has no Pu density): alpha-phase density.
        return "Pu", PU_ALPHA_DENSITY_G_CM3
    density = table[material.element].density_g_cm3
    if density is None:  # pragma: no cover - U and Pb have tabulated densities
        raise InputError(f"no density for {material.element}", where="attenuation.yaml")
    return material.element, density


def simulate_item(
    kind: str,
    *,
    mass_kg: float,
    detector: Detector = HPGE_COAXIAL,
    live_time_s: float = 600.0,
    geometry: Literal["sphere", "slab", "point"] = "sphere",
    slab_thickness_cm: float | None = None,
    distance_cm: float | None = None,
    shielding: Sequence[ShieldLike] = (),
    age_years: float = 10.0,
    background: Background | None = DEFAULT_BACKGROUND,
    rng: np.random.Generator | int | None = None,
    noise: bool = True,
) -> Spectrum:
    """Simulate the spectrum of a preset item (a real material or a hoax).

    Parameters
    ----------
    kind
        ``"weapon-grade-pu"``, ``"fuel-grade-pu"``, ``"reactor-grade-pu"``, ``"heu"``,
        ``"natural-u"``, ``"depleted-u"``, ``"lead-hoax"``, ``"du-hoax"`` or
        ``"reactor-grade-substitute"`` (see :data:`~treatyverify.methods.gamma.sources.PRESETS`).
    mass_kg
        Mass of the item, kg (>= 0).
    detector
        The detector.
    live_time_s
        Live time, s.
    geometry
        ``"sphere"`` (a solid sphere of the mass), ``"slab"`` (face-on, thickness
        ``slab_thickness_cm``) or ``"point"`` (no self-attenuation).
    slab_thickness_cm
        Slab thickness, cm; required for ``"slab"``.
    distance_cm
        Source-detector distance, cm; ``None`` for the reference distance.
    shielding
        Slabs between item and detector.
    age_years
        Years since the last chemical separation.
    background
        Natural background (default :data:`DEFAULT_BACKGROUND`); ``None`` for none.
    rng
        Random generator or seed.
    noise
        ``False`` for the expected counts.
    """
    material = preset(kind, age_years=age_years)
    lines = emission_lines(material, mass_kg)
    mu_material, density = _item_density_and_mu_material(material)
    self_att: SelfAttenuation | None
    if geometry == "sphere":
        self_att = SelfAttenuation.sphere_of_mass(mu_material, density, mass_kg)
    elif geometry == "slab":
        if slab_thickness_cm is None:
            raise InputError("a slab needs slab_thickness_cm", where="geometry")
        self_att = SelfAttenuation(
            material=mu_material, density_g_cm3=density, shape="slab", size_cm=slab_thickness_cm
        )
    elif geometry == "point":
        self_att = None
    else:
        raise UnknownNameError(f"unknown geometry {geometry!r}", where="geometry")
    return simulate_spectrum(
        lines,
        detector,
        live_time_s,
        distance_cm=distance_cm,
        shielding=shielding,
        self_attenuation=self_att,
        background=background,
        rng=rng,
        noise=noise,
        source=f"simulated {kind}",
    )
