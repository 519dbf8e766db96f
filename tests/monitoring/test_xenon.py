"""Radioxenon analysis: decay correction, Fieller intervals, screening, dating, I/O."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from treatyverify.errors import InputError
from treatyverify.monitoring.radionuclide.xenon import (
    HALF_LIFE_S,
    DiscriminationLine,
    IsotopeResult,
    ReleaseModel,
    XenonSample,
    decay_correct,
    fieller_interval,
    ratio_at_zero_from_yields,
    read_samples,
    screen,
    time_since_zero,
    write_samples_csv,
    write_samples_json,
)
from treatyverify.treaty import load_treaty

T0 = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)


def _sample(values: dict[str, tuple[float, float]], sample_id: str = "s1") -> XenonSample:
    return XenonSample(
        sample_id=sample_id,
        station="XXX01",
        collection_start=T0,
        collection_stop=T0 + timedelta(hours=12),
        acquisition_start=T0 + timedelta(hours=18),
        acquisition_live_time_s=43200.0,
        results={
            iso: IsotopeResult(concentration_mbq_m3=c, uncertainty_mbq_m3=u)
            for iso, (c, u) in values.items()
        },
    )


# -- decay correction ---------------------------------------------------------


def test_decay_correct_one_half_life_halves() -> None:
    later = T0 + timedelta(seconds=HALF_LIFE_S["Xe-133"])
    c, u = decay_correct(8.0, 0.4, "Xe-133", T0, later)
    assert c == pytest.approx(4.0, rel=1e-12)
    assert u == pytest.approx(0.2, rel=1e-12)


def test_decay_correct_hand_computed_xe135() -> None:
    # 9.14 h half-life; 18.28 h is two half-lives -> factor 1/4; back in time -> 4.
    back = T0 - timedelta(hours=18.28)
    c, _ = decay_correct(1.0, 0.1, "Xe-135", T0, back)
    assert c == pytest.approx(4.0, rel=1e-9)


def test_sample_decay_corrected_moves_reference_time() -> None:
    s = _sample({"Xe-133": (10.0, 1.0)})
    to = s.collection_stop + timedelta(days=5.2474)
    d = s.decay_corrected(to)
    assert d.reference == to
    assert d.result("Xe-133").concentration_mbq_m3 == pytest.approx(5.0, rel=1e-9)


def test_unknown_isotope_is_input_error() -> None:
    with pytest.raises(InputError, match="unknown isotope"):
        decay_correct(1.0, 0.1, "Xe-999", T0, T0)


# -- Fieller ------------------------------------------------------------------


def test_fieller_matches_hand_solution() -> None:
    # a=10, sa=1, b=5, sb=0.5, z=1.959964: roots of
    # (b^2 - z^2 sb^2) r^2 - 2ab r + (a^2 - z^2 sa^2) = 0.
    z = 1.959963984540054
    qa = 25 - z * z * 0.25
    qb = 50.0
    qc = 100 - z * z
    root = math.sqrt(qb * qb - qa * qc)
    fi = fieller_interval(10.0, 1.0, 5.0, 0.5, 0.95)
    assert fi.bounded
    assert fi.ratio == 2.0
    assert fi.lower == pytest.approx((qb - root) / qa, rel=1e-9)
    assert fi.upper == pytest.approx((qb + root) / qa, rel=1e-9)
    assert fi.lower < 2.0 < fi.upper


def test_fieller_coverage_near_nominal() -> None:
    rng = np.random.default_rng(20260101)
    true_a, true_b, sa, sb = 3.0, 2.0, 0.6, 0.5  # denominator 4 sigma from zero
    n = 4000
    a = rng.normal(true_a, sa, n)
    b = rng.normal(true_b, sb, n)
    hits = sum(
        fieller_interval(float(x), sa, float(y), sb, 0.95).contains(true_a / true_b)
        for x, y in zip(a, b, strict=True)
    )
    coverage = hits / n
    # Fieller is exact for known variances: binomial 3-sigma band around 0.95.
    assert abs(coverage - 0.95) < 3 * math.sqrt(0.95 * 0.05 / n)


def test_fieller_unbounded_when_denominator_not_significant() -> None:
    fi = fieller_interval(0.5, 0.5, 0.3, 0.5, 0.95)
    assert not fi.bounded
    assert fi.kind == "unbounded"
    assert "not significant" in fi.message
    assert fi.contains(1e9)


def test_fieller_exclusive_set() -> None:
    # numerator highly significant, denominator not: two half-lines.
    fi = fieller_interval(10.0, 0.5, 0.8, 0.5, 0.95)
    assert fi.kind == "exclusive"
    assert fi.contains(1e6) and fi.contains(-1e6)
    assert not fi.contains(0.0)


# -- screening ------------------------------------------------------------------


def _line() -> DiscriminationLine:
    return DiscriminationLine.from_criterion(load_treaty("ctbt").screening("xenon-isotopic-ratios"))


def test_line_from_treaty() -> None:
    line = _line()
    assert line.slope == pytest.approx(4.4388)
    assert line.intercept_log10 == pytest.approx(-6.0)


def test_screen_explosion_side() -> None:
    # Xe-133m/Xe-131m = 100, Xe-135/Xe-133 = 5: far below the line (line: ~755).
    s = _sample(
        {
            "Xe-131m": (0.1, 0.005),
            "Xe-133m": (10.0, 0.5),
            "Xe-133": (20.0, 1.0),
            "Xe-135": (100.0, 5.0),
        }
    )
    r = screen(s, _line())
    assert r.decision == "explosion-side"
    assert r.margin_log10 > 0


def test_screen_civilian_side() -> None:
    # Typical reactor-like: Xe-133m/Xe-131m = 1, Xe-135/Xe-133 = 0.2.
    s = _sample(
        {
            "Xe-131m": (1.0, 0.05),
            "Xe-133m": (1.0, 0.05),
            "Xe-133": (10.0, 0.5),
            "Xe-135": (2.0, 0.1),
        }
    )
    r = screen(s, _line())
    assert r.decision == "civilian-side"
    assert r.margin_log10 < 0


def test_screen_straddling_is_undecided() -> None:
    line = DiscriminationLine(1.0, 0.0, "test")
    s = _sample(
        {
            "Xe-131m": (1.0, 0.2),
            "Xe-133m": (1.0, 0.2),
            "Xe-133": (1.0, 0.2),
            "Xe-135": (1.05, 0.2),
        }
    )
    assert screen(s, line).decision == "undecided"


def test_screen_not_computed_when_xe131m_not_significant() -> None:
    s = _sample(
        {
            "Xe-131m": (0.01, 0.05),
            "Xe-133m": (1.0, 0.05),
            "Xe-133": (10.0, 0.5),
            "Xe-135": (2.0, 0.1),
        }
    )
    r = screen(s, _line())
    assert r.decision == "not-computed"
    assert "Xe-133m/Xe-131m" in r.explanation


# -- time since fission ---------------------------------------------------------


def test_time_since_zero_round_trip() -> None:
    r0 = ratio_at_zero_from_yields(1.0e-4, 1.0e-2, "Xe-131m", "Xe-133")
    model = ReleaseModel("Xe-131m", "Xe-133", r0, "synthetic yields for the test")
    t_true = 3.5 * 86400.0
    ratio = model.ratio_at(t_true)
    s = _sample({"Xe-131m": (ratio * 10.0, 0.02 * ratio * 10.0), "Xe-133": (10.0, 0.2)})
    est = time_since_zero(s, model)
    assert est.time_s == pytest.approx(t_true, rel=1e-9)
    assert est.lower_s < t_true < est.upper_s


def test_ratio_at_zero_from_yields_is_activity_ratio() -> None:
    r0 = ratio_at_zero_from_yields(1.0, 1.0, "Xe-133m", "Xe-133")
    assert r0 == pytest.approx(HALF_LIFE_S["Xe-133"] / HALF_LIFE_S["Xe-133m"])


def test_time_since_zero_open_when_unbounded() -> None:
    model = ReleaseModel("Xe-133m", "Xe-133", 0.05, "test")
    s = _sample({"Xe-133m": (0.5, 0.1), "Xe-133": (0.1, 0.2)})
    est = time_since_zero(s, model)
    assert math.isnan(est.time_s)
    assert "not significant" in est.message


# -- file formats -----------------------------------------------------------------


def _full_sample(sample_id: str) -> XenonSample:
    s = _sample(
        {
            "Xe-131m": (0.1, 0.01),
            "Xe-133m": (0.2, 0.02),
            "Xe-133": (1.5, 0.1),
            "Xe-135": (0.3, 0.05),
        },
        sample_id,
    )
    res = dict(s.results)
    res["Xe-131m"] = IsotopeResult(
        concentration_mbq_m3=0.1, uncertainty_mbq_m3=0.01, below_mdc=True, mdc_mbq_m3=0.15
    )
    return s.model_copy(update={"results": res})


def test_json_round_trip(tmp_path: Path) -> None:
    samples = [_full_sample("a"), _full_sample("b")]
    path = tmp_path / "samples.json"
    write_samples_json(samples, path)
    assert read_samples(path) == samples


def test_csv_round_trip(tmp_path: Path) -> None:
    samples = [_full_sample("a"), _sample({"Xe-133": (1.0, 0.1)}, "b")]
    path = tmp_path / "samples.csv"
    write_samples_csv(samples, path)
    assert read_samples(path) == samples


def test_csv_bad_number_names_row_and_field(tmp_path: Path) -> None:
    path = tmp_path / "samples.csv"
    write_samples_csv([_full_sample("a"), _full_sample("b")], path)
    text = path.read_text().splitlines()
    text[2] = text[2].replace(",1.5,", ",abc,")
    path.write_text("\n".join(text) + "\n")
    with pytest.raises(InputError) as exc:
        read_samples(path)
    assert "row 3" in str(exc.value)
    assert "xe133_mbq_m3" in str(exc.value)
    assert str(path) in str(exc.value)


def test_csv_negative_uncertainty_names_field(tmp_path: Path) -> None:
    path = tmp_path / "samples.csv"
    write_samples_csv([_full_sample("a")], path)
    text = path.read_text().replace(",0.05,", ",-0.05,")
    path.write_text(text)
    with pytest.raises(InputError) as exc:
        read_samples(path)
    assert "row 2" in str(exc.value)
    assert "xe135_unc_mbq_m3" in str(exc.value)


def test_json_bad_time_order_names_sample(tmp_path: Path) -> None:
    path = tmp_path / "samples.json"
    write_samples_json([_full_sample("a")], path)
    data = json.loads(path.read_text())
    data["samples"][0]["collection_stop"] = "2025-12-31T12:00:00Z"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError) as exc:
        read_samples(path)
    assert "sample 0" in str(exc.value)
    assert "collection_stop" in str(exc.value)


def test_json_missing_field_names_field(tmp_path: Path) -> None:
    path = tmp_path / "samples.json"
    path.write_text('[{"sample_id": "a"}]')
    with pytest.raises(InputError) as exc:
        read_samples(path)
    assert "sample 0" in str(exc.value)
    assert "field station" in str(exc.value)


def test_naive_time_rejected(tmp_path: Path) -> None:
    path = tmp_path / "samples.json"
    write_samples_json([_full_sample("a")], path)
    path.write_text(path.read_text().replace("2026-01-01T00:00:00Z", "2026-01-01T00:00:00"))
    with pytest.raises(InputError, match="time zone"):
        read_samples(path)


def test_unknown_extension_and_unknown_column(tmp_path: Path) -> None:
    bad = tmp_path / "samples.txt"
    bad.write_text("x")
    with pytest.raises(InputError, match=r"\.json or \.csv"):
        read_samples(bad)
    csv_path = tmp_path / "samples.csv"
    csv_path.write_text("sample_id,station,foo\n")
    with pytest.raises(InputError, match="unknown column 'foo'"):
        read_samples(csv_path)
