"""Errors about bad spectra name the file or field and the rule, never a measured value.

A spectrum is sensitive before it enters the information barrier as much as inside it:
its counts, live and real times and number of channels must not reach an error message,
which the command line prints and a log may keep. Each case below builds a bad
spectrum from distinctive values and scans the message for any number equal to one of
them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from treatyverify.errors import InputError
from treatyverify.methods.gamma.calibration import fit_energy_calibration, match_lines
from treatyverify.methods.gamma.io import load_spectrum, write_n42
from treatyverify.methods.gamma.peaks import find_peaks, fit_multiplet
from treatyverify.methods.gamma.spectrum import Spectrum

N_CHANNELS = 37
LIVE_S = 4321.5
REAL_S = 4400.25
COUNTS = np.arange(101.0, 101.0 + N_CHANNELS)  # 101 ... 137, every one distinctive
EDGES = np.arange(N_CHANNELS + 1) * 0.5
NUMBER = re.compile(r"\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def measured_values(*extra: float) -> set[float]:
    """Every number a message could leak: counts, sums, times, channel and edge counts."""
    values = {float(c) for c in COUNTS} | {float(COUNTS.sum()), LIVE_S, REAL_S, *extra}
    values |= {float(math.floor(LIVE_S)), float(math.floor(REAL_S))}
    values |= {float(N_CHANNELS), float(N_CHANNELS + 1), float(N_CHANNELS - 1)}
    return values


def leaked(message: str, values: set[float]) -> list[str]:
    return [token for token in NUMBER.findall(message) if float(token) in values]


def raised(action: Callable[[], object]) -> InputError:
    with pytest.raises(InputError) as caught:
        action()
    assert "\n" not in str(caught.value)
    return caught.value


def spectrum(**changes: object) -> Spectrum:
    fields: dict[str, object] = {
        "counts": COUNTS,
        "live_time_s": LIVE_S,
        "real_time_s": REAL_S,
        "channel_edges_kev": EDGES,
        "source": "item.n42",
    }
    fields.update(changes)
    return Spectrum(**fields)  # type: ignore[arg-type]


def test_the_values_themselves_make_a_valid_spectrum() -> None:
    assert spectrum().n_channels == N_CHANNELS  # each case below breaks one rule only


@pytest.mark.parametrize(
    "changes",
    [
        {"counts": np.append(COUNTS[:-1], -7.25)},
        {"counts": np.append(COUNTS[:-1], math.nan)},
        {"counts": np.append(COUNTS[:-1], math.inf)},
        {"counts": np.stack([COUNTS, COUNTS, COUNTS])},
        {"live_time_s": 0.0},
        {"live_time_s": -LIVE_S},
        {"live_time_s": math.nan},
        {"live_time_s": LIVE_S, "real_time_s": 1234.25},
        {"live_time_s": 5678.75},
        {"real_time_s": math.inf},
        {"channel_edges_kev": EDGES[:-3]},
        {"channel_edges_kev": np.append(EDGES[:-1], 0.0)},
        {"channel_edges_kev": np.append(EDGES[:-1], math.nan)},
    ],
    ids=lambda changes: ",".join(changes),
)
def test_spectrum_rules_quote_no_measured_value(changes: dict[str, object]) -> None:
    error = raised(lambda: spectrum(**changes))
    assert error.where == "item.n42"
    extra = {1234.25, 1234.0, 5678.75, 5678.0, 7.25, float(EDGES[:-3].size), 3.0}
    assert leaked(error.message, measured_values(*extra)) == []


def test_rebinning_and_recalibration_quote_no_measured_value() -> None:
    good = spectrum()
    for action in (
        lambda: good.with_calibration(EDGES[:10]),
        lambda: spectrum(channel_edges_kev=None).energies_kev,
    ):
        assert leaked(raised(action).message, measured_values(10.0)) == []


def _spe(path: Path, live: float, real: float, counts: list[str], declared: int) -> Path:
    lines = ["$SPEC_ID:", "item", "$MEAS_TIM:", f"{live:g} {real:g}", "$DATA:"]
    lines += [f"0 {declared - 1}", *counts, "$ENER_FIT:", "0.0 0.5"]
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return path


def _n42(path: Path, edit: Callable[[str], str]) -> Path:
    write_n42(spectrum(), path)
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return path


def _counts(text: str, first: str) -> str:
    return re.sub(r"<ChannelData[^>]*>\S+", f"<ChannelData>{first}", text, count=1)


FILES: dict[str, Callable[[Path], Path]] = {
    "spe-truncated": lambda p: _spe(p, 4321, 4400, [f"{c:g}" for c in COUNTS[:20]], N_CHANNELS),
    "spe-zero-live-time": lambda p: _spe(p, 0, 4400, [f"{c:g}" for c in COUNTS], N_CHANNELS),
    "spe-live-over-real": lambda p: _spe(p, 4321, 1234, [f"{c:g}" for c in COUNTS], N_CHANNELS),
    "spe-negative-count": lambda p: _spe(
        p, 4321, 4400, [f"{c:g}" for c in COUNTS[:-1]] + ["-7"], N_CHANNELS
    ),
    "n42-zero-live-time": lambda p: _n42(
        p, lambda t: re.sub(r"<LiveTimeDuration>[^<]*", "<LiveTimeDuration>PT0S", t)
    ),
    "n42-negative-count": lambda p: _n42(p, lambda t: _counts(t, "-7.25")),
    "n42-nan-count": lambda p: _n42(p, lambda t: _counts(t, "NaN")),
    "n42-truncated": lambda p: _n42(p, lambda t: t[: len(t) // 2]),
}


@pytest.mark.parametrize("case", sorted(FILES))
def test_bad_files_are_named_and_quote_no_measured_value(case: str, tmp_path: Path) -> None:
    path = FILES[case](tmp_path / ("item.spe" if case.startswith("spe") else "item.n42"))
    error = raised(lambda: load_spectrum(path))
    assert error.where == str(path)
    assert leaked(error.message, measured_values(1234.0, 20.0, 7.0, 7.25)) == []


def test_peak_search_and_fit_quote_no_measured_value() -> None:
    short = COUNTS[:9]
    values = measured_values(9.0, float(short.sum()), 40.0, 41.0, 45.0, 50.0)
    cases: list[Callable[[], object]] = [
        lambda: find_peaks(short, fwhm_ch=5.0),
        lambda: fit_multiplet(COUNTS, 30, 45, [33.0], fwhm_guess=2.0),
        lambda: fit_multiplet(COUNTS, 10, 20, [41.0], fwhm_guess=2.0),
        lambda: fit_multiplet(np.zeros(N_CHANNELS), 10, 30, [20.0], fwhm_guess=2.0),
        lambda: fit_multiplet(COUNTS, 10, 13, [11.0, 12.0], fwhm_guess=2.0),
    ]
    for action in cases:
        assert leaked(raised(action).message, values) == []


def test_calibration_fits_quote_no_measured_value() -> None:
    centroids = [101.25, 117.5, 133.75]  # peak positions found in the spectrum
    values = measured_values(*centroids)
    # Each case with the number of peaks it was given, which is measured as well.
    cases: list[tuple[Callable[[], object], int]] = [
        (lambda: fit_energy_calibration(centroids, [59.5, 661.7]), 3),
        (lambda: fit_energy_calibration(centroids[:2], [59.5, 661.7, 1332.5], degree=2), 2),
        (lambda: fit_energy_calibration(centroids[:1], [59.5], degree=2), 1),
        (lambda: fit_energy_calibration(centroids, [1332.5, 661.7, 59.5]), 3),
        (
            lambda: match_lines(
                [*centroids, 120.0],
                [59.5, 661.7, 1173.2, 1332.5],
                gain_range_kev_per_ch=(0.1, 0.2),
            ),
            4,
        ),
    ]
    for action, peaks in cases:
        error = raised(action)
        assert leaked(error.message, values | {float(peaks)}) == [], error.message
