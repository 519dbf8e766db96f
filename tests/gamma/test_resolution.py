"""The resolution measured on a spectrum reproduces the detector that made it."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import ndtr

from treatyverify.errors import InputError, MethodRefusedError
from treatyverify.methods.gamma import resolution
from treatyverify.methods.gamma.identify import typical_fwhm_kev
from treatyverify.methods.gamma.instrument import DetectorKind, InstrumentProfile
from treatyverify.methods.gamma.peaks import FWHM_PER_SIGMA
from treatyverify.methods.gamma.resolution import (
    BACKGROUND_LINES,
    FANO_LIMIT_KEV,
    MAX_PEAKS,
    MAX_PEAKS_IF_UNSOUND,
    _bounded_fit,
    _is_clean,
    _sound_line,
    _tabulated_energies,
    calibration_from_edges,
    estimate_resolution,
    measurement_from_spectrum,
    spectrum_class,
)
from treatyverify.methods.gamma.simulate import HPGE_COAXIAL, NAI_3X3, simulate_item
from treatyverify.methods.gamma.spectrum import Spectrum
from treatyverify.methods.nucdata.tables import line


@pytest.fixture(scope="module")
def plutonium() -> Spectrum:
    return simulate_item(
        "weapon-grade-pu",
        mass_kg=4.0,
        detector=HPGE_COAXIAL,
        live_time_s=1800.0,
        distance_cm=100.0,
        shielding=[("Fe", 2.0)],
        rng=np.random.default_rng(3),
    )


def test_the_calibration_goes_through_the_edges(plutonium: Spectrum) -> None:
    calibration = calibration_from_edges(plutonium)
    edges = plutonium.channel_edges_kev
    assert edges is not None
    channels = np.array([0.0, 1000.0, 8000.0, 16384.0])
    assert np.allclose(calibration.energy(channels), edges[channels.astype(int)], atol=1e-6)


@pytest.fixture(scope="module")
def bare_plutonium() -> Spectrum:
    """The speed benchmark's case: 10 minutes, unshielded."""
    return simulate_item(
        "weapon-grade-pu",
        mass_kg=3.0,
        detector=HPGE_COAXIAL,
        live_time_s=600.0,
        distance_cm=50.0,
        age_years=20.0,
        rng=np.random.default_rng(4),
    )


def synthetic(
    energies: list[float],
    *,
    area: float = 2.0e4,
    widen: dict[float, float] | None = None,
    seed: int = 8,
    background: float = 40.0,
) -> Spectrum:
    """Gaussian peaks of the coaxial preset's width on a flat background, 0.25 keV
    channels; ``widen`` multiplies the width of some peaks (energy -> factor)."""
    edges = np.arange(12001, dtype=np.float64) * 0.25
    mu = np.full(12000, background)
    for energy in energies:
        factor = (widen or {}).get(energy, 1.0)
        sigma = factor * HPGE_COAXIAL.fwhm_kev(energy) / FWHM_PER_SIGMA
        mu += area * np.diff(ndtr((edges - energy) / sigma))
    return Spectrum(
        counts=np.random.default_rng(seed).poisson(mu).astype(np.float64),
        live_time_s=600.0,
        real_time_s=600.0,
        channel_edges_kev=edges,
        source="synthetic.n42",
    )


@pytest.mark.parametrize(
    ("energy", "tolerance"), [(129.3, 0.08), (413.7, 0.03), (661.7, 0.02), (1000.0, 0.03)]
)
def test_the_measured_resolution_matches_the_detector_model(
    plutonium: Spectrum, energy: float, tolerance: float
) -> None:
    # Clean single lines from 255 to 722 keV; 129.3 keV is below them (the table's
    # Ac-228 129.07 keV line makes the Pu-239 line unclean), extrapolated: over 6 seeds
    # of this case -7 to +3 % there, within 2.3 % at 414 keV and 2.1 % at 662-1000 keV.
    estimate = estimate_resolution(plutonium, calibration_from_edges(plutonium))
    assert len(estimate.peaks_used) >= 3
    assert estimate.slope_measured
    assert estimate.extrapolated(129.3) and not estimate.extrapolated(413.7)
    expected = HPGE_COAXIAL.fwhm_kev(energy)
    assert estimate.fwhm_kev(energy) == pytest.approx(expected, rel=tolerance)


