"""Align a candidate spectrum's energy scale to a template's: offset and gain drift.

A template comparison assumes that the template and the candidate were recorded with
the same detector and the same energy scale. A real instrument drifts between the two
measurements: its zero (offset) and its gain change with temperature, so the same line
falls a fraction of a channel away, or several channels at the top of a 16k spectrum.
At millions of counts a quarter of a channel is enough to fail a genuine item. This
module measures that drift and takes it out before the comparison.

Model. Channel ``i`` spans ``[i, i + 1)``. A line at continuous channel ``x_t`` of the
template lies at ``x_c = offset + (1 + gain_change) x_t`` in the candidate.

Fit, on the positions of the strong peaks:

1. The template is searched for peaks (:func:`~treatyverify.methods.gamma.peaks.find_peaks`,
   the filter tuned to the width that gives the most significant peak); the strongest
   :data:`MAX_PEAKS` of at least :data:`MIN_PEAK_SIGNIFICANCE` are used.
2. For each, the candidate's coarse displacement is the whole-channel lag that maximises
   the correlation of the two peak profiles (each less a straight baseline), searched
   over twice the largest accepted drift, so that a drift beyond the limit is measured
   and not clipped to it.
3. In both spectra the peak is fitted alone (a Gaussian integrated over each channel on
   a straight background, by Poisson maximum likelihood with Fisher scoring) over the same
   window relative to the peak. The difference of the two centroids is the local
   displacement; its variance is the sum of the two centroid variances (inverse Fisher
   information). The line shape need not be Gaussian: both spectra share it, so the error
   of the model cancels in the difference.
4. The displacements are fitted with ``offset + gain_change x_t`` by weighted least
   squares with a Gaussian prior on each parameter whose standard deviation is its
   largest accepted value. With strong peaks the prior does nothing; with none (a
   spectrum of continuum alone) the correction stays at zero, where a drift that the data
   cannot measure cannot move the comparison either. The effective number of fitted
   parameters (the trace of the hat matrix, 0 to 2) is kept: the comparison subtracts it
   from its degrees of freedom. One pass drops displacements more than
   :data:`OUTLIER_SIGMA` from the line.

Limits. :data:`MAX_OFFSET_CHANNELS` and :data:`MAX_GAIN_CHANGE` bound the correction that
is accepted as instrument drift. A fitted correction beyond either is not applied: the
comparison fails with the reason ``"drift-beyond-limit"``.

Rebinning. The two spectra are put on a common grid of unit channels halfway between
their scales, ``u = x_t + d(x_t) / 2`` with ``d = x_c - x_t``, each channel's counts split
among the grid channels it overlaps. Two choices keep the comparison exact:

- The split is binomial (each count goes to a grid channel with the probability of its
  overlap), not proportional. By the thinning property of the Poisson law the regridded
  channels are then again independent Poisson counts; a proportional split would give
  neighbouring channels shared counts (correlated, and with less than Poisson variance),
  which the comparison's chi-square would not know about. The draws come from a generator
  seeded by a hash of the two spectra, so the verdict is a function of the data alone and
  every party re-running it gets the same one.
- Both spectra move by half the drift, in opposite directions, so that both are split at
  the same fraction of a channel. Assuming counts spread evenly over a channel smooths a
  peak by an amount that grows with ``f (1 - f)`` at split fraction ``f``; moving only the
  candidate would smooth it and not the template, a difference of up to a quarter of a
  per cent of a peak channel's counts, which at a quarter of a million counts per channel
  is a standard deviation. Split symmetrically, the two are smoothed alike.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import special

from treatyverify.errors import InputError
from treatyverify.methods.gamma.peaks import find_peaks

__all__ = [
    "IDENTITY",
    "MAX_GAIN_CHANGE",
    "MAX_OFFSET_CHANNELS",
    "Alignment",
    "align_counts",
    "drifted_expectation",
    "fit_alignment",
]

FloatArray = NDArray[np.float64]

MAX_OFFSET_CHANNELS = 2.0
"""Largest accepted zero (offset) drift, channels. Notional: the zero of a spectroscopy
chain moves by a fraction of a channel with temperature; two channels also covers the
quarter-channel shifts that the centroid accuracy of an HPGe peak already allows (about a
tenth of the FWHM, 1.4e-4 of the energy at 1333 keV: J. Brutscher, "Behavior of the MCA
166 at different temperatures and gain settings and limits of centroid accuracy", GBS
Elektronik application note, 2001). A treaty that wants another bound passes its own."""
MAX_GAIN_CHANGE = 1.0e-3
"""Largest accepted relative gain drift (dimensionless). Notional: ten times the
1.4e-4 centroid accuracy of the same note, enough for an uncontrolled temperature change
of several kelvin of a chain drifting by tens of parts per million per kelvin, and far
below the gain change (about 1e-2) that would move a line by a FWHM over 1 MeV on an HPGe."""
BEYOND_SIGMA = 3.0
"""A fitted drift is beyond a limit when it exceeds it by more than this many of its
standard deviations (one-sided normal tail 0.13 %)."""
MIN_PEAK_SIGNIFICANCE = 10.0
"""Peaks used for the alignment: at least this significant in the template's search."""
MAX_PEAKS = 24
"""At most this many peaks, the most significant first."""
WINDOW_FWHM = 2.0
"""Each peak is fitted over its centre +- this many FWHM."""
OUTLIER_SIGMA = 5.0
"""The displacement furthest from the fitted line, when further than this many standard
deviations, is dropped and the line fitted again, until none is (a peak of the template
that the candidate shows blended otherwise)."""
_SEARCH_FWHM_CH = 6.0
"""Width (FWHM, channels) of the first peak search; the search is repeated at the width of
the most significant peak found, and each peak's own width is measured at half height."""
_MAX_WIDTH_CH = 400
"""Widest peak (channels) measured."""
_MAX_BROADENING = 3.0
"""A peak wider than this many times the width of the most significant one is a broad
structure (an efficiency turn-on, a Compton edge, a blend), not a line: it is not used."""
_FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))


