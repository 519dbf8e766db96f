"""The gamma spectrum model: counts per channel, acquisition times and energy calibration.

A :class:`Spectrum` is immutable. Its counts are sensitive measurement data that stay
behind the information barrier, so neither its ``repr`` nor any error message it raises
shows them: they name the spectrum's ``source`` (a display name such as the file name)
and the rule that was broken.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt

from treatyverify.errors import InputError

__all__ = ["Spectrum"]

FloatArray = npt.NDArray[np.float64]


def _frozen_copy(values: npt.ArrayLike, *, what: str, where: str) -> FloatArray:
    """Return a read-only one-dimensional float64 copy of ``values``."""
    try:
        array = np.array(values, dtype=np.float64, copy=True)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{what} are not numbers", where=where) from exc
    if array.ndim != 1:
        raise InputError(f"{what} must be one-dimensional", where=where)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False, kw_only=True)
class Spectrum:
    """One gamma spectrum: counts per channel with its live and real times.

    Parameters
    ----------
    counts
        Counts per channel (dimensionless), one value per channel; finite and never
        negative. Stored as a read-only float64 copy.
    live_time_s
        Live time in seconds: finite and > 0.
    real_time_s
        Real (clock) time in seconds: finite and >= ``live_time_s``.
    channel_edges_kev
        Energy calibration as the channel edges in keV: ``n_channels + 1`` strictly
        increasing values, entry ``i`` being the lower edge of channel ``i`` and the last
        one the upper edge of the last channel. ``None`` when uncalibrated.
    source
        Display name of where the spectrum came from (for example the file name); used
        in messages. Never contains counts.
    title
        Free-text title from the file (may be empty).
    start_time
        Acquisition start as a timezone-aware datetime, or ``None`` when unknown.

    Raises
    ------
    InputError
        Naming ``source``, when a field breaks one of the rules above.
    """

    counts: FloatArray
    live_time_s: float
    real_time_s: float
    channel_edges_kev: FloatArray | None = None
    source: str = "spectrum"
    title: str = ""
    start_time: datetime | None = field(default=None)

    def __post_init__(self) -> None:
        where = self.source
        counts = _frozen_copy(self.counts, what="counts", where=where)
        if counts.size == 0:
            raise InputError("spectrum has no channels", where=where)
        if not np.all(np.isfinite(counts)):
            raise InputError("counts contain NaN or infinite values", where=where)
        if np.any(counts < 0):
            raise InputError("counts contain negative values", where=where)
        object.__setattr__(self, "counts", counts)

        live, real = (
            _as_float(self.live_time_s, "live time", where),
            _as_float(self.real_time_s, "real time", where),
        )
        if not math.isfinite(live) or live <= 0.0:
            raise InputError("live time must be finite and > 0 s", where=where)
        if not math.isfinite(real):
            raise InputError("real time must be finite", where=where)
        if live > real:
            raise InputError("live time must not be longer than real time", where=where)
        object.__setattr__(self, "live_time_s", live)
        object.__setattr__(self, "real_time_s", real)

        if self.channel_edges_kev is not None:
            edges = _frozen_copy(self.channel_edges_kev, what="channel edges", where=where)
            _check_edges(edges, counts.size, where)
            object.__setattr__(self, "channel_edges_kev", edges)

        if self.start_time is not None and (
            not isinstance(self.start_time, datetime) or self.start_time.utcoffset() is None
        ):
            raise InputError("start time must be a timezone-aware datetime", where=where)

    def __repr__(self) -> str:
        # Never show counts: they are sensitive measurement data.
        return (
            f"Spectrum(source={self.source!r}, n_channels={self.n_channels}, "
            f"live_time_s={self.live_time_s:g})"
        )

    @property
    def n_channels(self) -> int:
        """Number of channels."""
        return int(self.counts.size)

    @property
    def calibrated(self) -> bool:
        """Whether the spectrum has an energy calibration."""
        return self.channel_edges_kev is not None

    @property
    def energies_kev(self) -> FloatArray:
        """Energies of the channel centres in keV.

        Raises
        ------
        InputError
            When the spectrum is not energy-calibrated.
        """
        edges = self.channel_edges_kev
        if edges is None:
            raise InputError("spectrum is not energy-calibrated", where=self.source)
        centres: FloatArray = 0.5 * (edges[:-1] + edges[1:])
        return centres

    @property
    def uncertainties(self) -> FloatArray:
        """Poisson standard uncertainty of the counts per channel, √N.

        A channel with zero counts gets an uncertainty of 1 count (not 0), so that
        least-squares weights stay finite; fits that need the exact Poisson law should
        use a Poisson likelihood on ``counts`` instead.
        """
        sigma: FloatArray = np.sqrt(self.counts)
        sigma[self.counts == 0] = 1.0
        return sigma

    @property
    def count_rate(self) -> FloatArray:
        """Counts per channel divided by the live time, in counts per second."""
        rate: FloatArray = self.counts / self.live_time_s
        return rate

    @property
    def total_counts(self) -> float:
        """Sum of the counts over all channels."""
        return float(self.counts.sum())

    def rebinned(self, factor: int) -> Spectrum:
        """Sum groups of ``factor`` adjacent channels into one.

        Parameters
        ----------
        factor
            Number of adjacent channels per new channel (>= 1). When it does not divide
            the channel count, the last new channel holds the remaining channels, so no
            counts are lost.

        Returns
        -------
        Spectrum
            A new spectrum with ``ceil(n_channels / factor)`` channels, the same times,
            and the matching channel edges (keV) when calibrated.
        """
        if isinstance(factor, bool) or not isinstance(factor, int) or factor < 1:
            raise InputError(
                f"rebinning factor must be a positive integer, got {factor!r}", where=self.source
            )
        starts = np.arange(0, self.n_channels, factor)
        counts = np.add.reduceat(self.counts, starts)
        edges = None
        if self.channel_edges_kev is not None:
            edges = np.append(self.channel_edges_kev[starts], self.channel_edges_kev[-1])
        return dataclasses.replace(self, counts=counts, channel_edges_kev=edges)

    def with_calibration(self, channel_edges_kev: npt.ArrayLike | None) -> Spectrum:
        """Return a copy with another energy calibration.

        Parameters
        ----------
        channel_edges_kev
            ``n_channels + 1`` strictly increasing channel edges in keV, or ``None`` to
            drop the calibration.
        """
        edges = None
        if channel_edges_kev is not None:
            edges = _frozen_copy(channel_edges_kev, what="channel edges", where=self.source)
        return dataclasses.replace(self, channel_edges_kev=edges)


def _as_float(value: object, what: str, where: str) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise InputError(f"{what} is not a number", where=where) from exc


def _check_edges(edges: FloatArray, n_channels: int, where: str) -> None:
    if edges.size != n_channels + 1:
        raise InputError(
            "energy calibration needs as many channel edges as channels plus one",
            where=where,
        )
    if not np.all(np.isfinite(edges)):
        raise InputError("channel edges contain NaN or infinite values", where=where)
    if np.any(np.diff(edges) <= 0):
        raise InputError("channel edges are not strictly increasing", where=where)
