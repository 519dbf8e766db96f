"""Phase identification: the phase a measured slowness belongs to, and its distances.

Method
------
**Phase identification.** The slowness (s/degree, ``s/km * 6371 pi / 180``; 6371
km is the radius of the iasp91 and ak135 models, Kennett & Engdahl 1991, *Geophys. J. Int.*
105, 429-465, https://doi.org/10.1111/j.1365-246X.1991.tb06724.x) is compared with the
ray parameter of the first arriving P (the travel-time table of
:mod:`treatyverify.monitoring.seismic.traveltime`, TauP) at an assumed source depth: the
distances where the two agree within ``z`` standard errors (``z = 1.645``, a two-sided
90 % interval) are the distance range of the event and the closest agreement its
distance. Only distances beyond the one where the first arrival's slowness peaks are
searched: for a deep source the up-going rays to nearby stations are steep as well, and
would otherwise offer a second, near-source solution for a teleseismic slowness. Slowness
below that of P at 95 degrees is compared with every branch of the core phases PKIKP,
PKiKP and PKP (TauP, 110-180 degrees in 1 degree steps); slower than any P (S, Lg,
surface waves, noise) is left unidentified and not located. Later phases (pP, PcP, ScP,
and S on a vertical element) are not told apart from first arrivals: each detection is
identified on its own, without association with an earlier one. The phase is named
after TauP's first arrival at that distance (``Pg``, ``Pn``, ``P``); distances below
20 degrees are "regional".
"""

from __future__ import annotations

import contextlib
import io
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from treatyverify.errors import InputError
from treatyverify.monitoring.seismic.array.geometry import FloatArray

#: Two-sided 90 % quantile of the standard normal distribution (1.6449).
Z90 = 1.6448536269514722
#: Regional distances end here, degrees: a label only (this module's choice, the lower end
#: of the 20-105 degree range of IDC mb in magnitude.MB_DISTANCE_DEG); nothing depends on it.
REGIONAL_MAX_DEG = 20.0


@dataclass(frozen=True)
class PhaseIdentification:
    """The phase a slowness belongs to, and the distances it allows.

    Attributes
    ----------
    phase
        TauP name of the phase (``"Pg"``, ``"Pn"``, ``"P"``, ``"PKIKP"``), or
        ``"unidentified"``.
    kind
        ``"regional P"``, ``"teleseismic P"``, ``"PKP"`` or ``"unidentified"``.
    distance_deg
        Distance at which the phase has the measured slowness, degrees (``None`` when
        unidentified).
    distance_range_deg
        Distances whose slowness agrees within ``z`` standard errors, degrees.
    travel_time_s
        Travel time of the phase at ``distance_deg``, s.
    predicted_slowness_s_deg
        Slowness of the phase at ``distance_deg``, s/degree.
    depth_km
        Source depth assumed, km.
    model
        Earth model.
    """

    phase: str
    kind: str
    distance_deg: float | None
    distance_range_deg: tuple[float, float] | None
    travel_time_s: float | None
    predicted_slowness_s_deg: float | None
    depth_km: float
    model: str

    @property
    def identified(self) -> bool:
        """Whether a phase (and so a distance) was found."""
        return self.distance_deg is not None


#: Core phases compared with slowness below that of P at 95 degrees (TauP names).
CORE_PHASES: tuple[str, ...] = ("PKIKP", "PKiKP", "PKP")


@lru_cache(maxsize=8)
def _core_points(
    model: str, depth_km: float
) -> tuple[FloatArray, FloatArray, FloatArray, tuple[str, ...]]:
    """Every branch of the core phases from TauP, 110-180 degrees in 1 degree steps:
    distance (deg), slowness (s/deg), time (s) and TauP name of each arrival."""
    from obspy.taup import TauPyModel

    taup = TauPyModel(model)
    rows: list[tuple[float, float, float]] = []
    names: list[str] = []
    for d in np.arange(110.0, 180.01, 1.0):
        for a in taup.get_travel_times(
            source_depth_in_km=depth_km, distance_in_degree=float(d), phase_list=list(CORE_PHASES)
        ):
            rows.append((float(d), float(a.ray_param_sec_degree), float(a.time)))
            names.append(str(a.name))
    table = np.array(rows, dtype=np.float64).reshape(-1, 3)
    return table[:, 0], table[:, 1], table[:, 2], tuple(names)


