"""Relative-efficiency isotopics: one Poisson fit of many lines over wide energy ranges.

The engine behind the enrichment, Pu-240/Pu-239 and age attributes, in the manner of
FRAM (T. E. Sampson et al., LA-14018, 2003), MGA (R. Gunnink, UCRL-LR-103220, 1990)
and InterSpec's RelActAuto (SAND2022-15323TR): the counts of every channel of a set of
regions are fitted at once by Poisson maximum likelihood, with

    mu_i = sum_lines A_k [P_ik + S_ik] + B_r(i)

where ``P_ik`` is the fraction of line ``k``'s full-energy peak in channel ``i`` and
``S_ik`` its step (:mod:`treatyverify.methods.gamma.lineshape`), and ``B_r`` a straight
background in each region ``r``. What ties the areas ``A_k``:

- a line of an item nuclide whose emission probability is well known (``tied``) has
  ``A_k = L_n p_k eps(E_k)``: ``L_n`` the nuclide's level (proportional to its
  activity), ``p_k`` the emission probability and ``eps`` the physical relative
  efficiency of :mod:`treatyverify.methods.gamma.releff` (detector x
  self-attenuation x absorbers);
- a line of an interfering nuclide (natural background, a source mixed in) has
  ``A_k = L_m p_k eps_0(E_k)``, one level ``L_m >= 0`` per nuclide and the tabulated
  detector shape ``eps_0`` alone (no tilt, no item or absorber term: such photons come
  from elsewhere, and must not bend the item's curve). Such a nuclide enters only
  when the counts show it: its strongest line clear of the others (its *anchor*)
  stands three standard deviations above a straight background, or, when it has no
  clear line or only a weaker one, a stronger line of it stands five standard
  deviations out beside the lines it overlaps, all fitted together with a 2 %
  allowance of their areas for peak-shape error. The region around that line fixes
  its level. Its lines that sit on a tied item line (within half a FWHM) share the
  level; its other lines are nuisance peaks;
- a line whose emission probability is poorly known (no stated uncertainty, or one
  above :data:`MAX_TIED_RELATIVE_UNCERTAINTY`) is a nuisance peak with a free area
  ``>= 0`` at its known energy: it is in the model, but it does not pull the curve.

A line too weak to see stays in the model: its expected area follows from the levels
and the curve, and its counts constrain them.

Global parameters shared by all regions: an energy-scale correction (offset and
gain), the resolution ``FWHM^2 = w0 + w1 E``, the tail fraction and length and the
step of the peak shape. They carry weak Gaussian priors (:data:`PRIORS`), which matter
only when the peaks are too weak to fix them.

Each tied line's emission probability is a parameter with a Gaussian prior of its
stated uncertainty: the nuclear data are measurements too, and a line of a million
counts must not force the curve beyond the precision of its emission probability.

The deviance plus the priors' penalty is minimised by Fisher scoring with
Levenberg-Marquardt damping, first with the peak shape and the emission probabilities
held, then with everything free. Bounds are kept by projection, and a parameter at
its bound is held fixed in the covariance. The fit is then redone at each areal
density of :data:`X_ITEM_SCAN_G_CM2` (a profile): the self-attenuation can leave the
likelihood flat or with two minima, which the local covariance does not see. The
covariance of the free parameters is the inverse Fisher matrix multiplied by the
dispersion ``max(1, chi2 / ndof)`` (Pearson's chi-square of the fit).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypeAlias

import numpy as np
import numpy.typing as npt
from scipy import sparse

from treatyverify.errors import InputError
from treatyverify.methods.gamma.lineshape import PeakShape, cumulative
from treatyverify.methods.gamma.releff import EfficiencyModel

__all__ = [
    "MAX_TIED_RELATIVE_UNCERTAINTY",
    "PRIORS",
    "SHAPE_NAMES",
    "X_ITEM_SCAN_G_CM2",
    "FitLine",
    "IsotopicsFit",
    "IsotopicsSetup",
    "ProfilePoint",
    "fit_isotopics",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
ShapeMatrix: TypeAlias = Any
"""Counts per channel per unit line area, channels x lines: a ``scipy.sparse.csc_array``
(SciPy carries no type information for mypy here)."""

_FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))

MAX_TIED_RELATIVE_UNCERTAINTY = 0.05
"""A line is tied to the efficiency curve only when its emission probability is known to
5 % or better; a worse-known line would pull the curve by its data error."""

SHAPE_NAMES: tuple[str, ...] = (
    "offset_kev",
    "gain",
    "fwhm2_const",
    "fwhm2_slope",
    "tail_fraction",
    "tail_length",
    "step",
)
"""Global shape parameters: energy offset (keV) and relative gain of the lines against
the file's calibration, ``FWHM^2 = fwhm2_const + fwhm2_slope E`` (keV^2, keV), tail
fraction, tail length (in Gaussian sigmas) and step (fraction of the area per keV)."""

PRIORS: dict[str, tuple[float, float]] = {
    "offset_kev": (0.0, 0.5),
    "gain": (0.0, 1e-3),
    "tail_fraction": (0.05, 0.2),
    "tail_length": (2.0, 3.0),
    "step": (0.0, 0.01),
}
"""Weak Gaussian priors (mean, standard deviation) on shape parameters, chosen for this
engine: a calibration good to half a keV and 0.1 % in gain, tails and steps of the
size germanium peaks show. The resolution terms get a prior of 30 % around the
measurement's resolution."""

_SHAPE_BOUNDS: dict[str, tuple[float, float]] = {
    "offset_kev": (-3.0, 3.0),
    "gain": (-0.01, 0.01),
    "fwhm2_const": (1e-4, 1e3),
    "fwhm2_slope": (0.0, 10.0),
    "tail_fraction": (0.0, 0.6),
    "tail_length": (0.3, 20.0),
    "step": (0.0, 0.05),
}
_GAIN_PIVOT_KEV = 500.0
_MAX_ITERATIONS = 80
_SHAPE_REFRESH = 1  # iterations between recomputations of the shape derivatives
_X_ITEM_FIRST_G_CM2 = 5.0
X_ITEM_SCAN_G_CM2: tuple[float, ...] = (0.5, 2.0, 6.0, 15.0, 40.0, 120.0)
"""Areal densities of the item (g/cm^2) at which the likelihood is profiled: from a thin
foil to a slab opaque at every fitted energy."""


