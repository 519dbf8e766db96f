"""Helpers the benchmark scripts share: the machine description, binomial intervals and
running independent trials on worker processes."""

from __future__ import annotations

import multiprocessing
import os
import platform
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from scipy import stats

Task = TypeVar("Task")
Result = TypeVar("Result")


def cpu_model() -> str:
    """The processor's model name (from /proc/cpuinfo where there is one)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine(**versions: str) -> dict[str, Any]:
    """What the figures were measured on, with the versions of the libraries timed."""
    return {
        "cpu_count": os.cpu_count(),
        "cpu": cpu_model(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        **versions,
    }


def clopper_pearson(successes: int, trials: int, level: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper-Pearson) two-sided interval of a binomial proportion."""
    if trials == 0:
        return (0.0, 1.0)
    alpha = 1.0 - level
    low = (
        0.0
        if successes == 0
        else float(stats.beta.ppf(alpha / 2, successes, trials - successes + 1))
    )
    high = (
        1.0
        if successes == trials
        else float(stats.beta.ppf(1 - alpha / 2, successes + 1, trials - successes))
    )
    return low, high


def rate(successes: int, trials: int) -> dict[str, Any]:
    """A proportion with its 95 % Clopper-Pearson interval."""
    low, high = clopper_pearson(successes, trials)
    return {"count": successes, "trials": trials, "rate": successes / trials, "ci95": [low, high]}


def map_trials(
    trial: Callable[[Task], Result], tasks: Sequence[Task], workers: int, chunksize: int = 8
) -> list[Result]:
    """``[trial(t) for t in tasks]``, in order, on ``workers`` forked processes (in this
    process when ``workers`` is 1). Trials seed their own generators, so the results do
    not depend on ``workers``."""
    if workers <= 1:
        return [trial(task) for task in tasks]
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        return pool.map(trial, tasks, chunksize=chunksize)