@dataclass(frozen=True)
class Alignment:
    """The candidate's energy scale relative to the template's (kept behind the barrier).

    Attributes
    ----------
    offset_channels
        Candidate channel of the template's channel 0 (channels).
    gain_change
        Relative gain change: ``x_c = offset_channels + (1 + gain_change) x_t``.
    offset_sigma, gain_sigma
        Standard uncertainties of the two (channels; dimensionless).
    peaks
        Number of peaks whose displacement was measured.
    parameters
        Effective number of fitted parameters (trace of the hat matrix, 0 to 2).
    max_offset_channels, max_gain_change
        The accepted limits the fit was judged against.
    """

    offset_channels: float
    gain_change: float
    offset_sigma: float
    gain_sigma: float
    peaks: int
    parameters: float
    max_offset_channels: float
    max_gain_change: float

    @property
    def within_limits(self) -> bool:
        """Whether the correction is one the limits accept as instrument drift.

        A fitted value counts as beyond its limit only when it exceeds it by more than
        :data:`BEYOND_SIGMA` standard deviations: a drift at the limit is then called
        beyond it by chance with a probability of about one in a thousand.
        """
        return (
            abs(self.offset_channels) <= self.max_offset_channels + BEYOND_SIGMA * self.offset_sigma
            and abs(self.gain_change) <= self.max_gain_change + BEYOND_SIGMA * self.gain_sigma
        )

    @property
    def is_identity(self) -> bool:
        """Whether no correction is applied (exactly zero offset and gain change)."""
        return self.offset_channels == 0.0 and self.gain_change == 0.0

    def candidate_channel(self, template_channel: FloatArray | float) -> FloatArray:
        """Continuous candidate channel of a template channel coordinate."""
        x = np.asarray(template_channel, dtype=np.float64)
        return np.asarray(self.offset_channels + (1.0 + self.gain_change) * x, np.float64)

    def template_channel(self, candidate_channel: FloatArray | float) -> FloatArray:
        """Continuous template channel of a candidate channel coordinate."""
        x = np.asarray(candidate_channel, dtype=np.float64)
        return np.asarray((x - self.offset_channels) / (1.0 + self.gain_change), np.float64)


