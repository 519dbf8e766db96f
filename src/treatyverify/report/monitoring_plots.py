"""PNG plots of seismic monitoring results (issue 4, item 9).

``record_section_png``
    vertical channels, band-passed and normalized, against epicentral distance and time
    after origin, with each station's pick and, optionally, the predicted first P arrival.
``map_png``
    stations, epicentre and the 90 % error ellipse in longitude/latitude axes with a local
    equal-aspect scaling (no coastlines: no map data is downloaded or shipped).
``screening_png``
    mb against Ms with the Ms:mb screening line read from the treaty specification.

Every figure is rendered with matplotlib's Agg backend and written atomically: to a
temporary file in the target directory, then moved into place with :func:`os.replace`,
so a failed write never leaves a half-written PNG behind.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import matplotlib
import numpy as np
from obspy import Stream, UTCDateTime
from obspy.geodetics import locations2degrees

from treatyverify.errors import InputError
from treatyverify.files import write_atomically
from treatyverify.monitoring.seismic.ingest import Station
from treatyverify.monitoring.seismic.locate import KM_PER_DEG, Location, Pick
from treatyverify.monitoring.seismic.traveltime import load_table
from treatyverify.treaty import load_treaty
from treatyverify.treaty.models import TreatySpec

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["ScreeningPoint", "map_png", "record_section_png", "screening_png"]

DistanceUnit = Literal["km", "deg"]


@dataclass(frozen=True)
class ScreeningPoint:
    """One event on the Ms:mb plot.

    Parameters
    ----------
    label
        Event name shown beside the point.
    mb, ms
        Network body-wave magnitude and surface-wave magnitude Ms_20 (magnitude units).
    mb_stderr, ms_stderr
        Their standard errors (magnitude units); ``None`` or ``nan`` draws no error bar.
    """

    label: str
    mb: float
    ms: float
    mb_stderr: float | None = None
    ms_stderr: float | None = None


def _new_figure(width_in: float, height_in: float) -> Figure:
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure(figsize=(width_in, height_in), dpi=100, layout="constrained")


def _write_png(figure: Figure, path: str | Path) -> Path:
    """Save ``figure`` as PNG at ``path`` atomically; :class:`InputError` naming a bad path."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return write_atomically(path, buffer.getvalue())


def _utc(time: UTCDateTime) -> str:
    """``YYYY-MM-DD hh:mm:ss.sss UTC``."""
    return f"{time.strftime('%Y-%m-%d %H:%M:%S.%f')[:-3]} UTC"


def _distance(location: Location, station: Station, unit: DistanceUnit) -> float:
    deg = float(
        locations2degrees(
            location.latitude_deg, location.longitude_deg, station.latitude, station.longitude
        )
    )
    return deg * KM_PER_DEG if unit == "km" else deg