@pytest.mark.parametrize(
    ("energy", "tolerance"), [(129.3, 0.02), (413.7, 0.02), (661.7, 0.02), (1000.0, 0.03)]
)
def test_the_resolution_of_a_short_bare_measurement(
    bare_plutonium: Spectrum, energy: float, tolerance: float
) -> None:
    # Over 6 seeds of 10 minutes unshielded: within 2.1 % from 129 to 1000 keV (the
    # detector's small E^2 term is missed at 1000 keV).
    estimate = estimate_resolution(bare_plutonium, calibration_from_edges(bare_plutonium))
    assert 3 <= len(estimate.peaks_used) <= MAX_PEAKS
    expected = HPGE_COAXIAL.fwhm_kev(energy)
    assert estimate.fwhm_kev(energy) == pytest.approx(expected, rel=tolerance)


def test_clean_tabulated_lines_are_preferred(bare_plutonium: Spectrum) -> None:
    estimate = estimate_resolution(bare_plutonium, calibration_from_edges(bare_plutonium))
    table = _tabulated_energies()
    fwhm = typical_fwhm_kev(bare_plutonium)
    assert all(_is_clean(energy, fwhm, table) for energy in estimate.peaks_used)
    # The Pu-239 doublet at 392.5 + 393.1 keV is one peak to the search, not clean.
    assert not _is_clean(393.1, fwhm, table)
    assert _is_clean(413.7, fwhm, table)


def test_untabulated_peaks_are_used_when_no_clean_ones() -> None:
    """Without clean peaks the isolated strong ones are fitted instead."""
    energies = [230.0, 500.0, 800.0, 1100.0, 1400.0]
    table = _tabulated_energies()
    assert not any(_is_clean(e, 1.5, table) for e in energies)
    spectrum = synthetic(energies)
    estimate = estimate_resolution(spectrum, calibration_from_edges(spectrum))
    assert sorted(round(e) for e in estimate.peaks_used) == [round(e) for e in energies]
    for energy in (300.0, 1000.0):
        expected = HPGE_COAXIAL.fwhm_kev(energy)
        assert estimate.fwhm_kev(energy) == pytest.approx(expected, rel=0.03)


def test_the_background_lines_are_tabulated() -> None:
    for nuclide, energy in BACKGROUND_LINES:
        assert line(nuclide, energy, tolerance_kev=0.001).energy_kev == energy


def test_one_source_line_and_the_background_give_a_resolution() -> None:
    """A single strong line (Cs-137) plus the weak natural-background lines."""
    weak = [e for _, e in BACKGROUND_LINES]
    spectrum = synthetic([661.657], area=2.0e5)
    counts = spectrum.counts + synthetic(weak, area=400.0, background=0.0, seed=9).counts
    both = Spectrum(
        counts=counts,
        live_time_s=600.0,
        real_time_s=600.0,
        channel_edges_kev=spectrum.channel_edges_kev,
        source="cs137.n42",
    )
    estimate = estimate_resolution(both, calibration_from_edges(both))
    assert any(abs(e - 661.657) < 0.5 for e in estimate.peaks_used)
    background = [e for e in estimate.peaks_used if abs(e - 661.657) > 0.5]
    assert len(background) >= 2
    assert all(any(abs(e - w) < 0.01 for w in weak) for e in background)
    for energy in (200.0, 662.0, 1000.0):
        assert estimate.fwhm_kev(energy) == pytest.approx(HPGE_COAXIAL.fwhm_kev(energy), rel=0.05)


def test_peaks_near_xray_lines_are_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """A K X-ray peak is wider than the resolution (natural width): never fitted."""
    monkeypatch.setattr(resolution, "_xray_energies", lambda: np.asarray([500.0]))
    energies = [230.0, 500.0, 800.0, 1100.0, 1400.0]
    spectrum = synthetic(energies, widen={500.0: 1.3})
    estimate = estimate_resolution(spectrum, calibration_from_edges(spectrum))
    assert all(abs(e - 500.0) > 6.0 for e in estimate.peaks_used)
    assert estimate.fwhm_kev(500.0) == pytest.approx(HPGE_COAXIAL.fwhm_kev(500.0), rel=0.03)


def test_the_fano_limit_of_germanium() -> None:
    # (2 sqrt(2 ln 2))^2 x 0.1 x 2.96 eV
    assert pytest.approx(8.0 * math.log(2.0) * 0.1 * 2.96e-3) == FANO_LIMIT_KEV
    assert pytest.approx(1.64e-3, abs=0.01e-3) == FANO_LIMIT_KEV