IDENTITY = Alignment(0.0, 0.0, 0.0, 0.0, 0, 0.0, 0.0, 0.0)
"""No correction (what a comparison uses when both limits are zero)."""


def _check_limits(max_offset_channels: float, max_gain_change: float) -> None:
    for name, value in (
        ("max_offset_channels", max_offset_channels),
        ("max_gain_change", max_gain_change),
    ):
        if not math.isfinite(value) or value < 0.0:
            raise InputError("must be a finite number >= 0", where=name)
    if max_gain_change >= 0.5:
        raise InputError("must be well below 1 (a relative gain change)", where="max_gain_change")


def fit_alignment(
    template_counts: FloatArray,
    candidate_counts: FloatArray,
    *,
    max_offset_channels: float = MAX_OFFSET_CHANNELS,
    max_gain_change: float = MAX_GAIN_CHANGE,
) -> Alignment:
    """Fit the candidate's offset and gain drift relative to the template.

    Parameters
    ----------
    template_counts, candidate_counts
        Counts per channel (dimensionless) of the two spectra, same channel count.
    max_offset_channels
        Largest accepted offset (channels); also sets the prior and the search range.
    max_gain_change
        Largest accepted relative gain change (dimensionless).

    Returns
    -------
    Alignment
        The fitted correction; :data:`IDENTITY` when both limits are zero.

    Raises
    ------
    InputError
        Negative limits, or spectra of different channel counts.
    """
    _check_limits(max_offset_channels, max_gain_change)
    t = np.asarray(template_counts, dtype=np.float64)
    c = np.asarray(candidate_counts, dtype=np.float64)
    if t.shape != c.shape or t.ndim != 1:
        raise InputError("template and candidate differ in channel count", where="candidate")
    if max_offset_channels == 0.0 and max_gain_change == 0.0:
        return IDENTITY
    points = _peak_displacements(t, c, max_offset_channels, max_gain_change)
    x = np.array([p[0] for p in points], dtype=np.float64)
    s = np.array([p[1] for p in points], dtype=np.float64)
    v = np.array([p[2] for p in points], dtype=np.float64)
    # Parameters scaled by their limits: theta = (offset / O, gain / G), prior N(0, I).
    scale = np.array(
        [max(max_offset_channels, 1e-9), max(max_gain_change, 1e-12)], dtype=np.float64
    )
    keep = np.ones(x.size, dtype=bool)
    theta: FloatArray = np.zeros(2)
    cov: FloatArray = np.eye(2)
    info: FloatArray = np.zeros((2, 2))
    design = np.column_stack([np.ones(x.size), x]) * scale
    while True:
        w = np.where(keep, 1.0 / v, 0.0)
        info = design.T @ (design * w[:, None])
        cov = np.asarray(np.linalg.inv(info + np.eye(2)), dtype=np.float64)
        theta = cov @ (design.T @ (w * s))
        if np.sum(keep) <= 2:
            break
        residual = np.where(keep, np.abs(s - design @ theta) / np.sqrt(v), 0.0)
        worst = int(np.argmax(residual))
        if residual[worst] <= OUTLIER_SIGMA:
            break
        keep[worst] = False  # drop the worst displacement and fit again
    offset, gain = (float(theta[0] * scale[0]), float(theta[1] * scale[1]))
    parameters = float(np.trace(cov @ info))
    return Alignment(
        offset_channels=offset,
        gain_change=gain,
        offset_sigma=float(math.sqrt(cov[0, 0]) * scale[0]),
        gain_sigma=float(math.sqrt(cov[1, 1]) * scale[1]),
        peaks=int(np.sum(keep)),
        parameters=parameters,
        max_offset_channels=max_offset_channels,
        max_gain_change=max_gain_change,
    )


