"""Travel-time tables of first-arriving P-type phases, precomputed with ObsPy TauP.

A :class:`TravelTimeTable` holds, on a grid of epicentral distance (degrees) and source
depth (km), the travel time of the first arriving P-type phase (TauP names ``p``, ``P``,
``Pn``, ``Pg``), its horizontal slowness dT/dDelta (the ray parameter, s/degree) and its
depth derivative dT/dh (s/km), the three quantities Geiger's method needs. Values between
grid nodes are interpolated bilinearly.

Tables are built from the sampled ray branches that :mod:`obspy.taup` computes for each
source depth (one depth correction per depth, then the earliest branch at every distance,
interpolating the ray parameter linearly in distance and integrating it for the time, as
TauP's own linear interpolation does), which agrees with
:meth:`obspy.taup.TauPyModel.get_travel_times` to about 0.02 s or better on the grid.
Building the default grid takes a few seconds; tables are cached on disk as ``.npz`` in
``$TREATYVERIFY_CACHE`` (else ``~/.cache/treatyverify``), keyed by model, phase list, grid
and ObsPy version, so a table is built once per machine.

``Pb`` is accepted in a phase list but the global models iasp91 and ak135 have no Conrad
discontinuity under that name, so TauP cannot form it and it is skipped there.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from treatyverify.errors import InputError
from treatyverify.files import write_atomically

__all__ = [
    "DEFAULT_DEPTHS_KM",
    "DEFAULT_DISTANCES_DEG",
    "DEFAULT_PHASES",
    "MODELS",
    "TravelTimeTable",
    "build_table",
    "cache_dir",
    "load_table",
]

FloatArray = npt.NDArray[np.float64]

#: Earth models offered (both ship with ObsPy TauP).
MODELS: tuple[str, ...] = ("iasp91", "ak135")

#: First-arriving P-type phases, as TauP names them (``p`` is the up-going ray).
DEFAULT_PHASES: tuple[str, ...] = ("p", "P", "Pn", "Pg", "Pb")

#: Distance grid (degrees): 0.025 degree steps to 25 degrees (regional distances, where
#: the Pg/Pn crossover makes kinks), then 0.25 degree steps to 95 degrees: beyond about
#: 95.6 degrees a source at 700 km depth is in the core shadow of direct P.
DEFAULT_DISTANCES_DEG: FloatArray = np.concatenate(
    [np.linspace(0.0, 25.0, 1001), np.linspace(25.25, 95.0, 280)]
)

#: Depth grid (km): 1 km steps through the crust to 40 km, 5 km to 100 km, 20 km to 700 km.
DEFAULT_DEPTHS_KM: FloatArray = np.concatenate(
    [np.arange(0.0, 41.0), np.arange(45.0, 101.0, 5.0), np.arange(120.0, 701.0, 20.0)]
)

_FORMAT_VERSION = "1"


def cache_dir() -> Path:
    """The directory of on-disk caches: ``$TREATYVERIFY_CACHE``, else ``~/.cache/treatyverify``."""
    env = os.environ.get("TREATYVERIFY_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "treatyverify"


@dataclass(frozen=True)
class TravelTimeTable:
    """First-arrival P travel times and their derivatives on a distance-depth grid.

    Parameters
    ----------
    model
        Earth model name (``"iasp91"`` or ``"ak135"``).
    phases
        TauP phase names whose earliest arrival the table holds.
    distances_deg
        Epicentral distances of the grid, degrees, increasing.
    depths_km
        Source depths of the grid, km, increasing.
    times_s
        Travel times, s, shape ``(len(distances_deg), len(depths_km))``.
    slowness_s_per_deg
        Horizontal slowness dT/dDelta of the first arrival, s/degree, same shape.
    dtdh_s_per_km
        Depth derivative dT/dh of the first arrival, s/km, same shape (negative for
        down-going rays: a deeper source is nearer the station along the ray).
    """

    model: str
    phases: tuple[str, ...]
    distances_deg: FloatArray
    depths_km: FloatArray
    times_s: FloatArray
    slowness_s_per_deg: FloatArray
    dtdh_s_per_km: FloatArray

    def _cells(
        self, distance_deg: npt.ArrayLike, depth_km: npt.ArrayLike
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], FloatArray, FloatArray, tuple[int, ...]]:
        d, h = np.broadcast_arrays(
            np.asarray(distance_deg, dtype=float), np.asarray(depth_km, dtype=float)
        )
        dg, hg = self.distances_deg, self.depths_km
        if d.size and (
            not np.all(np.isfinite(d))
            or not np.all(np.isfinite(h))
            or d.min() < dg[0]
            or d.max() > dg[-1]
            or h.min() < hg[0]
            or h.max() > hg[-1]
        ):
            raise InputError(
                f"distance must lie in [{dg[0]:g}, {dg[-1]:g}] degrees and depth in "
                f"[{hg[0]:g}, {hg[-1]:g}] km",
                where=f"travel-time table {self.model}",
            )
        i = np.clip(np.searchsorted(dg, d, side="right") - 1, 0, dg.size - 2)
        j = np.clip(np.searchsorted(hg, h, side="right") - 1, 0, hg.size - 2)
        u = (d - dg[i]) / (dg[i + 1] - dg[i])
        v = (h - hg[j]) / (hg[j + 1] - hg[j])
        return i, j, u, v, d.shape

    @staticmethod
    def _blend(
        grid: FloatArray,
        i: npt.NDArray[np.intp],
        j: npt.NDArray[np.intp],
        u: FloatArray,
        v: FloatArray,
    ) -> FloatArray:
        out: FloatArray = (1.0 - u) * ((1.0 - v) * grid[i, j] + v * grid[i, j + 1]) + u * (
            (1.0 - v) * grid[i + 1, j] + v * grid[i + 1, j + 1]
        )
        return out

    def time(self, distance_deg: npt.ArrayLike, depth_km: npt.ArrayLike) -> FloatArray:
        """Travel time of the first P-type arrival, s (bilinear, vectorised).

        Parameters
        ----------
        distance_deg
            Epicentral distance(s), degrees.
        depth_km
            Source depth(s), km; broadcast against ``distance_deg``.
        """
        i, j, u, v, shape = self._cells(distance_deg, depth_km)
        return self._blend(self.times_s, i, j, u, v).reshape(shape)

    def derivatives(
        self, distance_deg: npt.ArrayLike, depth_km: npt.ArrayLike
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Travel time (s), dT/dDelta (s/degree) and dT/dh (s/km), bilinearly interpolated.

        Parameters
        ----------
        distance_deg
            Epicentral distance(s), degrees.
        depth_km
            Source depth(s), km; broadcast against ``distance_deg``.
        """
        i, j, u, v, shape = self._cells(distance_deg, depth_km)
        return (
            self._blend(self.times_s, i, j, u, v).reshape(shape),
            self._blend(self.slowness_s_per_deg, i, j, u, v).reshape(shape),
            self._blend(self.dtdh_s_per_km, i, j, u, v).reshape(shape),
        )