def test_the_line_respects_the_physics_bounds() -> None:
    x = np.asarray([200.0, 400.0, 700.0, 1000.0])
    w = np.ones(4)
    flat = np.full(4, 2.0)  # no growth: the slope is raised to the Fano limit
    a, b = _bounded_fit(x, flat, w, None)
    assert b == pytest.approx(FANO_LIMIT_KEV) and a > 0
    steep = 0.01 * x - 1.0  # would need a negative noise term
    a, b = _bounded_fit(x, steep, w, None)
    assert a == 0.0 and b >= FANO_LIMIT_KEV


def test_widths_that_are_not_a_resolution_give_no_line() -> None:
    """Widths that fall with energy are no resolution; two widths fix only the noise."""
    rising = [(e, float(HPGE_COAXIAL.fwhm_kev(e)), 0.001) for e in (200.0, 400.0, 700.0, 1000.0)]
    fitted = _sound_line(rising)
    assert fitted is not None and fitted.measured
    assert fitted.noise_sq == pytest.approx(HPGE_COAXIAL.fwhm_a_kev2, rel=0.1)
    assert fitted.fano == pytest.approx(HPGE_COAXIAL.fwhm_b_kev, rel=0.1)
    falling = [(e, 2.0 - e / 1000.0, 0.001) for e in (200.0, 400.0, 700.0, 1000.0)]
    assert _sound_line(falling) is None
    two = _sound_line(rising[:2])
    assert two is not None and not two.measured and two.fano == FANO_LIMIT_KEV
    assert _sound_line(rising[:1]) is None


def test_a_narrow_span_takes_the_fano_limit_outside_it() -> None:
    """Peaks crowded below 210 keV (as in HEU) do not set the slope: no runaway at 1 MeV."""
    energies = [144.0, 163.0, 186.0, 205.0]
    spectrum = synthetic(energies, area=5.0e4)
    estimate = estimate_resolution(spectrum, calibration_from_edges(spectrum))
    assert not estimate.slope_measured
    assert estimate.fano_kev == FANO_LIMIT_KEV
    assert estimate.span_kev == pytest.approx((144.0, 205.0), abs=0.5)
    assert estimate.extrapolated(1000.0) and not estimate.extrapolated(186.0)
    # Within the span the widths are met; above it the width grows by the smallest
    # germanium term and errs low, never high.
    assert estimate.fwhm_kev(186.0) == pytest.approx(HPGE_COAXIAL.fwhm_kev(186.0), rel=0.02)
    ratio = estimate.fwhm_kev(1000.0) / HPGE_COAXIAL.fwhm_kev(1000.0)
    assert 0.85 < ratio < 1.0