@dataclass(frozen=True)
class FitLine:
    """One line of the fit.

    Parameters
    ----------
    nuclide
        The level it belongs to (``"U-238"`` for a Pa-234m line in equilibrium).
    energy_kev
        Energy (keV).
    probability
        Emission probability per decay of ``nuclide``.
    probability_sigma
        Its standard uncertainty; ``None`` when the evaluation states none.
    """

    nuclide: str
    energy_kev: float
    probability: float
    probability_sigma: float | None

    @property
    def tied(self) -> bool:
        """Whether the probability is known well enough to tie the line to the curve."""
        return (
            self.probability_sigma is not None
            and self.probability_sigma <= MAX_TIED_RELATIVE_UNCERTAINTY * self.probability
        )


@dataclass(frozen=True)
class IsotopicsSetup:
    """What one isotopics fit holds.

    Parameters
    ----------
    item
        Lines of the item's nuclides, keyed by level name.
    interferences
        Lines of interfering nuclides, keyed by level name.
    efficiency
        The relative-efficiency model.
    energy_range_kev
        Lines outside this range are not fitted (keV).
    region_low_fwhm, region_high_fwhm
        A line's region reaches this many FWHM below and above it.
    max_region_fwhm
        Longest region, in FWHM at its centre: a longer span of overlapping windows is
        cut at its widest gap between lines, so that each region's straight background
        stays a fair approximation of the continuum.
    """

    item: Mapping[str, tuple[FitLine, ...]]
    interferences: Mapping[str, tuple[FitLine, ...]]
    efficiency: EfficiencyModel
    energy_range_kev: tuple[float, float]
    region_low_fwhm: float = 5.0
    region_high_fwhm: float = 3.5
    max_region_fwhm: float = 16.0


@dataclass(frozen=True, eq=False)
class ProfilePoint:
    """The fit with the item's areal density held at ``x_item_g_cm2``.

    Attributes
    ----------
    x_item_g_cm2
        The areal density held (g/cm^2).
    objective_increase
        Its deviance plus prior penalty minus that of the best fit (>= 0 up to the
        shape held fixed): 1 marks one standard deviation of the profile likelihood.
    values
        The parameters at that point, in :attr:`IsotopicsFit.names` order.
    """

    x_item_g_cm2: float
    objective_increase: float
    values: FloatArray = field(repr=False)


@dataclass(frozen=True, eq=False)
class IsotopicsFit:
    """Result of :func:`fit_isotopics`.

    Attributes
    ----------
    names
        Names of all parameters (item levels first).
    values
        Fitted values.
    covariance
        Covariance of the parameters (zero rows and columns for those held at a
        bound), including the dispersion and the nuclear-data uncertainties.
    item_nuclides
        Level names of the item nuclides.
    deviance, chi2, ndof
        Poisson deviance, Pearson chi-square and degrees of freedom of the fit.
    dispersion
        ``max(1, chi2 / ndof)``, the factor applied to the statistical covariance.
    regions_kev
        The fitted regions (keV).
    lines
        The fitted lines.
    profile
        The fit redone at each areal density of :data:`X_ITEM_SCAN_G_CM2`.
    nuclide_counts
        Full-energy counts in each item nuclide's tied lines and their uncertainty.
    """

    names: tuple[str, ...]
    values: FloatArray = field(repr=False)
    covariance: FloatArray = field(repr=False)
    item_nuclides: tuple[str, ...]
    deviance: float
    chi2: float
    ndof: int
    dispersion: float
    regions_kev: tuple[tuple[float, float], ...]
    lines: tuple[FitLine, ...] = field(repr=False)
    profile: tuple[ProfilePoint, ...] = field(default=(), repr=False)
    nuclide_counts: Mapping[str, tuple[float, float]] = field(default_factory=dict, repr=False)

    def index(self, name: str) -> int:
        """Position of parameter ``name``."""
        return self.names.index(name)

    def level(self, nuclide: str) -> tuple[float, float]:
        """Level of ``nuclide`` and its standard uncertainty."""
        i = self.index(nuclide)
        return float(self.values[i]), math.sqrt(max(float(self.covariance[i, i]), 0.0))

    def parameter(self, name: str) -> float:
        """The fitted value of ``name``."""
        return float(self.values[self.index(name)])

    def level_covariance(self, a: str, b: str) -> FloatArray:
        """2x2 covariance of the levels of ``a`` and ``b``."""
        i, j = self.index(a), self.index(b)
        return np.asarray(self.covariance[np.ix_([i, j], [i, j])], dtype=np.float64)

    def significance(self, nuclide: str) -> float:
        """Counts in ``nuclide``'s tied lines over their uncertainty (standard deviations;
        0 when the uncertainty is 0): how clearly the nuclide is seen."""
        counts, sigma = self.nuclide_counts[nuclide]
        return counts / sigma if sigma > 0 else 0.0

    def level_ratio(self, numerator: str, denominator: str) -> tuple[float, float]:
        """``L_num / L_den`` and its first-order standard uncertainty (correlations
        included: the common factor the item's thickness puts on both cancels)."""
        a, b = self.level(numerator)[0], self.level(denominator)[0]
        if b == 0:
            return math.inf, math.inf
        cov = self.level_covariance(numerator, denominator)
        grad = np.array([1.0 / b, -a / b**2])
        return a / b, math.sqrt(max(float(grad @ cov @ grad), 0.0))

    def profile_spread(self, quantity: Callable[[FloatArray], float]) -> float:
        """Standard deviation of ``quantity`` over the item's areal density: a quarter of
        its range over the profile points within four (dispersion-scaled) units of the
        best objective, a two-sigma profile-likelihood interval, with the best fit."""
        limit = 4.0 * self.dispersion
        values = [quantity(self.values)] + [
            quantity(p.values) for p in self.profile if p.objective_increase <= limit
        ]
        finite = [v for v in values if math.isfinite(v)]
        return (max(finite) - min(finite)) / 4.0 if finite else 0.0


@dataclass(frozen=True, eq=False)
class _Region:
    edges_kev: FloatArray
    counts: FloatArray
    lines: IntArray