def _earliest(
    phases: Sequence[object], distances_rad: FloatArray
) -> tuple[FloatArray, FloatArray, npt.NDArray[np.bool_]]:
    """Earliest time (s), ray parameter (s/rad) and up-going flag over TauP phase branches."""
    n = distances_rad.size
    best_t = np.full(n, np.inf)
    best_p = np.full(n, np.nan)
    upgoing = np.zeros(n, dtype=bool)
    rows = np.arange(n)
    for phase in phases:
        dist = np.asarray(getattr(phase, "dist"), dtype=float)  # noqa: B009
        time = np.asarray(getattr(phase, "time"), dtype=float)  # noqa: B009
        ray = np.asarray(getattr(phase, "ray_param"), dtype=float)  # noqa: B009
        if dist.size < 2:
            continue
        d0, d1 = dist[:-1], dist[1:]
        lo, hi = np.minimum(d0, d1), np.maximum(d0, d1)
        span = np.where(d1 != d0, d1 - d0, 1.0)
        x = distances_rad[:, None]
        inside = (x >= lo) & (x <= hi) & (hi > lo)
        frac = (x - d0) / span
        p = ray[:-1] + frac * (ray[1:] - ray[:-1])
        t = np.where(inside, time[:-1] + 0.5 * (ray[:-1] + p) * (x - d0), np.inf)
        k = np.argmin(t, axis=1)
        t_min = t[rows, k]
        better = t_min < best_t
        best_t = np.where(better, t_min, best_t)
        best_p = np.where(better, p[rows, k], best_p)
        is_up = str(getattr(phase, "name", "")).startswith("p")
        upgoing = np.where(better, is_up, upgoing)
    return best_t, best_p, upgoing