def _half_maximum_width(counts: FloatArray, channel: int) -> float | None:
    """FWHM (channels) of the peak whose top is near ``channel``, at half its height.

    The top is the largest count within two channels; the base is the smaller of the
    lowest counts found on each side before the counts rise again (a 3-channel running
    mean is used, so single-channel noise does not end the walk).
    """
    n = counts.size
    lo, hi = max(channel - 2, 0), min(channel + 3, n)
    top = lo + int(np.argmax(counts[lo:hi]))
    smooth = np.convolve(counts, np.ones(3) / 3.0, mode="same")

    def base(step: int) -> float:
        i, low = top, float(smooth[top])
        while 0 < i < n - 1 and abs(i - top) < _MAX_WIDTH_CH:
            i += step
            if smooth[i] < low:
                low = float(smooth[i])
            elif smooth[i] > low * 1.02 + 3.0 * math.sqrt(max(low, 1.0)) / math.sqrt(3.0):
                break
        return low

    floor = min(base(-1), base(1))
    half = floor + 0.5 * (float(smooth[top]) - floor)
    if not float(smooth[top]) > floor:
        return None
    edges: list[float] = []
    for step in (-1, 1):
        i = top
        while 0 < i < n - 1 and smooth[i] > half and abs(i - top) < _MAX_WIDTH_CH:
            i += step
        if smooth[i] > half:
            return None
        inner = i - step
        # Linear interpolation of the half-height crossing between i and inner.
        frac = (float(smooth[inner]) - half) / (float(smooth[inner]) - float(smooth[i]))
        edges.append(inner + step * frac)
    return edges[1] - edges[0]


def _peak_displacements(
    t: FloatArray, c: FloatArray, max_offset: float, max_gain: float
) -> list[tuple[float, float, float]]:
    """(template centroid, displacement, its variance) of each usable strong peak."""
    n = t.size
    # Tune the filter to the spectrum's own width: search with a narrow filter, measure
    # the most significant peak at half height, and search again at that width.
    width = _SEARCH_FWHM_CH
    search = None
    for _ in range(2):
        try:
            search = find_peaks(t, fwhm_ch=width, min_significance=MIN_PEAK_SIGNIFICANCE)
        except InputError:
            return []
        if not len(search):
            return []
        measured = _half_maximum_width(t, int(search.channels[np.argmax(search.significances)]))
        if measured is None or not 1.0 <= measured <= _MAX_WIDTH_CH / 4 or measured == width:
            break
        width = measured
    if search is None:
        return []
    order = np.argsort(search.significances)[::-1]
    out: list[tuple[float, float, float]] = []
    taken: list[tuple[int, int]] = []
    for index in order:
        if len(out) >= MAX_PEAKS:
            break
        channel = int(search.channels[index])
        fwhm = _half_maximum_width(t, channel)
        if fwhm is None or not 1.0 <= fwhm <= _MAX_BROADENING * width:
            continue  # no half-height crossing, or a broad structure rather than a line
        half = max(3, math.ceil(WINDOW_FWHM * fwhm))
        reach = math.ceil(2.0 * (max_offset + max_gain * channel)) + 2
        lo, hi = channel - half, channel + half + 1
        if lo - reach < 0 or hi + reach > n:
            continue
        if any(lo < taken_hi and taken_lo < hi for taken_lo, taken_hi in taken):
            continue  # overlaps the window of a stronger peak: the same structure
        taken.append((lo, hi))
        found = _displacement(t[lo - reach : hi + reach], c[lo - reach : hi + reach], reach, fwhm)
        if found is not None:
            out.append((float(channel), found[0], found[1]))
    return out