class _Problem:
    """The fixed parts of one fit: regions, lines, parameter layout."""

    def __init__(
        self,
        setup: IsotopicsSetup,
        edges_kev: FloatArray,
        counts: FloatArray,
        fwhm_kev: Callable[[float], float],
    ) -> None:
        e_lo = max(setup.energy_range_kev[0], float(edges_kev[0]) + 5.0)
        e_hi = min(setup.energy_range_kev[1], float(edges_kev[-1]) - 5.0)
        item_lines = [
            ln for name in setup.item for ln in setup.item[name] if e_lo <= ln.energy_kev <= e_hi
        ]
        measured = [
            name for name in setup.item if any(ln.tied and ln.nuclide == name for ln in item_lines)
        ]
        if not measured:
            raise InputError("no line of the item lies in the spectrum", where="energy range")
        # A nuclide without a tied line in range has no level: its lines are nuisances.
        item_lines = [
            ln
            if ln.nuclide in measured
            else FitLine(ln.nuclide, ln.energy_kev, ln.probability, None)
            for ln in item_lines
        ]

        def window(energy: float) -> tuple[float, float]:
            return (
                max(energy - setup.region_low_fwhm * fwhm_kev(energy), e_lo),
                min(energy + setup.region_high_fwhm * fwhm_kev(energy), e_hi),
            )

        windows = [window(ln.energy_kev) for ln in item_lines if ln.tied]
        tied_energies = np.asarray([ln.energy_kev for ln in item_lines])
        near = _overlapping(
            [ln for name in setup.interferences for ln in setup.interferences[name]],
            _merge(windows),
            fwhm_kev,
        )
        # An interfering nuclide enters only when its strongest line clear of the item's
        # lines is seen on its own; that line's region then fixes its level.
        present: list[str] = []
        anchor_lines: dict[str, float] = {}
        strong = {
            name: np.asarray([ln.energy_kev for ln in lines if ln.probability >= _STRONG])
            for name, lines in setup.interferences.items()
        }
        for name in sorted({ln.nuclide for ln in near}):
            others = [tied_energies, *(e for other, e in strong.items() if other != name)]
            anchor = _anchor(
                setup.interferences[name], np.concatenate(others), (e_lo, e_hi), fwhm_kev
            )
            if anchor is not None and _seen(anchor, edges_kev, counts, fwhm_kev):
                present.append(name)
                anchor_lines[name] = anchor.energy_kev
                windows.append(window(anchor.energy_kev))
                continue
            # No clear line, or only a weak one (Cs-137 has only 661.66 keV, beside
            # Am-241's 662.40 keV; U-235's 185.72 keV lies beside Ra-226's 186.21 keV):
            # the nuclide is in when a line of it stronger than the clear one stands out
            # beside the item's and the other nuclides' strong lines it overlaps, all
            # fitted together.
            weakest = anchor.probability if anchor is not None else 0.0
            strongest_first = sorted(
                (ln for ln in setup.interferences[name] if ln.probability > weakest),
                key=lambda ln: ln.probability,
                reverse=True,
            )
            neighbours = [
                *item_lines,
                *(
                    ln
                    for other, lines in setup.interferences.items()
                    if other != name
                    for ln in lines
                    if ln.probability >= _STRONG
                ),
            ]
            for ln in strongest_first:
                if ln.probability < _STRONG or not e_lo <= ln.energy_kev <= e_hi:
                    continue
                partners = _partners(ln, neighbours, fwhm_kev)
                if _seen(ln, edges_kev, counts, fwhm_kev, partners):
                    present.append(name)
                    anchor_lines[name] = ln.energy_kev
                    windows.append(window(ln.energy_kev))
                    break

        def _anchor_energy(name: str) -> tuple[str, float]:
            return name, anchor_lines[name]

        interference_lines = [ln for name in present for ln in setup.interferences[name]]
        spans = _split(
            _merge(windows),
            sorted({ln.energy_kev for ln in item_lines if ln.tied}),
            setup.max_region_fwhm,
            fwhm_kev,
        )
        reached = _overlapping(interference_lines, spans, fwhm_kev)
        tied = [ln for ln in item_lines if ln.tied]
        tied_at = np.asarray([ln.energy_kev for ln in tied])

        def coincident(ln: FitLine) -> bool:
            gap = float(np.min(np.abs(tied_at - ln.energy_kev)))
            return gap <= _COINCIDENT_FWHM * fwhm_kev(ln.energy_kev)

        anchors = {_anchor_energy(name) for name in present}
        # An interfering line on top of an item line shares its nuclide's level, fixed
        # by the anchor; any other is a free nuisance peak: background photons reach
        # the detector from everywhere, so no efficiency curve relates their lines.
        interfering = [
            ln for ln in reached if coincident(ln) or (ln.nuclide, ln.energy_kev) in anchors
        ]
        interference_names = sorted({ln.nuclide for ln in interfering})
        nuisance = [
            ln
            for ln in item_lines
            if not ln.tied and any(a <= ln.energy_kev <= b for a, b in spans)
        ]
        nuisance += [ln for ln in reached if ln not in interfering]
        lines = tied + interfering + nuisance
        self.item_names = tuple(measured)
        self.interference_names = tuple(interference_names)
        self.nuisance_names = tuple(f"{ln.nuclide}@{ln.energy_kev:g}" for ln in nuisance)
        self.level_names = (*self.item_names, *self.interference_names, *self.nuisance_names)
        self.n_levels = len(self.level_names)
        self.lines = tuple(lines)
        self.energies = np.asarray([ln.energy_kev for ln in lines], dtype=np.float64)
        n_shared = len(tied) + len(interfering)
        self.probabilities = np.asarray(
            [ln.probability if k < n_shared else 1.0 for k, ln in enumerate(lines)],
            dtype=np.float64,
        )
        self.relative_sigmas = np.asarray(
            [
                (ln.probability_sigma or 0.0) / ln.probability if k < n_shared else 0.0
                for k, ln in enumerate(lines)
            ],
            dtype=np.float64,
        )
        member = [self.item_names.index(ln.nuclide) for ln in tied]
        member += [
            len(self.item_names) + interference_names.index(ln.nuclide) for ln in interfering
        ]
        member += [len(self.item_names) + len(interference_names) + k for k in range(len(nuisance))]
        self.member = np.asarray(member, dtype=np.intp)
        self.kind = np.asarray([0] * len(tied) + [1] * len(interfering) + [2] * len(nuisance))
        self.regions: list[_Region] = []
        for a, b in spans:
            lo = max(int(np.searchsorted(edges_kev, a, side="right")) - 1, 0)
            hi = min(int(np.searchsorted(edges_kev, b, side="left")), counts.size)
            if hi - lo < 6:
                continue
            reach_lo = float(edges_kev[lo]) - 6.0 * fwhm_kev(float(edges_kev[lo]))
            reach_hi = float(edges_kev[hi]) + 3.0 * fwhm_kev(float(edges_kev[hi]))
            inside = np.flatnonzero((self.energies >= reach_lo) & (self.energies <= reach_hi))
            self.regions.append(
                _Region(edges_kev[lo : hi + 1], counts[lo:hi], inside.astype(np.intp))
            )
        if not self.regions:
            raise InputError("no region to fit in the spectrum", where="energy range")
        self.counts = np.concatenate([r.counts for r in self.regions])
        self.efficiency = setup.efficiency
        self.attenuation = setup.efficiency.attenuation_table(self.energies)
        n_eff = len(setup.efficiency.names)
        self.eff_slice = slice(self.n_levels, self.n_levels + n_eff)
        self.shape_slice = slice(self.eff_slice.stop, self.eff_slice.stop + len(SHAPE_NAMES))
        n_bg = 2 * len(self.regions)
        self.bg_slice = slice(self.shape_slice.stop, self.shape_slice.stop + n_bg)
        # One factor (1 + d_k) per line with a stated emission-probability uncertainty,
        # d_k ~ N(0, sigma_k / p_k): the nuclear data enter the fit as what they are,
        # measured values, so that a line of a million counts cannot force the curve
        # beyond the precision of its own emission probability.
        self.data_lines = np.flatnonzero(self.relative_sigmas > 0).astype(np.intp)
        self.data_slice = slice(self.bg_slice.stop, self.bg_slice.stop + self.data_lines.size)
        self._data_index = np.full(len(lines), -1, dtype=np.intp)
        self._data_index[self.data_lines] = np.arange(self.data_lines.size)
        self.names = (
            *self.level_names,
            *setup.efficiency.names,
            *SHAPE_NAMES,
            *(f"bg{r}_{end}" for r in range(len(self.regions)) for end in ("lo", "hi")),
            *(f"p:{lines[k].nuclide}@{lines[k].energy_kev:g}" for k in self.data_lines),
        )
        self._points()
        self._by_level = self._scatter(self.member, self.n_levels)
        self._by_data_line = self._scatter(self._data_index, self.data_lines.size)
        rows = self.counts.size
        self.bg_design = np.zeros((rows, n_bg))
        start = 0
        for k, r in enumerate(self.regions):
            t = np.linspace(0.0, 1.0, r.counts.size)
            self.bg_design[start : start + t.size, 2 * k] = 1.0 - t
            self.bg_design[start : start + t.size, 2 * k + 1] = t
            start += t.size

    def _points(self) -> None:
        """Index arrays that evaluate every (region, line) column in one vectorised
        call: the channel edges of each region, once per line that reaches it."""
        edges, lines, first, rows, cols = [], [], [], [], []
        n_points, row0 = 0, 0
        for r in self.regions:
            n = r.counts.size
            for k in r.lines:
                edges.append(r.edges_kev)
                lines.append(np.full(n + 1, k, dtype=np.intp))
                first.append(np.arange(n_points, n_points + n, dtype=np.intp))
                rows.append(np.arange(row0, row0 + n, dtype=np.intp))
                cols.append(np.full(n, k, dtype=np.intp))
                n_points += n + 1
            row0 += n
        empty = np.zeros(0, dtype=np.intp)
        self._pt_edge = np.concatenate(edges) if edges else np.zeros(0)
        self._pt_line = np.concatenate(lines) if lines else empty
        self._pt_first = np.concatenate(first) if first else empty
        self._pt_row = np.concatenate(rows) if rows else empty
        self._pt_col = np.concatenate(cols) if cols else empty
        # The pairs in column-major order, for the sparse shape matrix.
        self._pt_order = np.lexsort((self._pt_row, self._pt_col))
        self._pt_indptr = np.concatenate(
            ([0], np.cumsum(np.bincount(self._pt_col, minlength=len(self.energies))))
        )
        self._sorted_row = self._pt_row[self._pt_order]
        self._sorted_col = self._pt_col[self._pt_order]

    def _columns(self, shape: FloatArray, *, derivatives: bool) -> tuple[FloatArray, ...]:
        """Per channel and line (flattened over the pairs): counts per unit area, and
        with ``derivatives`` their derivatives by centroid, sigma, tail fraction, tail
        length and step; plus the sigma of each line."""
        offset, gain, w0, w1, eta, tail, step = (float(v) for v in shape)
        e = self.energies
        centroids = e + offset + gain * (e - _GAIN_PIVOT_KEV)
        sigmas = np.sqrt(np.maximum(w0 + w1 * e, 1e-6)) / _FWHM_PER_SIGMA
        line = self._pt_line
        values = cumulative(
            self._pt_edge - centroids[line],
            sigmas[line],
            PeakShape(eta, tail, step),
            derivatives=derivatives,
        )
        lo, hi = self._pt_first, self._pt_first + 1
        return (*(v[hi] - v[lo] for v in values), sigmas)

    @property
    def regions_kev(self) -> tuple[tuple[float, float], ...]:
        return tuple((float(r.edges_kev[0]), float(r.edges_kev[-1])) for r in self.regions)

    def shape_matrix(self, shape: FloatArray) -> ShapeMatrix:
        """Counts per channel (rows) per unit area of each line (columns): peak + step,
        sparse (a line reaches only the channels of its region)."""
        counts, _ = self._columns(shape, derivatives=False)
        return sparse.csc_array(
            (counts[self._pt_order], self._sorted_row, self._pt_indptr),
            shape=(self.counts.size, self.energies.size),
        )

    def shape_derivatives(self, shape: FloatArray, area: FloatArray) -> FloatArray:
        """``d mu / d shape`` (channels x :data:`SHAPE_NAMES`) for line areas ``area``,
        from the exact derivatives of the peak shape."""
        _, d_c, d_sigma, d_eta, d_k, d_step, sigmas = self._columns(shape, derivatives=True)
        e = self.energies
        col, row = self._pt_col, self._pt_row
        a = area[col]
        dsigma_dq = 1.0 / (2.0 * _FWHM_PER_SIGMA**2 * sigmas[col])  # per (w0 + w1 E)
        per_pair = (
            d_c * a,
            d_c * a * (e[col] - _GAIN_PIVOT_KEV),
            d_sigma * a * dsigma_dq,
            d_sigma * a * dsigma_dq * e[col],
            d_eta * a,
            d_k * a,
            d_step * a,
        )
        out = np.zeros((self.counts.size, len(SHAPE_NAMES)))
        for j, values in enumerate(per_pair):
            out[:, j] = np.bincount(row, weights=values, minlength=self.counts.size)
        return out

    def areas(self, theta: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Line areas, their derivatives by the efficiency parameters, and the area per
        unit level of each line."""
        eff_theta = theta[self.eff_slice]
        log_item, jac_item = self.efficiency.log_efficiency(eff_theta, self.attenuation)
        # Interfering lines follow the untilted detector shape: they come from other
        # places than the item, and must not bend the item's curve.
        log_det = self.attenuation.detector
        log_eff = np.where(self.kind == 0, log_item, np.where(self.kind == 1, log_det, 0.0))
        jac = np.where((self.kind == 0)[:, None], jac_item, 0.0)
        factor = np.ones(self.energies.size)
        factor[self.data_lines] += theta[self.data_slice]
        unit = self.probabilities * factor * np.exp(log_eff)
        area = theta[: self.n_levels][self.member] * unit
        return area, area[:, None] * jac, unit

    def moved_to_thickness(self, theta: FloatArray, x_item: float) -> FloatArray:
        """``theta`` with the item's areal density set to ``x_item`` and each item
        level scaled so that its lines keep their summed area."""
        moved = theta.copy()
        ix = self.eff_slice.start + self.efficiency.names.index("x_item")
        moved[ix] = x_item
        _, _, unit_before = self.areas(theta)
        _, _, unit_after = self.areas(moved)
        for k in range(len(self.item_names)):
            own = (self.member == k) & (self.kind == 0)
            after = float(np.sum(unit_after[own]))
            if after > 0:
                moved[k] = theta[k] * float(np.sum(unit_before[own])) / after
        return moved

    def model(self, theta: FloatArray, g: ShapeMatrix) -> FloatArray:
        """Expected counts per fitted channel for the shape matrix ``g``."""
        area, _, _ = self.areas(theta)
        return np.asarray(g @ area + self.bg_design @ theta[self.bg_slice], dtype=np.float64)

    def jacobian(
        self,
        theta: FloatArray,
        g: ShapeMatrix,
        shape_columns: FloatArray | None,
        *,
        data_columns: bool = True,
    ) -> tuple[FloatArray, FloatArray]:
        """``d mu / d theta`` and the shape columns used, all exact; the shape columns
        are reused from ``shape_columns`` when given, and the emission-probability
        columns left at zero unless ``data_columns``."""
        area, darea_eff, unit = self.areas(theta)
        jac = np.zeros((self.counts.size, theta.size))
        jac[:, : self.n_levels] = self.level_columns(g, unit)
        jac[:, self.eff_slice] = g @ darea_eff
        if shape_columns is None:
            shape_columns = self.shape_derivatives(theta[self.shape_slice], area)
        jac[:, self.shape_slice] = shape_columns
        jac[:, self.bg_slice] = self.bg_design
        if data_columns and self.data_lines.size:
            k = self.data_lines
            per_line = np.zeros(self.energies.size)
            per_line[k] = area[k] / (1.0 + theta[self.data_slice])
            jac[:, self.data_slice] = self._grouped(g, per_line, self._by_data_line)
        return jac, shape_columns

    def level_columns(self, g: ShapeMatrix, unit: FloatArray) -> FloatArray:
        """``d mu / d level`` (channels x levels) for the area per unit level ``unit``."""
        return self._grouped(g, unit, self._by_level)

    def _scatter(self, group: IntArray, n_groups: int) -> _Scatter:
        """Where each (channel, line) entry of the shape matrix lands when its lines are
        summed by ``group`` (lines of group -1 left out); fixed for the problem."""
        keep = group[self._sorted_col] >= 0
        cols = self._sorted_col[keep]
        return _Scatter(keep, self._sorted_row[keep] * n_groups + group[cols], cols, n_groups)

    def _grouped(self, g: ShapeMatrix, weight: FloatArray, scatter: _Scatter) -> FloatArray:
        """``sum_l g[:, l] * weight[l]`` over the lines ``l`` of each group (channels x
        groups)."""
        n = scatter.n_groups
        values = np.bincount(
            scatter.flat,
            weights=g.data[scatter.keep] * weight[scatter.cols],
            minlength=self.counts.size * n,
        )
        return np.asarray(values, dtype=np.float64).reshape(self.counts.size, n)


class _Scatter(NamedTuple):
    """Precomputed indices of :meth:`_Problem._grouped`."""

    keep: npt.NDArray[np.bool_]
    flat: IntArray
    cols: IntArray
    n_groups: int


_ANCHOR_CLEARANCE_FWHM = 2.0
_COINCIDENT_FWHM = 0.5
_STRONG = 0.005  # an interfering line this probable can fake another nuclide's anchor
_ANCHOR_MIN_SIGMA = 3.0
_BESIDE_MIN_SIGMA = 5.0
_BESIDE_SHAPE_FRACTION = 0.02  # of a neighbour's area that a Gaussian may misplace


def _anchor(
    lines: Sequence[FitLine],
    avoid: FloatArray,
    energy_range: tuple[float, float],
    fwhm_kev: Callable[[float], float],
) -> FitLine | None:
    """The most probable line in range more than two FWHM from ``avoid`` (keV): the
    item's lines and the strong lines of the other interfering nuclides."""
    clear = [
        ln
        for ln in lines
        if energy_range[0] <= ln.energy_kev <= energy_range[1]
        and (
            avoid.size == 0
            or float(np.min(np.abs(avoid - ln.energy_kev)))
            > _ANCHOR_CLEARANCE_FWHM * fwhm_kev(ln.energy_kev)
        )
    ]
    return max(clear, key=lambda ln: ln.probability) if clear else None


def _partners(
    line: FitLine, lines: Sequence[FitLine], fwhm_kev: Callable[[float], float]
) -> tuple[FitLine, ...]:
    """The ``lines`` within :data:`_ANCHOR_CLEARANCE_FWHM` of ``line`` (one per energy)."""
    reach = _ANCHOR_CLEARANCE_FWHM * fwhm_kev(line.energy_kev)
    found: dict[float, FitLine] = {}
    for ln in lines:
        if abs(ln.energy_kev - line.energy_kev) <= reach and ln.energy_kev != line.energy_kev:
            found.setdefault(round(ln.energy_kev, 2), ln)
    return tuple(found.values())


def _seen(
    line: FitLine,
    edges_kev: FloatArray,
    counts: FloatArray,
    fwhm_kev: Callable[[float], float],
    beside: Sequence[FitLine] = (),
) -> bool:
    """Whether ``line`` stands out above a straight background: a Gaussian of the
    measurement's width at the line's energy (and one at each of ``beside``, the item
    lines it overlaps), areas and background fitted by least squares with Poisson
    weights; seen at :data:`_ANCHOR_MIN_SIGMA`, or :data:`_BESIDE_MIN_SIGMA` beside item
    lines, which the positions alone tell apart."""
    width = fwhm_kev(line.energy_kev)
    energies = [line.energy_kev, *(ln.energy_kev for ln in beside)]
    lo = max(int(np.searchsorted(edges_kev, min(energies) - 3.0 * width)) - 1, 0)
    hi = min(int(np.searchsorted(edges_kev, max(energies) + 3.0 * width)), counts.size)
    if hi - lo < 6:
        return False
    sigma = width / _FWHM_PER_SIGMA
    columns = []
    for energy in energies:
        z = (edges_kev[lo : hi + 1] - energy) / sigma
        columns.append(np.diff(0.5 * (1.0 + np.vectorize(math.erf)(z / math.sqrt(2.0)))))
    t = np.linspace(0.0, 1.0, hi - lo)
    design = np.column_stack([*columns, 1.0 - t, t])
    n = counts[lo:hi]
    w = 1.0 / np.maximum(n, 1.0)
    normal = design.T @ (design * w[:, None])
    try:
        cov = np.linalg.inv(normal)
    except np.linalg.LinAlgError:
        return False
    areas = cov @ (design.T @ (w * n))
    variance = max(float(cov[0, 0]), 0.0)
    if not beside:
        return float(areas[0]) > _ANCHOR_MIN_SIGMA * math.sqrt(variance)
    # Gaussians of fixed width only approximate the real peaks (tails, a calibration a
    # fraction of a channel off): a part of each neighbour's area can land on the line.
    shape_error = _BESIDE_SHAPE_FRACTION * float(np.sum(np.abs(areas[1 : len(energies)])))
    return float(areas[0]) > _BESIDE_MIN_SIGMA * math.sqrt(variance + shape_error**2)


def _merge(windows: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    spans: list[tuple[float, float]] = []
    for a, b in sorted(windows):
        if spans and a <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], b))
        else:
            spans.append((a, b))
    return spans