def record_section_png(
    stream: Stream,
    picks: Sequence[Pick],
    location: Location,
    stations: Mapping[str, Station],
    path: str | Path,
    *,
    band: tuple[float, float] = (1.0, 3.0),
    window_s: tuple[float, float] | None = None,
    distance_unit: DistanceUnit = "km",
    predicted_model: str | None = None,
) -> Path:
    """Plot a record section of the vertical channels and write it as PNG.

    Parameters
    ----------
    stream
        Waveforms (:class:`obspy.Stream`); the first vertical channel (code ending in
        ``Z``) of each station in ``stations`` is drawn. Not modified.
    picks
        Arrival picks; each is marked on its station's trace.
    location
        The located event: origin time and epicentre.
    stations
        Station coordinates keyed ``"NET.STA"``.
    path
        Output PNG file.
    band
        Band-pass corners, Hz (low, high); zero-phase Butterworth, 4 poles.
    window_s
        Time window after origin, s; default from 20 s before the earliest pick
        (or origin) to 60 s after the latest.
    distance_unit
        ``"km"`` or ``"deg"`` for the distance axis.
    predicted_model
        Earth model (``"iasp91"``, ``"ak135"``) for the predicted first-P line; ``None``
        draws no line.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    InputError
        No vertical channel of a known station, a band the sampling cannot carry, or a
        bad output path.
    """
    low, high = band
    if not (0.0 < low < high):
        raise InputError("band must be (low, high) with 0 < low < high, Hz", where="band")
    origin = location.origin_time
    rows: list[tuple[float, str, np.ndarray, np.ndarray]] = []
    seen: set[str] = set()
    for trace in stream:
        key = f"{trace.stats.network}.{trace.stats.station}"
        if key in seen or key not in stations or not str(trace.stats.channel).endswith("Z"):
            continue
        rate = float(trace.stats.sampling_rate)
        if high >= rate / 2.0:
            raise InputError(
                f"band upper corner {high:g} Hz is at or above the Nyquist frequency "
                f"{rate / 2.0:g} Hz",
                where=trace.id,
            )
        seen.add(key)
        filtered = trace.copy()
        filtered.detrend("demean")
        filtered.taper(max_percentage=0.05)
        filtered.filter("bandpass", freqmin=low, freqmax=high, corners=4, zerophase=True)
        data = np.asarray(filtered.data, dtype=float)
        times = np.asarray(filtered.times(), dtype=float) + float(filtered.stats.starttime - origin)
        rows.append((_distance(location, stations[key], distance_unit), key, times, data))
    if not rows:
        raise InputError("no vertical channel of a listed station in the stream", where="stream")
    rows.sort(key=lambda row: row[0])

    pick_times = {p.station: float(p.time) - float(origin) for p in picks}
    if window_s is None:
        used = [pick_times[k] for _, k, _, _ in rows if k in pick_times]
        start = min([0.0, *used]) - 20.0
        end = max(used, default=max(float(r[2][-1]) for r in rows)) + 60.0
    else:
        start, end = window_s
        if not end > start:
            raise InputError("window_s must be (start, end) with end > start, s", where="window_s")

    distances = np.array([r[0] for r in rows])
    span = float(distances.max() - distances.min())
    spacing = span / max(len(rows) - 1, 1) if span > 0 else 1.0
    scale = 0.45 * spacing

    figure = _new_figure(8.0, 6.0)
    axes = figure.add_subplot()
    unit_label = "km" if distance_unit == "km" else "degrees"
    for distance, key, times, data in rows:
        inside = (times >= start) & (times <= end)
        peak = float(np.max(np.abs(data[inside]))) if inside.any() else 0.0
        norm = data[inside] / peak if peak > 0 else np.zeros(int(inside.sum()))
        axes.plot(times[inside], distance + scale * norm, color="black", linewidth=0.5)
        axes.annotate(
            key,
            (end, distance),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=7,
        )
        if key in pick_times:
            axes.plot(
                [pick_times[key]] * 2,
                [distance - scale, distance + scale],
                color="tab:red",
                linewidth=1.5,
            )
    axes.plot([], [], color="tab:red", linewidth=1.5, label="pick")
    if predicted_model is not None:
        table = load_table(predicted_model)
        lo, hi = float(distances.min()), float(distances.max())
        pad = 0.05 * (hi - lo) if hi > lo else 0.05 * max(hi, 1.0)
        curve = np.linspace(max(lo - pad, 0.0), hi + pad, 200)
        curve_deg = curve / KM_PER_DEG if distance_unit == "km" else curve
        axes.plot(
            np.asarray(table.time(curve_deg, location.depth_km), dtype=float),
            curve,
            color="tab:blue",
            linestyle="--",
            linewidth=1.0,
            label=f"predicted first P ({predicted_model})",
        )
    axes.set_xlim(start, end)
    axes.set_xlabel(f"time after origin {_utc(origin)}, s")
    axes.set_ylabel(f"epicentral distance, {unit_label}")
    axes.set_title(f"Record section, vertical channels, {low:g}-{high:g} Hz")
    axes.legend(loc="upper left", fontsize=8)
    return _write_png(figure, path)


def _ellipse_lon_lat(location: Location, points: int = 181) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude (degrees) of the error ellipse's outline."""
    e = location.ellipse
    az = math.radians(e.azimuth_deg)
    theta = np.linspace(0.0, 2.0 * math.pi, points)
    along = e.semi_major_km * np.cos(theta)
    across = e.semi_minor_km * np.sin(theta)
    north = along * math.cos(az) - across * math.sin(az)
    east = along * math.sin(az) + across * math.cos(az)
    coslat = math.cos(math.radians(location.latitude_deg))
    lat = location.latitude_deg + north / KM_PER_DEG
    lon = location.longitude_deg + east / (KM_PER_DEG * max(coslat, 1e-6))
    return lon, lat


