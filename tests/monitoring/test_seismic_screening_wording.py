"""Screening wording says what the IDC criterion says, and no more (issue 18, part 7).

A criterion screens events *out* as natural; an event that does not meet it "cannot be
screened out" by it. No outcome may call an event "not consistent with an earthquake" or
an explosion.
"""

from __future__ import annotations

import pytest

from treatyverify.monitoring.seismic.screening import screen_depth, screen_ms_mb

FORBIDDEN = ("not consistent with an earthquake", "explosion")


@pytest.mark.parametrize(
    ("mb", "ms", "se"),
    [
        (4.5, 4.5, 0.1),  # x = 1.075, far above 2 sigma: screened out
        (4.8, 1.25 * 4.8 - 2.2 + 0.2, 0.2),  # x = 0.2 > 0 but within 2 sigma
        (5.0, 3.5, 0.1),  # x = -0.55: explosion side of the line
    ],
)
def test_ms_mb_wording_never_goes_beyond_the_criterion(mb: float, ms: float, se: float) -> None:
    d = screen_ms_mb(mb, ms, mb_stderr=se, ms_stderr=se)
    for phrase in FORBIDDEN:
        assert phrase not in d.explanation
    if d.screened_out:
        assert "screened out as natural by the Ms:mb criterion" in d.explanation
    else:
        assert "cannot be screened out by the Ms:mb criterion" in d.explanation


def test_earthquake_side_within_uncertainty_says_so() -> None:
    mb = 4.8
    d = screen_ms_mb(mb, 1.25 * mb - 2.2 + 0.2, mb_stderr=0.2, ms_stderr=0.2)
    assert d.outcome == "not screened out"
    assert "on the earthquake side of the Ms:mb line" in d.explanation
    assert "within 2 standard errors" in d.explanation


def test_explosion_side_says_only_cannot_be_screened_out() -> None:
    d = screen_ms_mb(5.0, 3.5, mb_stderr=0.1, ms_stderr=0.1)
    assert "earthquake side" not in d.explanation
    assert d.explanation.endswith("cannot be screened out by the Ms:mb criterion")


def test_depth_wording() -> None:
    assert "screened out as natural by the depth criterion" in screen_depth(30.0, 5.0).explanation
    shallow = screen_depth(15.0, 5.0).explanation
    assert "cannot be screened out by the depth criterion" in shallow
    for phrase in FORBIDDEN:
        assert phrase not in shallow