def _split(
    spans: Sequence[tuple[float, float]],
    energies: Sequence[float],
    max_fwhm: float,
    fwhm_kev: Callable[[float], float],
) -> list[tuple[float, float]]:
    """Cut spans longer than ``max_fwhm`` FWHM at their widest gap between lines."""
    out: list[tuple[float, float]] = []
    todo = list(spans)
    while todo:
        a, b = todo.pop(0)
        inside = [e for e in energies if a < e < b]
        if b - a <= max_fwhm * fwhm_kev(0.5 * (a + b)) or len(inside) < 2:
            out.append((a, b))
            continue
        _, i = max((inside[i + 1] - inside[i], i) for i in range(len(inside) - 1))
        cut = 0.5 * (inside[i] + inside[i + 1])
        todo[:0] = [(a, cut), (cut, b)]
    return sorted(out)


def _overlapping(
    lines: Sequence[FitLine],
    spans: Sequence[tuple[float, float]],
    fwhm_kev: Callable[[float], float],
) -> list[FitLine]:
    out = []
    for ln in lines:
        reach = 2.0 * fwhm_kev(ln.energy_kev)
        if any(a - reach <= ln.energy_kev <= b + reach for a, b in spans):
            out.append(ln)
    return out


def fit_isotopics(
    counts: FloatArray,
    edges_kev: FloatArray,
    setup: IsotopicsSetup,
    *,
    fwhm_noise_kev: float,
    fwhm_fano_kev: float,
    nuclear_data_uncertainty: bool = True,
) -> IsotopicsFit:
    """Fit the item's and the interfering nuclides' levels with one efficiency curve.

    Parameters
    ----------
    counts
        Counts per channel of the whole spectrum.
    edges_kev
        Energies of the channel edges (keV), one more than ``counts``.
    setup
        Lines, interferences, efficiency model and energy range.
    fwhm_noise_kev, fwhm_fano_kev
        Starting resolution ``FWHM^2 = a^2 + c E`` (keV, keV); the fit refines it.
    nuclear_data_uncertainty
        Let each tied line's emission probability vary within its stated uncertainty
        (a parameter with a Gaussian prior); ``False`` holds them at their values.

    Raises
    ------
    InputError
        When no line of the item lies in the spectrum, or the fit is singular.
    """
    a2, c = fwhm_noise_kev**2, fwhm_fano_kev

    def fwhm(energy_kev: float) -> float:
        return math.sqrt(a2 + c * energy_kev)

    prob = _Problem(setup, edges_kev, np.asarray(counts, dtype=np.float64), fwhm)
    lo, hi = _bounds(prob)
    if not nuclear_data_uncertainty:
        lo[prob.data_slice] = hi[prob.data_slice] = 0.0
    prior_mean, prior_sigma = _priors(prob, a2, c)
    theta = np.clip(_start(prob, a2, c), lo, hi)
    # An emission probability matters only where its uncertainty is not small beside
    # the line's counting statistics (rel * A > sqrt(A) / 2); the others stay at
    # their tabulated values, which saves a parameter per weak line.
    start_area, _, _ = prob.areas(theta)
    rel = prob.relative_sigmas[prob.data_lines]
    negligible = np.abs(start_area[prob.data_lines]) < 0.25 / rel**2
    lo[prob.data_slice] = np.where(negligible, 0.0, lo[prob.data_slice])
    hi[prob.data_slice] = np.where(negligible, 0.0, hi[prob.data_slice])
    theta[prob.eff_slice] = prob.efficiency.start(_X_ITEM_FIRST_G_CM2)
    # Levels, efficiency and backgrounds first, the peak shape and the emission
    # probabilities held (a few cheap steps); then everything.
    lo_h, hi_h = lo.copy(), hi.copy()
    for held in (prob.shape_slice, prob.data_slice):
        lo_h[held] = hi_h[held] = theta[held]
    rough = _minimise(
        prob, theta, lo_h, hi_h, prior_mean, prior_sigma, fixed_shape=True, tolerance=1e-4
    )
    first = _minimise(prob, rough[1].copy(), lo, hi, prior_mean, prior_sigma)
    # Profile in the item's areal density, the peak shape and the emission
    # probabilities held at the first fit's: the self-attenuation can leave the
    # likelihood flat, with shallow local minima. Each point starts from its neighbour
    # nearer the best fit, the item's levels rescaled for the new self-attenuation.
    ix = prob.eff_slice.start + prob.efficiency.names.index("x_item")
    x_best = float(first[1][ix])
    scan_at: dict[float, tuple[float, FloatArray]] = {}
    below = sorted((x for x in X_ITEM_SCAN_G_CM2 if x < x_best), reverse=True)
    above = sorted(x for x in X_ITEM_SCAN_G_CM2 if x >= x_best)
    for side in (below, above):
        previous = first[1]
        for x_item in side:
            lo_x, hi_x = lo.copy(), hi.copy()
            for held in (prob.shape_slice, prob.data_slice):
                lo_x[held] = hi_x[held] = first[1][held]
            lo_x[ix] = hi_x[ix] = x_item
            start = prob.moved_to_thickness(previous, x_item)
            found = _minimise(prob, start, lo_x, hi_x, prior_mean, prior_sigma, fixed_shape=True)
            scan_at[x_item] = (found[0], found[1])
            previous = found[1]
    # Every point is fitted: on Pu239_Shielded a thin-item minimum (0.4 g/cm^2) and a
    # thick one (120 g/cm^2), 48 lower, lie either side of a barrier of 180.
    scanned = list(X_ITEM_SCAN_G_CM2)
    scan = [scan_at[x] for x in scanned]
    lowest = min(range(len(scan)), key=lambda k: scan[k][0])
    best = first
    if scan[lowest][0] < first[0]:
        polished = _minimise(prob, scan[lowest][1].copy(), lo, hi, prior_mean, prior_sigma)
        if polished[0] < first[0]:
            best = polished
    _, theta, mu, g, jac = best
    profile = tuple(
        ProfilePoint(scanned[k], value - best[0], values) for k, (value, values) in enumerate(scan)
    )
    return _result(prob, theta, mu, g, jac, lo, hi, prior_sigma, profile)