def map_png(stations: Mapping[str, Station], location: Location, path: str | Path) -> Path:
    """Map the stations, the epicentre and its error ellipse, and write it as PNG.

    Parameters
    ----------
    stations
        Station coordinates keyed ``"NET.STA"``; drawn as labelled triangles.
    location
        The located event: epicentre (star) and ``location.ellipse`` (semi-axes km,
        azimuth clockwise from north), converted to degrees with the local
        ``cos(latitude)``.
    path
        Output PNG file.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    InputError
        A bad output path.
    """
    figure = _new_figure(7.0, 7.0)
    axes = figure.add_subplot()
    if stations:
        lons = [s.longitude for s in stations.values()]
        lats = [s.latitude for s in stations.values()]
        axes.scatter(
            lons, lats, marker="^", s=60, color="tab:blue", edgecolor="black", label="station"
        )
        for key, s in stations.items():
            axes.annotate(
                key,
                (s.longitude, s.latitude),
                xytext=(4, 4),
                textcoords="offset points",
                fontsize=7,
            )
    lon, lat = _ellipse_lon_lat(location)
    e = location.ellipse
    axes.plot(
        lon,
        lat,
        color="tab:red",
        linewidth=1.2,
        label=(
            f"{e.confidence:.0%} error ellipse ({e.semi_major_km:.1f} x "
            f"{e.semi_minor_km:.1f} km, {e.azimuth_deg:.0f} deg)"
        ),
    )
    axes.scatter(
        [location.longitude_deg],
        [location.latitude_deg],
        marker="*",
        s=250,
        color="gold",
        edgecolor="black",
        zorder=3,
        label="epicentre",
    )
    coslat = max(math.cos(math.radians(location.latitude_deg)), 1e-6)
    axes.set_aspect(1.0 / coslat, adjustable="datalim")
    # The ellipse is often far smaller than the network: repeat it in a zoomed inset.
    inset = axes.inset_axes((0.02, 0.02, 0.32, 0.32))
    inset.plot(lon, lat, color="tab:red", linewidth=1.2)
    inset.scatter(
        [location.longitude_deg],
        [location.latitude_deg],
        marker="*",
        s=120,
        color="gold",
        edgecolor="black",
        zorder=3,
    )
    inset.set_aspect(1.0 / coslat, adjustable="datalim")
    inset.locator_params(nbins=3)
    inset.tick_params(labelsize=6)
    inset.set_title("epicentre, zoomed", fontsize=7)
    axes.set_xlabel("longitude, degrees east")
    axes.set_ylabel("latitude, degrees north")
    axes.set_title(
        f"Epicentre {location.latitude_deg:.3f} N, {location.longitude_deg:.3f} E, "
        f"{_utc(location.origin_time)}"
    )
    axes.grid(True, linewidth=0.3)
    axes.legend(loc="best", fontsize=8)
    return _write_png(figure, path)


def _parameter(treaty: TreatySpec, name: str) -> float:
    criterion = treaty.screening("ms-mb")
    value = criterion.parameter(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"parameter {name!r} of 'ms-mb' is not a number", where=criterion.id)
    return float(value)


def _bar(stderr: float | None) -> float:
    return float(stderr) if stderr is not None and math.isfinite(stderr) else 0.0


def screening_png(
    events: Sequence[ScreeningPoint],
    path: str | Path,
    *,
    treaty: TreatySpec | None = None,
) -> Path:
    """Plot Ms against mb with the treaty's Ms:mb screening line and write it as PNG.

    The line is ``Ms = mb_coefficient * mb - constant`` from the ``ms-mb`` criterion of
    the treaty specification (for the CTBT, Ms = 1.25 mb - 2.2).

    Parameters
    ----------
    events
        Events to plot; those without a finite mb and Ms are left out.
    path
        Output PNG file.
    treaty
        Treaty specification with the ``ms-mb`` criterion; the shipped CTBT by default.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    InputError
        A missing or non-numeric criterion parameter, or a bad output path.
    """
    spec = treaty if treaty is not None else load_treaty("ctbt")
    coef, const = _parameter(spec, "mb_coefficient"), _parameter(spec, "constant")
    shown = [e for e in events if math.isfinite(e.mb) and math.isfinite(e.ms)]
    mbs = [e.mb for e in shown] or [4.0, 6.0]
    lo, hi = min(mbs) - 0.5, max(mbs) + 0.5
    figure = _new_figure(7.0, 6.0)
    axes = figure.add_subplot()
    line_mb = np.linspace(lo, hi, 2)
    axes.plot(
        line_mb,
        coef * line_mb - const,
        color="tab:red",
        linestyle="--",
        label=f"Ms = {coef:g} mb - {const:g} ({spec.id} screening line)",
    )
    for e in shown:
        axes.errorbar(
            [e.mb],
            [e.ms],
            xerr=[_bar(e.mb_stderr)],
            yerr=[_bar(e.ms_stderr)],
            fmt="o",
            color="black",
            capsize=3,
        )
        axes.annotate(e.label, (e.mb, e.ms), xytext=(5, 5), textcoords="offset points", fontsize=8)
    axes.set_xlim(lo, hi)
    axes.set_xlabel("mb")
    axes.set_ylabel("Ms_20")
    axes.set_title("Ms:mb screening (well above the line: consistent with an earthquake)")
    axes.grid(True, linewidth=0.3)
    axes.legend(loc="upper left", fontsize=8)
    return _write_png(figure, path)
