"""IDC event screening: Ms:mb and depth, each way, and insufficient data."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from obspy import UTCDateTime

from treatyverify.monitoring.seismic.locate import ErrorEllipse, Location
from treatyverify.monitoring.seismic.screening import (
    screen_depth,
    screen_location_depth,
    screen_ms_mb,
)
from treatyverify.treaty import load_treaty


def test_thresholds_come_from_ctbt_spec() -> None:
    c = load_treaty("ctbt").screening("ms-mb")
    assert c.parameter("mb_coefficient") == 1.25
    assert c.parameter("constant") == 2.2
    d = load_treaty("ctbt").screening("depth")
    assert d.parameter("min_depth_km") == 10.0
    assert d.parameter("confidence") == 0.975


def test_ms_mb_earthquake_screened_out() -> None:
    # x = 4.5 - 1.25*4.5 + 2.2 = 1.075; sigma = sqrt(0.1^2 + (1.25*0.1)^2) = 0.160; 2 sigma = 0.32
    d = screen_ms_mb(4.5, 4.5, mb_stderr=0.1, ms_stderr=0.1)
    assert d.outcome == "screened out" and d.screened_out
    assert d.statistic == pytest.approx(1.075)
    assert d.threshold == pytest.approx(2 * np.hypot(0.1, 0.125))
    assert "screened out as natural by the Ms:mb criterion" in d.explanation


def test_ms_mb_explosion_like_not_screened_out() -> None:
    # x = 3.5 - 1.25*5.0 + 2.2 = -0.55 < 2 sigma
    d = screen_ms_mb(5.0, 3.5, mb_stderr=0.1, ms_stderr=0.1)
    assert d.outcome == "not screened out"
    assert not d.screened_out
    assert d.statistic == pytest.approx(-0.55)


def test_ms_mb_uncertainty_rule_decides() -> None:
    # x = 0.2 > 0 but within 2 sigma: the uncertainty keeps the event in.
    mb = 4.8
    ms = 1.25 * mb - 2.2 + 0.2
    assert screen_ms_mb(mb, ms, mb_stderr=0.01, ms_stderr=0.01).outcome == "screened out"
    assert screen_ms_mb(mb, ms, mb_stderr=0.2, ms_stderr=0.2).outcome == "not screened out"


@pytest.mark.parametrize(
    ("mb", "ms", "mb_se", "ms_se", "why"),
    [
        (4.5, None, 0.1, 0.1, "no Ms"),
        (None, 4.0, 0.1, 0.1, "no mb"),
        (3.0, 3.0, 0.1, 0.1, "below 3.5"),
        (4.5, 4.5, float("nan"), 0.1, "standard error"),
        (4.5, 4.5, 0.1, None, "standard error"),
    ],
)
def test_ms_mb_insufficient(
    mb: float | None, ms: float | None, mb_se: float | None, ms_se: float | None, why: str
) -> None:
    d = screen_ms_mb(mb, ms, mb_stderr=mb_se, ms_stderr=ms_se)
    assert d.outcome == "not screened"
    assert why in d.explanation
    assert d.statistic is None


def test_depth_each_way() -> None:
    deep = screen_depth(30.0, 5.0)  # 30 - 1.96*5 = 20.2 > 10
    assert deep.outcome == "screened out"
    assert deep.statistic == pytest.approx(30.0 - 1.959964 * 5.0, abs=1e-4)
    shallow = screen_depth(15.0, 5.0)  # 15 - 9.8 = 5.2
    assert shallow.outcome == "not screened out"
    assert "not shown deeper" in shallow.explanation


@pytest.mark.parametrize(
    ("depth", "sigma", "fixed"),
    [(30.0, None, False), (None, 2.0, False), (30.0, 0.0, False), (30.0, 2.0, True)],
)
def test_depth_insufficient(depth: float | None, sigma: float | None, fixed: bool) -> None:
    d = screen_depth(depth, sigma, depth_fixed=fixed)
    assert d.outcome == "not screened"
    assert d.explanation


def _location(depth_km: float, sigma_km: float, fixed: bool) -> Location:
    cov = np.diag([0.1, 4.0, 4.0, 0.0 if fixed else sigma_km**2])
    return Location(
        origin_time=UTCDateTime(2020, 1, 1),
        latitude_deg=41.3,
        longitude_deg=129.0,
        depth_km=depth_km,
        depth_fixed=fixed,
        covariance=cov,
        ellipse=ErrorEllipse(4.3, 4.3, 0.0),
        residuals_s={},
        rms_s=0.5,
        variance_factor=1.0,
        covariance_scale=1.0,
        iterations=3,
        model="iasp91",
        depth_resolved=not fixed,
    )


def test_location_depth() -> None:
    assert screen_location_depth(_location(40.0, 3.0, False)).outcome == "screened out"
    assert screen_location_depth(_location(0.0, 0.0, True)).outcome == "not screened"


def test_an_unresolved_free_depth_is_not_used() -> None:
    """Issue 18: a depth solved for from regional first P alone (113 +- 40 km for an
    explosion) must not screen the event out as natural."""
    free = replace(_location(113.0, 40.0, False), depth_resolved=False)
    decision = screen_location_depth(free)
    assert decision.outcome == "not screened"
    assert "does not resolve depth" in decision.explanation