def _minimise(
    prob: _Problem,
    theta: FloatArray,
    lo: FloatArray,
    hi: FloatArray,
    prior_mean: FloatArray,
    prior_sigma: FloatArray,
    *,
    fixed_shape: bool = False,
    tolerance: float = 1e-6,
) -> tuple[float, FloatArray, FloatArray, ShapeMatrix, FloatArray]:
    """Levenberg-Marquardt Fisher scoring on deviance + prior penalty, bounds projected.

    With ``fixed_shape`` the peak shape is held (its bounds must pin it) and its
    derivatives are never computed. The fit stops when a step lowers the objective by
    less than ``tolerance`` of it. Returns the objective, parameters, expected counts,
    shape matrix and Jacobian.
    """
    zero_shape = np.zeros((prob.counts.size, len(SHAPE_NAMES))) if fixed_shape else None
    n = prob.counts
    has_prior = np.isfinite(prior_sigma)
    weight = np.where(has_prior, 1.0 / np.where(has_prior, prior_sigma, 1.0) ** 2, 0.0)

    def objective(mu: FloatArray, t: FloatArray) -> float:
        pos = n > 0
        dev = 2.0 * (np.sum(mu - n) + np.sum(n[pos] * np.log(n[pos] / mu[pos])))
        return float(dev + np.sum(weight * (t - prior_mean) ** 2))

    g = prob.shape_matrix(theta[prob.shape_slice])
    mu = np.maximum(prob.model(theta, g), 1e-9)
    value = objective(mu, theta)
    movable = lo < hi  # parameters pinned by their bounds take no part in the steps
    with_data = bool(np.any(movable[prob.data_slice]))
    jac, shape_cols = prob.jacobian(theta, g, zero_shape, data_columns=with_data)
    lam = 1e-3
    since_refresh = 0
    for _ in range(_MAX_ITERATIONS):
        root = np.sqrt(mu)
        scaled = jac[:, movable] / root[:, None]
        grad = scaled.T @ ((n - mu) / root) - (weight * (theta - prior_mean))[movable]
        fisher = scaled.T @ scaled + np.diag(weight[movable])
        t_m, lo_m, hi_m = theta[movable], lo[movable], hi[movable]
        free = ~(((t_m <= lo_m) & (grad < 0)) | ((t_m >= hi_m) & (grad > 0)))
        f = fisher[np.ix_(free, free)]
        step_m = np.zeros(int(movable.sum()))
        try:
            step_m[free] = np.linalg.solve(f + lam * np.diag(np.diag(f) + 1e-12), grad[free])
        except np.linalg.LinAlgError as exc:
            raise InputError("the isotopics fit is singular", where="isotopics") from exc
        step = np.zeros_like(theta)
        step[movable] = step_m
        trial = np.clip(theta + step, lo, hi)
        moved_shape = bool(np.any(trial[prob.shape_slice] != theta[prob.shape_slice]))
        g_t = prob.shape_matrix(trial[prob.shape_slice]) if moved_shape else g
        mu_t = np.maximum(prob.model(trial, g_t), 1e-9)
        value_t = objective(mu_t, trial)
        if value_t <= value:
            done = value - value_t < tolerance * max(value, 1.0)
            theta, mu, g, value = trial, mu_t, g_t, value_t
            lam = max(lam / 10.0, 1e-9)
            since_refresh += 1
            refresh = (since_refresh >= _SHAPE_REFRESH or done) and zero_shape is None
            jac, shape_cols = prob.jacobian(
                theta, g, None if refresh else shape_cols, data_columns=with_data
            )
            if refresh:
                since_refresh = 0
            if done:
                break
        elif since_refresh and zero_shape is None:
            # A stale shape derivative may be why the step failed: refresh it first.
            jac, shape_cols = prob.jacobian(theta, g, None, data_columns=with_data)
            since_refresh = 0
        else:
            lam *= 10.0
            if lam > 1e8:
                break
    return value, theta, mu, g, jac