def build_table(
    model: str = "iasp91",
    phases: Sequence[str] = DEFAULT_PHASES,
    distances_deg: npt.ArrayLike = DEFAULT_DISTANCES_DEG,
    depths_km: npt.ArrayLike = DEFAULT_DEPTHS_KM,
) -> TravelTimeTable:
    """Compute a travel-time table with ObsPy TauP (no cache; see :func:`load_table`).

    Parameters
    ----------
    model
        Earth model, ``"iasp91"`` or ``"ak135"``.
    phases
        TauP phase names of the P-type phases considered; the earliest one is kept.
    distances_deg
        Increasing epicentral distances, degrees (0 to 180).
    depths_km
        Increasing source depths, km.
    """
    from obspy.taup import TauPyModel
    from obspy.taup.taup_time import TauPTime

    if model not in MODELS:
        raise InputError(f"unknown Earth model {model!r}; choose one of {', '.join(MODELS)}")
    dist = np.asarray(distances_deg, dtype=float)
    deps = np.asarray(depths_km, dtype=float)
    for name, grid in (("distances_deg", dist), ("depths_km", deps)):
        if grid.ndim != 1 or grid.size < 2 or np.any(np.diff(grid) <= 0):
            raise InputError("grid must be one-dimensional, increasing, of 2 or more", where=name)
    if dist[0] < 0.0 or dist[-1] > 180.0 or deps[0] < 0.0:
        raise InputError("distances must lie in [0, 180] degrees and depths be >= 0 km")
    taup = TauPyModel(model).model
    radius = float(taup.radius_of_planet)
    rad = np.radians(dist)
    times = np.empty((dist.size, deps.size))
    slow = np.empty_like(times)
    dtdh = np.empty_like(times)
    for j, depth in enumerate(deps):
        calc = TauPTime(taup, list(phases), float(depth), 0.0, 0.0)
        # TauP prints (not warns) when it cannot form a phase, such as Pb in iasp91.
        with contextlib.redirect_stdout(io.StringIO()):
            calc.depth_correct(float(depth), 0.0)
            calc.recalc_phases()
        t, p, up = _earliest(calc.phases, rad)
        if not np.all(np.isfinite(t)):
            raise InputError(
                f"no {'/'.join(phases)} arrival at some distances for depth {depth:g} km",
                where=f"travel-time table {model}",
            )
        v_mod = calc.depth_corrected_model.s_mod.v_mod
        v_below = float(v_mod.evaluate_below(float(depth), "P")[0])
        v_above = float(v_mod.evaluate_above(float(depth), "P")[0]) if depth > 0 else v_below
        v = np.where(up, v_above, v_below)
        horizontal = p / (radius - depth)  # s/km
        eta = np.sqrt(np.clip(1.0 / v**2 - horizontal**2, 0.0, None))
        times[:, j] = t
        slow[:, j] = p * np.pi / 180.0
        dtdh[:, j] = np.where(up, eta, -eta)
    return TravelTimeTable(
        model=model,
        phases=tuple(phases),
        distances_deg=dist,
        depths_km=deps,
        times_s=times,
        slowness_s_per_deg=slow,
        dtdh_s_per_km=dtdh,
    )


def _cache_path(
    directory: Path, model: str, phases: Sequence[str], dist: FloatArray, deps: FloatArray
) -> Path:
    import obspy

    digest = hashlib.sha256()
    digest.update(f"{_FORMAT_VERSION}|{model}|{','.join(phases)}|{obspy.__version__}|".encode())
    digest.update(np.ascontiguousarray(dist, dtype="<f8").tobytes())
    digest.update(b"|")
    digest.update(np.ascontiguousarray(deps, dtype="<f8").tobytes())
    return directory / f"traveltime-{model}-{digest.hexdigest()[:20]}.npz"


def load_table(
    model: str = "iasp91",
    phases: Sequence[str] = DEFAULT_PHASES,
    distances_deg: npt.ArrayLike = DEFAULT_DISTANCES_DEG,
    depths_km: npt.ArrayLike = DEFAULT_DEPTHS_KM,
    *,
    directory: Path | None = None,
) -> TravelTimeTable:
    """Load a travel-time table from the disk cache, building and caching it if absent.

    Parameters
    ----------
    model
        Earth model, ``"iasp91"`` or ``"ak135"``.
    phases
        TauP phase names of the P-type phases considered.
    distances_deg
        Increasing epicentral distances, degrees.
    depths_km
        Increasing source depths, km.
    directory
        Cache directory; default :func:`cache_dir`.
    """
    dist = np.asarray(distances_deg, dtype=float)
    deps = np.asarray(depths_km, dtype=float)
    folder = directory if directory is not None else cache_dir()
    path = _cache_path(folder, model, phases, dist, deps)
    if path.is_file():
        try:
            with np.load(path) as data:
                return TravelTimeTable(
                    model=model,
                    phases=tuple(phases),
                    distances_deg=np.asarray(data["distances_deg"], dtype=float),
                    depths_km=np.asarray(data["depths_km"], dtype=float),
                    times_s=np.asarray(data["times_s"], dtype=float),
                    slowness_s_per_deg=np.asarray(data["slowness_s_per_deg"], dtype=float),
                    dtdh_s_per_km=np.asarray(data["dtdh_s_per_km"], dtype=float),
                )
        except (OSError, KeyError, ValueError):
            pass  # a truncated or foreign file: rebuild it below
    table = build_table(model, phases, dist, deps)
    buffer = io.BytesIO()
    np.savez(
        buffer,
        distances_deg=table.distances_deg,
        depths_km=table.depths_km,
        times_s=table.times_s,
        slowness_s_per_deg=table.slowness_s_per_deg,
        dtdh_s_per_km=table.dtdh_s_per_km,
    )
    try:  # whole or not at all; what a killed build left beside it is removed
        folder.mkdir(parents=True, exist_ok=True)
        write_atomically(path, buffer.getvalue())
    except (OSError, InputError):
        pass  # an unwritable cache costs time, not correctness
    return table