def _displacement(
    template_wide: FloatArray, candidate: FloatArray, reach: int, fwhm: float
) -> tuple[float, float] | None:
    """Displacement (channels) of the candidate's peak profile from the template's, and
    its variance.

    ``template_wide`` and ``candidate`` are the window around the peak widened by
    ``reach`` channels on each side. Two steps:

    1. Coarse: the whole-channel lag that maximises the correlation of the two profiles,
       each less one straight line through its window's end channels (fixed in channel
       coordinates, so that a lag moves the data and not the baseline).
    2. Fine: the estimating equation of a shift, ``sum_i g_i (r c_i(d) - t_i) / w_i = 0``,
       solved by Gauss-Newton steps (Lucas and Kanade, Proc. IJCAI 1981, 674). ``c(d)``
       and ``t(d)`` are the candidate moved back and the template moved forward by
       ``d / 2`` (cumulative counts interpolated linearly), ``r`` scales the candidate to
       the template's counts in the window, ``g`` is the
       slope of the template's profile smoothed by a Gaussian of a sixth of the FWHM
       (smoothed so that its noise does not pose as information), and ``w = (1 + r) t``
       (smoothed) the variance of each difference. The continuum cancels in the
       difference. Interpolating spreads each spectrum's counts by an amount that grows
       with ``f (1 - f)`` at the split fraction ``f``; moved by half the shift each way,
       both are split at the same fraction and spread alike, which keeps a lopsided peak
       (a tail, a neighbour) from pulling the solution. The variance is the inverse of
       ``sum g^2 / w``.

    ``None`` when the coarse lag lies on the edge of the searched lags, or the fine
    steps do not settle within the channel.
    """
    m = template_wide.size - 2 * reach
    ends = max(2, m // 8)
    position = np.arange(-reach, m + reach, dtype=np.float64)
    middle = (ends - 1) / 2.0, m - 1 - (ends - 1) / 2.0

    def line(values: FloatArray, start: int) -> FloatArray:
        # Straight line through the end means of values[start:start + m], over `position`.
        left = float(values[start : start + ends].mean())
        right = float(values[start + m - ends : start + m].mean())
        slope = (right - left) / (middle[1] - middle[0])
        return np.asarray(left + slope * (position - (start - reach) - middle[0]), np.float64)

    m = template_wide.size - 2 * reach
    a = template_wide[reach : reach + m] - line(template_wide, reach)[reach : reach + m]
    best = reach
    for _ in range(2):
        b = candidate - line(candidate, best)
        scores = np.lib.stride_tricks.sliding_window_view(b, m) @ a
        found = int(np.argmax(scores))
        if found == best:
            break
        best = found
    if best == 0 or best == 2 * reach:
        return None
    smoothing = max(fwhm / (6.0 * _FWHM_PER_SIGMA), 0.5)
    half = math.ceil(4.0 * smoothing)
    kernel = np.exp(-0.5 * (np.arange(-half, half + 1) / smoothing) ** 2)
    kernel /= kernel.sum()
    index = np.arange(template_wide.size + 1, dtype=np.float64)
    cum_t = np.concatenate([[0.0], np.cumsum(template_wide)])
    cum_c = np.concatenate([[0.0], np.cumsum(candidate)])
    grid = np.arange(m + 1, dtype=np.float64) + reach
    shift = float(best - reach)
    for _ in range(30):
        # Both spectra moved by half the shift, in opposite directions, so that both are
        # split at the same fraction of a channel and smoothed alike.
        moved_t = np.diff(np.interp(grid - 0.5 * shift, index, cum_t))
        moved_c = np.diff(np.interp(grid + 0.5 * shift, index, cum_c))
        total_t, total_c = float(moved_t.sum()), float(moved_c.sum())
        if total_c <= 0.0 or total_t <= 0.0:
            return None
        # The slope and the weights come from the moved template itself, so that its
        # noise meets the difference at the same position (where the odd slope filter
        # is blind to it) and does not pull the solution.
        padded = np.concatenate([np.full(half, moved_t[0]), moved_t, np.full(half, moved_t[-1])])
        smooth = np.convolve(padded, kernel, mode="valid")
        slope = np.gradient(smooth)
        ratio = total_t / total_c
        weight = 1.0 / ((1.0 + ratio) * np.maximum(smooth, 1.0))
        information = float(np.sum(slope**2 * weight))
        if not information > 0.0:
            return None
        step = float(np.sum(slope * (ratio * moved_c - moved_t) * weight)) / information
        shift -= step
        if abs(shift - (best - reach)) > 1.5:
            return None
        if abs(step) < 1e-5:
            return shift, 1.0 / information
    return None


def _grid_edges(n: int, alignment: Alignment) -> tuple[FloatArray, FloatArray]:
    """Channel edges of the template and the candidate on the common grid ``u``."""
    o, g = alignment.offset_channels, alignment.gain_change
    edges = np.arange(n + 1, dtype=np.float64)
    u_template = o / 2.0 + (1.0 + g / 2.0) * edges
    u_candidate = o / 2.0 + (1.0 + g / 2.0) * alignment.template_channel(edges)
    return u_template, u_candidate


def _thin(
    counts: FloatArray, edges_u: FloatArray, lo: int, hi: int, rng: np.random.Generator
) -> FloatArray:
    """Split each channel's counts binomially among the unit grid channels it overlaps.

    Grid channel ``k`` spans ``[k, k + 1)``; only grid channels ``lo <= k < hi`` are kept
    (counts falling outside are dropped, in both spectra alike). A source channel of
    width close to one overlaps at most three grid channels.
    """
    n = counts.size
    out = np.zeros(n, dtype=np.float64)
    a, b = edges_u[:-1], edges_u[1:]
    width = b - a
    k0 = np.floor(a)
    first = (np.minimum(k0 + 1.0, b) - a) / width
    second = np.clip(np.minimum(k0 + 2.0, b) - (k0 + 1.0), 0.0, None) / width
    total = counts.astype(np.int64)
    n0 = rng.binomial(total, np.clip(first, 0.0, 1.0))
    rest = total - n0
    share = np.divide(second, 1.0 - first, out=np.zeros_like(second), where=first < 1.0)
    n1 = rng.binomial(rest, np.clip(share, 0.0, 1.0))
    n2 = rest - n1
    base = k0.astype(np.int64)
    for offset, part in ((0, n0), (1, n1), (2, n2)):
        target = base + offset
        mask = (target >= lo) & (target < hi) & (part > 0)
        out += np.bincount(target[mask], weights=part[mask].astype(np.float64), minlength=n)[:n]
    return out


def _seed(*arrays: FloatArray) -> np.random.SeedSequence:
    """A seed drawn from a hash of the data, so the split is a function of the data."""
    digest = hashlib.blake2b(digest_size=16)
    for array in arrays:
        digest.update(np.ascontiguousarray(array, dtype=np.float64).tobytes())
    return np.random.SeedSequence(int.from_bytes(digest.digest(), "little"))


def align_counts(
    template_counts: FloatArray, candidate_counts: FloatArray, alignment: Alignment
) -> tuple[FloatArray, FloatArray]:
    """Both spectra on the common grid halfway between their energy scales.

    Every count is kept or dropped, never divided: each channel's counts are split
    binomially among the grid channels it overlaps (see the module docstring), so the
    results are independent Poisson counts per grid channel when the inputs are. Grid
    channels that either spectrum does not cover completely are empty in both.

    Parameters
    ----------
    template_counts, candidate_counts
        Whole counts per channel (dimensionless), same channel count.
    alignment
        The correction from :func:`fit_alignment`.

    Returns
    -------
    tuple
        Template and candidate counts on the grid (same length as the inputs); the
        inputs unchanged when the alignment is the identity.

    Raises
    ------
    InputError
        Counts that are not whole numbers (only whole counts can be split by a draw).
    """
    t = np.asarray(template_counts, dtype=np.float64)
    c = np.asarray(candidate_counts, dtype=np.float64)
    if alignment.is_identity:
        return t, c
    for name, counts in (("template", t), ("candidate", c)):
        if not np.all(counts == np.floor(counts)):
            raise InputError(
                "counts must be whole numbers to be put on a common energy scale", where=name
            )
    n = t.size
    u_t, u_c = _grid_edges(n, alignment)
    lo = math.ceil(max(u_t[0], u_c[0]))
    hi = math.floor(min(u_t[-1], u_c[-1]))
    rng = np.random.default_rng(_seed(t, c))
    return _thin(t, u_t, lo, hi, rng), _thin(c, u_c, lo, hi, rng)


def drifted_expectation(
    counts: FloatArray,
    *,
    offset_channels: float = 0.0,
    gain_change: float = 0.0,
    smoothing_ch: float = 1.5,
) -> FloatArray:
    """Expected counts per channel of a measured spectrum re-recorded with a drifted scale.

    For tests and benchmarks: it turns one measured (or reference) spectrum into the
    expected counts of the same item measured by an instrument whose channel ``x_c`` sees
    what the original saw at ``(x_c - offset_channels) / (1 + gain_change)``. The counts
    are spread evenly over each channel and smoothed by a Gaussian of standard deviation
    ``smoothing_ch`` (channels), which removes most of their Poisson noise, then integrated
    exactly over the drifted channels. With no drift the result is the same smoothing
    without any shift, so a template drawn from ``drifted_expectation(counts)`` and a
    candidate drawn from a drifted one differ by the drift alone; shifting the raw noisy
    counts by interpolation would instead smooth the candidate's noise and not the
    template's. The total is kept up to what is drifted past the spectrum's ends.

    Parameters
    ----------
    counts
        Counts per channel (dimensionless).
    offset_channels, gain_change
        The drift (channels; dimensionless), as in :class:`Alignment`.
    smoothing_ch
        Standard deviation of the smoothing (channels), > 0.
    """
    n_counts = np.asarray(counts, dtype=np.float64)
    if not (math.isfinite(smoothing_ch) and smoothing_ch > 0.0):
        raise InputError("must be a positive number of channels", where="smoothing_ch")
    drift = Alignment(offset_channels, gain_change, 0.0, 0.0, 0, 0.0, math.inf, math.inf)
    n = n_counts.size
    # Template coordinates of the drifted channel edges.
    edges = drift.template_channel(np.arange(n + 1, dtype=np.float64))
    reach = math.ceil(5.0 * smoothing_ch) + 2
    offsets = np.arange(-reach, reach + 1)

    def antiderivative(z: FloatArray) -> FloatArray:
        # Second antiderivative of the Gaussian density, so that G(z + 1) - G(z) is the
        # integral of a unit box smoothed by the Gaussian, up to z.
        r = z / smoothing_ch
        pdf = np.exp(-0.5 * r * r) / math.sqrt(2.0 * math.pi)
        return np.asarray(z * special.ndtr(r) + smoothing_ch * pdf, dtype=np.float64)

    def cumulative(position: FloatArray) -> FloatArray:
        # Smoothed counts below each position: sum_j n_j [G(x - j) - G(x - j - 1)].
        base = np.floor(position).astype(np.int64)
        j = base[:, None] + offsets[None, :]
        valid = (j >= 0) & (j < n)
        z = position[:, None] - j
        mass = antiderivative(z) - antiderivative(z - 1.0)
        below = np.where(valid, n_counts[np.clip(j, 0, n - 1)] * mass, 0.0).sum(axis=1)
        # Channels entirely below the window add their whole counts.
        prefix = np.concatenate([[0.0], np.cumsum(n_counts)])
        return np.asarray(below + prefix[np.clip(base - reach, 0, n)], dtype=np.float64)

    expected = np.diff(cumulative(edges))
    return np.asarray(np.maximum(expected, 0.0), dtype=np.float64)