def _bounds(prob: _Problem) -> tuple[FloatArray, FloatArray]:
    k = len(prob.names)
    lo = np.full(k, -np.inf)
    hi = np.full(k, np.inf)
    lo[len(prob.item_names) : prob.n_levels] = 0.0
    lo[prob.eff_slice], hi[prob.eff_slice] = prob.efficiency.bounds()
    for j, name in enumerate(SHAPE_NAMES):
        lo[prob.shape_slice.start + j], hi[prob.shape_slice.start + j] = _SHAPE_BOUNDS[name]
    lo[prob.bg_slice] = 0.0
    lo[prob.data_slice] = -0.9
    return lo, hi


def _priors(prob: _Problem, a2: float, c: float) -> tuple[FloatArray, FloatArray]:
    k = len(prob.names)
    mean = np.zeros(k)
    sigma = np.full(k, np.inf)
    mean[prob.eff_slice], sigma[prob.eff_slice] = prob.efficiency.priors()
    for j, name in enumerate(SHAPE_NAMES):
        if name in PRIORS:
            mean[prob.shape_slice.start + j], sigma[prob.shape_slice.start + j] = PRIORS[name]
    i0 = prob.shape_slice.start + SHAPE_NAMES.index("fwhm2_const")
    i1 = prob.shape_slice.start + SHAPE_NAMES.index("fwhm2_slope")
    mean[i0], sigma[i0] = a2, 0.3 * max(a2, 0.05)
    mean[i1], sigma[i1] = c, 0.3 * max(c, 1e-4)
    sigma[prob.data_slice] = prob.relative_sigmas[prob.data_lines]
    return mean, sigma


