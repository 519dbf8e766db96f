"""Network magnitudes: station magnitudes of one type combined.

Network magnitude (:func:`network_magnitude`): the median of the computed station
magnitudes, with standard error ``sqrt(pi/2) * s / sqrt(n)`` (the large-sample standard
error of the median of a normal sample, s the sample standard deviation), or, on request,
the mean with ``s / sqrt(n)``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from treatyverify.errors import InputError
from treatyverify.monitoring.seismic.magnitude.formulas import MagnitudeKind
from treatyverify.monitoring.seismic.magnitude.station import StationMagnitude


@dataclass(frozen=True)
class NetworkMagnitude:
    """A network magnitude from station magnitudes.

    Parameters
    ----------
    kind
        Magnitude type.
    value
        Network magnitude, or ``None`` when no station magnitude was computed.
    stderr
        Standard error (``nan`` with one station, ``None`` with none).
    n_stations
        Station magnitudes used.
    method
        ``"median"`` or ``"mean"``.
    stations
        All station magnitudes given, computed or not.
    """

    kind: MagnitudeKind
    value: float | None
    stderr: float | None
    n_stations: int
    method: str
    stations: tuple[StationMagnitude, ...]

    @property
    def status(self) -> str:
        """``"computed"`` or why not."""
        if self.value is not None:
            return "computed"
        reasons = sorted({s.status for s in self.stations}) or ["not computed: no stations"]
        return "not computed: " + "; ".join(r.removeprefix("not computed: ") for r in reasons)


def network_magnitude(
    stations: Iterable[StationMagnitude],
    kind: MagnitudeKind | None = None,
    *,
    method: Literal["median", "mean"] = "median",
) -> NetworkMagnitude:
    """Combine station magnitudes of one type into a network magnitude.

    Parameters
    ----------
    stations
        Station magnitudes (those not computed are kept in the result, not used).
    kind
        Magnitude type; taken from the first station magnitude when omitted.
    method
        ``"median"`` (standard error ``sqrt(pi/2) s/sqrt(n)``) or ``"mean"`` (``s/sqrt(n)``).
    """
    given: Sequence[StationMagnitude] = tuple(stations)
    if kind is None:
        if not given:
            raise InputError("no station magnitudes and no magnitude type", where="kind")
        kind = given[0].kind
    if any(s.kind != kind for s in given):
        raise InputError(f"station magnitudes of another type than {kind}", where="stations")
    values = np.array([s.value for s in given if s.value is not None], dtype=np.float64)
    n = int(values.size)
    if n == 0:
        return NetworkMagnitude(kind, None, None, 0, method, tuple(given))
    centre = float(np.median(values)) if method == "median" else float(values.mean())
    if n == 1:
        return NetworkMagnitude(kind, centre, math.nan, 1, method, tuple(given))
    s = float(values.std(ddof=1)) / math.sqrt(n)
    stderr = s * math.sqrt(math.pi / 2.0) if method == "median" else s
    return NetworkMagnitude(kind, centre, stderr, n, method, tuple(given))