def test_more_peaks_are_fitted_when_the_first_do_not_give_a_resolution(
    bare_plutonium: Spectrum, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Few counts can bend the line of the first widths; then every candidate is used."""
    calls: list[int] = []

    def first_refused(widths: list[tuple[float, float, float]]) -> object:
        calls.append(len(widths))
        return None if len(calls) <= 2 else _sound_line(widths)

    monkeypatch.setattr(resolution, "_sound_line", first_refused)
    estimate = estimate_resolution(bare_plutonium, calibration_from_edges(bare_plutonium))
    assert calls[0] <= MAX_PEAKS
    assert calls[1] < calls[2] <= MAX_PEAKS_IF_UNSOUND
    assert len(estimate.peaks_used) <= calls[2]
    # The extra candidates include peaks with unresolved neighbours, which widen the
    # estimate by some per cent: the price of an answer from a poor spectrum.
    for energy in (200.0, 600.0, 1000.0):
        expected = HPGE_COAXIAL.fwhm_kev(energy)
        assert estimate.fwhm_kev(energy) == pytest.approx(expected, rel=0.1)


def test_given_resolution_terms_are_used_as_given(plutonium: Spectrum) -> None:
    measurement = measurement_from_spectrum(plutonium, fwhm_noise_kev=0.8, fwhm_fano_kev=0.002)
    assert measurement.fwhm_kev(1000.0) == pytest.approx((0.64 + 2.0) ** 0.5)
    assert measurement.instrument is None
    with pytest.raises(InputError):
        measurement_from_spectrum(plutonium, fwhm_noise_kev=0.8)


def test_the_instrument_resolution_is_used_and_the_profile_travels(plutonium: Spectrum) -> None:
    profile = InstrumentProfile(
        id="coax",
        name="coaxial HPGe",
        detector=DetectorKind.HPGE,
        fwhm_noise_kev=0.7,
        fwhm_fano_kev=0.0021,
        source="test",
    )
    measurement = measurement_from_spectrum(plutonium, instrument=profile)
    assert measurement.instrument is profile
    assert (measurement.fwhm_noise_kev, measurement.fwhm_fano_kev) == (0.7, 0.0021)
    given = measurement_from_spectrum(
        plutonium, fwhm_noise_kev=0.8, fwhm_fano_kev=0.002, instrument=profile
    )
    assert (given.fwhm_noise_kev, given.fwhm_fano_kev) == (0.8, 0.002)
    kind_only = profile.model_copy(update={"fwhm_noise_kev": None, "fwhm_fano_kev": None})
    measured = measurement_from_spectrum(plutonium, instrument=kind_only)
    assert measured.instrument is kind_only
    assert measured.fwhm_kev(662.0) == pytest.approx(HPGE_COAXIAL.fwhm_kev(662.0), rel=0.03)


def test_a_spectrum_without_peaks_is_refused() -> None:
    rng = np.random.default_rng(1)
    flat = Spectrum(
        counts=rng.poisson(50.0, 4096).astype(np.float64),
        live_time_s=10.0,
        real_time_s=10.0,
        channel_edges_kev=np.arange(4097, dtype=np.float64) * 0.5,
        source="flat.n42",
    )
    with pytest.raises(InputError) as caught:
        measurement_from_spectrum(flat)
    assert not isinstance(caught.value, MethodRefusedError)
    assert caught.value.where == "flat.n42"
    assert "resolution" in caught.value.message


def test_a_scintillator_spectrum_without_resolution_is_refused_not_failed() -> None:
    """NaI: when the estimate fails, the spectrum's class still ends it as a refusal."""
    nai = simulate_item(
        "weapon-grade-pu",
        mass_kg=4.0,
        detector=NAI_3X3,
        live_time_s=600.0,
        distance_cm=50.0,
        rng=np.random.default_rng(5),
    )
    calibration = calibration_from_edges(nai)
    assert spectrum_class(nai, calibration) not in (None, DetectorKind.HPGE)
    try:
        measurement = measurement_from_spectrum(nai)
    except MethodRefusedError as refusal:
        assert refusal.code == "needs-high-resolution"
        assert refusal.where == nai.source
        assert not any(ch.isdigit() for ch in refusal.message)
    else:  # the estimate succeeded: its resolution is not HPGe-class
        assert measurement.fwhm_kev(662.0) / 662.0 > 0.02


def test_a_scintillator_whose_estimate_fails_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    nai = simulate_item(
        "weapon-grade-pu",
        mass_kg=4.0,
        detector=NAI_3X3,
        live_time_s=600.0,
        distance_cm=50.0,
        rng=np.random.default_rng(5),
    )

    def fails(spectrum: Spectrum, calibration: object) -> object:
        raise InputError("too few strong isolated peaks", where=spectrum.source)

    monkeypatch.setattr(resolution, "estimate_resolution", fails)
    with pytest.raises(MethodRefusedError) as caught:
        measurement_from_spectrum(nai)
    assert caught.value.code == "needs-high-resolution"
    assert "NaI" in caught.value.message or "LaBr3" in caught.value.message
    profile = InstrumentProfile(id="probe", name="probe", detector="labr3", source="test")
    with pytest.raises(MethodRefusedError, match="LaBr3-class detector \\(instrument 'probe'\\)"):
        measurement_from_spectrum(nai, instrument=profile)


def test_the_detector_report_never_raises_for_a_missing_resolution(plutonium: Spectrum) -> None:
    report = resolution.describe_detector(plutonium)
    assert report.kind is DetectorKind.HPGE and report.resolution_class is DetectorKind.HPGE
    assert report.resolution_source == "measured" and report.problem is None
    assert report.fwhm_kev(662.0) == pytest.approx(HPGE_COAXIAL.fwhm_kev(662.0), rel=0.03)
    flat = Spectrum(
        counts=np.random.default_rng(1).poisson(50.0, 4096).astype(np.float64),
        live_time_s=10.0,
        real_time_s=10.0,
        channel_edges_kev=np.arange(4097, dtype=np.float64) * 0.5,
        source="flat.n42",
    )
    probe = InstrumentProfile(id="probe", name="probe", detector="nai", source="test")
    refused = resolution.describe_detector(flat, probe)
    assert refused.kind is DetectorKind.NAI and refused.fwhm_kev(662.0) is None
    assert refused.problem is not None and "HPGe-class" in refused.problem