def _start(prob: _Problem, a2: float, c: float) -> FloatArray:
    """Start: efficiency and shape at their defaults, levels and backgrounds from a
    linear Poisson fit (iteratively reweighted least squares) with those held fixed."""
    theta = np.zeros(len(prob.names))
    theta[prob.eff_slice] = prob.efficiency.start()
    theta[prob.shape_slice] = [0.0, 0.0, a2, c, PRIORS["tail_fraction"][0], 2.0, 0.0]
    g = prob.shape_matrix(theta[prob.shape_slice])
    theta[: prob.n_levels] = 1.0
    _, _, unit = prob.areas(theta)
    design = np.hstack([prob.level_columns(g, unit), prob.bg_design])
    n = prob.counts
    mu = np.maximum(n, 1.0)
    linear = np.zeros(design.shape[1])
    floor = np.zeros(design.shape[1], dtype=bool)
    floor[len(prob.item_names) :] = True
    for _ in range(6):
        w = 1.0 / mu
        normal = design.T @ (design * w[:, None])
        normal += 1e-9 * np.diag(np.diag(normal) + 1.0)
        linear = np.linalg.solve(normal, design.T @ (w * n))
        linear[floor] = np.maximum(linear[floor], 0.0)
        mu = np.maximum(design @ linear, 1e-3)
    theta[: prob.n_levels] = linear[: prob.n_levels]
    theta[prob.bg_slice] = linear[prob.n_levels :]
    return theta


