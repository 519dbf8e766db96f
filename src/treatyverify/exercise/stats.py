"""Binomial estimates with exact (Clopper-Pearson) confidence intervals."""

from __future__ import annotations

from dataclasses import dataclass

from scipy import stats

__all__ = ["Estimate"]


@dataclass(frozen=True)
class Estimate:
    """A proportion estimated from ``successes`` out of ``trials``.

    Attributes
    ----------
    successes, trials
        The counts.
    value
        ``successes / trials``.
    low, high
        Two-sided Clopper-Pearson interval at ``confidence`` (exact: its coverage is at
        least the confidence for every true proportion; Clopper & Pearson, Biometrika
        26 (1934) 404).
    confidence
        Confidence level of the interval.
    """

    successes: int
    trials: int
    value: float
    low: float
    high: float
    confidence: float

    @classmethod
    def of(cls, successes: int, trials: int, confidence: float = 0.95) -> Estimate:
        """Estimate from counts; ``trials`` must be positive."""
        if trials <= 0 or not 0 <= successes <= trials:
            raise ValueError("need 0 <= successes <= trials and trials > 0")
        tail = (1.0 - confidence) / 2.0
        low = (
            0.0
            if successes == 0
            else float(stats.beta.ppf(tail, successes, trials - successes + 1))
        )
        high = (
            1.0
            if successes == trials
            else float(stats.beta.ppf(1.0 - tail, successes + 1, trials - successes))
        )
        return cls(successes, trials, successes / trials, low, high, confidence)

    def to_json(self) -> dict[str, float | int]:
        """A JSON-ready dictionary."""
        return {
            "successes": self.successes,
            "trials": self.trials,
            "value": self.value,
            "low": self.low,
            "high": self.high,
            "confidence": self.confidence,
        }