def _crossings(dist: FloatArray, resid: FloatArray) -> FloatArray:
    """Distances where a piecewise-linear ``resid(dist)`` is zero."""
    i = np.flatnonzero(resid[:-1] * resid[1:] <= 0.0)
    den = resid[i] - resid[i + 1]
    frac = np.where(den != 0.0, resid[i] / np.where(den != 0.0, den, 1.0), 0.0)
    out: FloatArray = dist[i] + (dist[i + 1] - dist[i]) * frac
    return out


def _match(
    dist: FloatArray, slow: FloatArray, target: float, tol: float
) -> tuple[float, tuple[float, float]] | None:
    """Distance where the curve ``slow(dist)`` (linear between nodes) equals ``target``,
    and the range of distances where it lies within ``tol`` of it."""
    resid = slow - target
    exact = _crossings(dist, resid)
    inside = dist[np.abs(resid) <= tol]
    bounds = np.concatenate(
        [exact, inside, _crossings(dist, resid - tol), _crossings(dist, resid + tol)]
    )
    if exact.size == 0 and inside.size == 0:
        return None
    if exact.size:
        nearest = float(dist[int(np.argmin(np.abs(resid)))])
        best = float(exact[int(np.argmin(np.abs(exact - nearest)))])
    else:
        best = float(dist[int(np.argmin(np.abs(resid)))])
    return best, (float(bounds.min()), float(bounds.max()))


def identify_phase(
    slowness_s_deg: float,
    slowness_sigma_s_deg: float,
    *,
    depth_km: float = 0.0,
    model: str = "iasp91",
    z: float = Z90,
) -> PhaseIdentification:
    """Identify the phase of a measured slowness and the distances it implies (TauP).

    Parameters
    ----------
    slowness_s_deg
        Measured horizontal slowness, s/degree.
    slowness_sigma_s_deg
        Its standard error, s/degree.
    depth_km
        Assumed source depth, km (0-700).
    model
        Earth model, ``"iasp91"`` or ``"ak135"``.
    z
        Standard errors within which slowness counts as agreeing (default: 90 %).
    """
    from obspy.taup import TauPyModel

    from treatyverify.monitoring.seismic.traveltime import DEFAULT_PHASES, load_table

    if not (math.isfinite(slowness_s_deg) and slowness_s_deg >= 0.0):
        raise InputError("slowness must be a finite non-negative number", where="slowness")
    if not 0.0 <= depth_km <= 700.0:
        raise InputError("assumed depth must lie in 0-700 km", where="depth_km")
    tol = max(z * slowness_sigma_s_deg, 1e-3)
    table = load_table(model)
    dist = table.distances_deg
    _, slow, _ = table.derivatives(dist, depth_km)
    # Beyond the distance where the first arrival's slowness peaks: nearer, the up-going
    # rays of a deep source leave the array steeply too and would alias teleseismic P.
    peak = int(np.argmax(slow))
    dist, slow = dist[peak:], slow[peak:]
    found = _match(dist, slow, slowness_s_deg, tol)
    if found is not None:
        d, rng = found
        with contextlib.redirect_stdout(io.StringIO()):  # TauP prints that it skips Pb
            arrivals = TauPyModel(model).get_travel_times(
                source_depth_in_km=depth_km, distance_in_degree=d, phase_list=list(DEFAULT_PHASES)
            )
        name = str(arrivals[0].name) if arrivals else "P"
        t, p, _ = table.derivatives(d, depth_km)
        kind = "regional P" if d < REGIONAL_MAX_DEG else "teleseismic P"
        return PhaseIdentification(name, kind, d, rng, float(t), float(p), depth_km, model)
    if slowness_s_deg < float(slow.min()):
        kd, ks, kt, names = _core_points(model, float(depth_km))
        near = np.abs(ks - slowness_s_deg) <= tol
        if near.any():
            i = int(np.argmin(np.abs(ks - slowness_s_deg)))
            return PhaseIdentification(
                names[i],
                "PKP",
                float(kd[i]),
                (float(kd[near].min()), float(kd[near].max())),
                float(kt[i]),
                float(ks[i]),
                depth_km,
                model,
            )
    return PhaseIdentification(
        "unidentified", "unidentified", None, None, None, None, depth_km, model
    )