def _result(
    prob: _Problem,
    theta: FloatArray,
    mu: FloatArray,
    g: ShapeMatrix,
    jac: FloatArray,
    lo: FloatArray,
    hi: FloatArray,
    prior_sigma: FloatArray,
    profile: tuple[ProfilePoint, ...],
) -> IsotopicsFit:
    n = prob.counts
    has_prior = np.isfinite(prior_sigma)
    weight = np.where(has_prior, 1.0 / np.where(has_prior, prior_sigma, 1.0) ** 2, 0.0)
    fisher = jac.T @ (jac / mu[:, None]) + np.diag(weight)
    free = ~((theta <= lo) | (theta >= hi))
    cov = np.zeros((theta.size, theta.size))
    try:
        cov_free = np.linalg.inv(fisher[np.ix_(free, free)])
    except np.linalg.LinAlgError as exc:
        raise InputError("the isotopics fit is singular", where="isotopics") from exc
    ndof = max(n.size - int(free.sum()), 1)
    chi2 = float(np.sum((n - mu) ** 2 / mu))
    dispersion = max(1.0, chi2 / ndof)
    cov[np.ix_(free, free)] = cov_free * dispersion
    pos = n > 0
    deviance = float(2.0 * (np.sum(mu - n) + np.sum(n[pos] * np.log(n[pos] / mu[pos]))))
    # Counts in each item nuclide's tied lines, with their uncertainty: the level alone
    # trades off against the item's thickness, the counts do not.
    area, darea_eff, unit = prob.areas(theta)
    nuclide_counts: dict[str, tuple[float, float]] = {}
    for k, name in enumerate(prob.item_names):
        own = (prob.member == k) & (prob.kind == 0)
        grad = np.zeros(theta.size)
        grad[k] = float(np.sum(unit[own]))
        grad[prob.eff_slice] = np.sum(darea_eff[own], axis=0)
        for j, line in enumerate(prob.data_lines):
            if own[line]:
                grad[prob.data_slice.start + j] = area[line] / (
                    1.0 + theta[prob.data_slice.start + j]
                )
        total = float(np.sum(area[own]))
        nuclide_counts[name] = (total, math.sqrt(max(float(grad @ cov @ grad), 0.0)))
    return IsotopicsFit(
        names=prob.names,
        values=np.asarray(theta, dtype=np.float64),
        covariance=np.asarray(cov, dtype=np.float64),
        item_nuclides=prob.item_names,
        deviance=deviance,
        chi2=chi2,
        ndof=ndof,
        dispersion=dispersion,
        regions_kev=prob.regions_kev,
        lines=prob.lines,
        profile=profile,
        nuclide_counts=nuclide_counts,
    )
