"""Monte Carlo over many runs of an exercise, in local processes or on a Dask cluster.

Run ``i`` of a batch always gets the seed sequence ``SeedSequence(seed, spawn_key=(twin,
i))`` (``twin`` 0 for runs with the host's violation, 1 for the compliant twin runs that
measure false alarms), and results are put back in run order; so the same seed gives
the same results whatever the number of workers or the scheduler. Sweep points share
those seeds (common random numbers), which makes differences between points sharper.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import shutil
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from treatyverify.barrier.barrier import STATUS_ERROR, STATUS_INCONCLUSIVE
from treatyverify.errors import InputError
from treatyverify.exercise.loader import LoadedScenario, cached_scenario
from treatyverify.exercise.outcome import RunOutcome
from treatyverify.exercise.scenario import MAX_RUNS
from treatyverify.exercise.stats import Estimate
from treatyverify.exercise.world import RunContext
from treatyverify.files import owner_tag, process_gone

__all__ = [
    "ExerciseResult",
    "OperatingPoint",
    "PointResult",
    "check_run_options",
    "run_chunk",
    "run_exercise",
]

Progress = Callable[[int, int], None]

MAX_WORKERS = 256
"""Most local worker processes (a typo guard: a machine with more cores is rare)."""
_SCHEDULER = re.compile(r"(tcp|tls|inproc|ucx|ws|wss)://[!-~]{1,300}")
"""A Dask scheduler address: one of Dask's protocols, then printable ASCII."""
"""Called with (runs done, runs in all) as runs finish."""

_PREPARED: dict[tuple[str, int, str, str], Any] = {}

_MEMORY_FOLDER = Path("/dev/shm")  # noqa: S108 - only a parent for mkdtemp's private folders
"""Run ledgers are thrown away after their outcome is read; where the system offers a
memory-backed folder they live there, so SQLite's durable commits cost no disk flush."""


def _scratch_folder() -> str | None:
    """Where run ledgers go: the memory-backed folder if usable, else the default."""
    usable = _MEMORY_FOLDER.is_dir() and os.access(_MEMORY_FOLDER, os.W_OK | os.X_OK)
    return str(_MEMORY_FOLDER) if usable else None


_RUN_PREFIX = "treatyverify-run-"
_RUN_FOLDER = re.compile(r"treatyverify-run-(?P<host>[0-9a-f]+)-(?P<pid>[0-9]+)-.+")


def remove_stale_run_folders(scratch: str | None) -> list[Path]:
    """Remove run folders that killed workers left in ``scratch`` (memory, in
    /dev/shm): only ours, made on this machine by a process that no longer exists."""
    folder = Path(scratch) if scratch is not None else Path(tempfile.gettempdir())
    removed: list[Path] = []
    try:
        entries = [e for e in os.scandir(folder) if e.name.startswith(_RUN_PREFIX)]
    except OSError:
        return removed
    for entry in entries:
        match = _RUN_FOLDER.fullmatch(entry.name)
        if match is None or not process_gone(match["host"], int(match["pid"])):
            continue
        try:
            if entry.is_dir(follow_symlinks=False) and entry.stat().st_uid == os.getuid():
                shutil.rmtree(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


@dataclass(frozen=True)
class OperatingPoint:
    """How often one method passed items of one true kind.

    Attributes
    ----------
    method
        The treaty's method id.
    item_kind
        The items' true kind.
    genuine
        Whether items of this kind are what the host declared.
    passed
        Estimate of the probability of a pass (inconclusive releases and errors count
        as not passed).
    errors
        Releases that ended in an error.
    inconclusive
        Releases that measured but could not decide at the treaty's confidence; in
        practice the item would be measured again.
    """

    method: str
    item_kind: str
    genuine: bool
    passed: Estimate
    errors: int
    inconclusive: int = 0


@dataclass(frozen=True)
class PointResult:
    """The runs of one sweep point (or of the whole exercise without a sweep).

    Attributes
    ----------
    value
        The swept field's value (``None`` without a sweep).
    cheating
        Runs in which the host followed the violation (empty for a compliant strategy).
    compliant
        The compliant runs.
    """

    value: int | float | str | None
    cheating: tuple[RunOutcome, ...] = field(repr=False)
    compliant: tuple[RunOutcome, ...] = field(repr=False)

    @property
    def detection(self) -> Estimate | None:
        """Probability that a violating host is caught (an alarm on the violation)."""
        if not self.cheating:
            return None
        return Estimate.of(sum(run.detected for run in self.cheating), len(self.cheating))

    @property
    def false_alarm(self) -> Estimate:
        """Probability that a compliant host meets at least one alarm."""
        return Estimate.of(sum(run.alarmed for run in self.compliant), len(self.compliant))

    @property
    def effort(self) -> dict[str, float]:
        """Mean effort per run, over all runs of the point."""
        runs = self.cheating + self.compliant
        totals: dict[str, float] = defaultdict(float)
        for run in runs:
            for name, amount in run.effort.items():
                totals[name] += amount
        return {name: total / len(runs) for name, total in sorted(totals.items())}

    @property
    def releases(self) -> dict[str, dict[str, int]]:
        """Everything that left the barrier: ``method.output`` -> value -> count."""
        counted: dict[str, Counter[str]] = defaultdict(Counter)
        for run in self.cheating + self.compliant:
            for method, output, value in run.releases:
                counted[f"{method}.{output}"][value] += 1
        return {key: dict(sorted(counter.items())) for key, counter in sorted(counted.items())}

    @property
    def operating(self) -> list[OperatingPoint]:
        """Pass rates of each method by true item kind (the operating characteristic)."""
        passed: Counter[tuple[str, str, bool]] = Counter()
        trials: Counter[tuple[str, str, bool]] = Counter()
        errors: Counter[tuple[str, str, bool]] = Counter()
        inconclusive: Counter[tuple[str, str, bool]] = Counter()
        for run in self.cheating + self.compliant:
            for result in run.method_results:
                key = (result.method, result.item_kind, result.genuine)
                trials[key] += 1
                passed[key] += result.passed is True
                inconclusive[key] += result.status == STATUS_INCONCLUSIVE
                errors[key] += result.status == STATUS_ERROR
        return [
            OperatingPoint(
                method,
                kind,
                genuine,
                Estimate.of(passed[key], n),
                errors[key],
                inconclusive[key],
            )
            for key, n in sorted(trials.items())
            for method, kind, genuine in [key]
        ]

    @property
    def remeasured(self) -> int:
        """Items with an inconclusive attribute, over every run of the point: each
        would be measured again in practice (the simulation does not)."""
        return sum(len(run.inconclusive_items) for run in self.cheating + self.compliant)

    def to_json(self, *, include_runs: bool = False) -> dict[str, Any]:
        """A JSON-ready summary (with every run when ``include_runs``)."""
        detection = self.detection
        document: dict[str, Any] = {
            "value": self.value,
            "runs": {"cheating": len(self.cheating), "compliant": len(self.compliant)},
            "detection": detection.to_json() if detection is not None else None,
            "false_alarm": self.false_alarm.to_json(),
            "effort": self.effort,
            "releases": self.releases,
            "remeasured_items": self.remeasured,
            "operating": [
                {
                    "method": op.method,
                    "item_kind": op.item_kind,
                    "genuine": op.genuine,
                    "passed": op.passed.to_json(),
                    "errors": op.errors,
                    "inconclusive": op.inconclusive,
                }
                for op in self.operating
            ],
            "ledgers_verified": all(run.verified for run in self.cheating + self.compliant),
        }
        if include_runs:
            document["cheating_runs"] = [run.to_json() for run in self.cheating]
            document["compliant_runs"] = [run.to_json() for run in self.compliant]
        return document


@dataclass(frozen=True)
class ExerciseResult:
    """All runs of an exercise and how they were made.

    Attributes
    ----------
    scenario
        The loaded scenario.
    seed
        Root seed.
    runs
        Runs per strategy and sweep point.
    workers
        Local worker processes (``0`` when a Dask scheduler ran them).
    scheduler
        Address of the Dask scheduler, if one was used.
    elapsed_s
        Wall-clock time of the runs (s).
    points
        Results per sweep point, in the scenario's order.
    """

    scenario: LoadedScenario = field(repr=False)
    seed: int
    runs: int
    workers: int
    scheduler: str | None
    elapsed_s: float
    points: tuple[PointResult, ...]

    def to_json(self, *, include_runs: bool = False) -> dict[str, Any]:
        """A JSON-ready summary of the exercise."""
        base = self.scenario.scenario
        return {
            "scenario": base.scenario,
            "title": base.title,
            "file": self.scenario.name,
            "scenario_sha256": self.scenario.digest,
            "treaty": self.scenario.spec.id,
            "spec_digest": self.scenario.spec.digest(),
            "regime": base.regime,
            "strategy": base.strategy.kind,
            "sweep": base.sweep.parameter if base.sweep is not None else None,
            "seed": self.seed,
            "runs": self.runs,
            "workers": self.workers,
            "scheduler": self.scheduler,
            "elapsed_s": self.elapsed_s,
            "points": [point.to_json(include_runs=include_runs) for point in self.points],
        }


@dataclass(frozen=True)
class _Chunk:
    point: int
    cheat: bool
    indices: tuple[int, ...]


def run_chunk(
    text: str,
    name: str,
    base: str | None,
    point: int,
    cheat: bool,
    indices: Sequence[int],
    seed: int,
) -> list[RunOutcome]:
    """Play the runs ``indices`` of one sweep point (the unit of work sent to a worker).

    Parameters
    ----------
    text, name, base
        The scenario file's text, name and folder (each worker parses it once).
    point
        Sweep point index.
    cheat
        Whether the host follows the violation in these runs.
    indices
        Run numbers.
    seed
        Root seed.
    """
    loaded = cached_scenario(text, name, base)
    scenario = loaded.points[point][1]
    # What a regime prepares may depend on where data are found (the test-ban regime reads
    # real waveforms from $TREATYVERIFY_DATA or ../shared/data when present).
    key = (loaded.digest, point, os.environ.get("TREATYVERIFY_DATA", ""), os.getcwd())
    if key not in _PREPARED:
        _PREPARED[key] = loaded.regime.prepare(scenario, loaded.spec)
    prepared = _PREPARED[key]
    twin = 0 if cheat else 1
    outcomes = []
    for index in indices:
        sequence = np.random.SeedSequence(seed, spawn_key=(twin, index))
        scratch = _scratch_folder()
        prefix = f"{_RUN_PREFIX}{owner_tag()}-"
        with tempfile.TemporaryDirectory(prefix=prefix, dir=scratch) as folder:
            context = RunContext(
                loaded.spec,
                scenario,
                index=index,
                cheat=cheat,
                seed=sequence,
                directory=Path(folder),
            )
            truth = loaded.regime.run(context, scenario, prepared)
            outcomes.append(context.finish(truth, by=scenario.inspectors[0]))
    return outcomes


def _chunks(loaded: LoadedScenario, runs: int, size: int) -> list[_Chunk]:
    cheats = (True, False) if loaded.scenario.strategy.cheats else (False,)
    chunks = []
    for point in range(len(loaded.points)):
        for cheat in cheats:
            for start in range(0, runs, size):
                chunks.append(_Chunk(point, cheat, tuple(range(start, min(start + size, runs)))))
    return chunks


def check_run_options(
    *, runs: int | None, seed: int | None, workers: int, scheduler: str | None
) -> None:
    """Refuse run options out of range, naming the option (``None``: the scenario's)."""
    if runs is not None and not 1 <= runs <= MAX_RUNS:
        raise InputError(f"between 1 and {MAX_RUNS} runs", where="--runs")
    if seed is not None and not 0 <= seed < 2**63:
        raise InputError("the seed is an integer from 0 to 2^63 - 1", where="--seed")
    if not 1 <= workers <= MAX_WORKERS:
        raise InputError(f"between 1 and {MAX_WORKERS} workers", where="--workers")
    if scheduler is not None and not _SCHEDULER.fullmatch(scheduler):
        raise InputError("a Dask scheduler address is PROTOCOL://HOST:PORT", where="--scheduler")


def run_exercise(
    loaded: LoadedScenario,
    *,
    runs: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> ExerciseResult:
    """Run the exercise's Monte Carlo.

    Parameters
    ----------
    loaded
        The scenario.
    runs
        Runs per strategy and sweep point; the scenario's ``monte_carlo.runs`` by default.
    seed
        Root seed; the scenario's ``monte_carlo.seed`` by default.
    workers
        Local worker processes (1 runs in this process).
    scheduler
        Address of a Dask scheduler (``tcp://HOST:8786``); its workers run the chunks
        and ``workers`` is ignored. The workers must have treatyverify installed.
    progress
        Called with (runs done, runs in all).
    """
    runs = loaded.scenario.monte_carlo.runs if runs is None else runs
    seed = loaded.scenario.monte_carlo.seed if seed is None else seed
    check_run_options(runs=runs, seed=seed, workers=workers, scheduler=scheduler)
    lanes = 1 if scheduler is None and workers == 1 else max(workers, 2)
    size = max(1, min(50, runs // (4 * lanes) or 1))
    chunks = _chunks(loaded, runs, size)
    total = sum(len(chunk.indices) for chunk in chunks)
    base = str(loaded.base) if loaded.base is not None else None
    arguments = [
        (loaded.text, loaded.name, base, c.point, c.cheat, c.indices, seed) for c in chunks
    ]
    remove_stale_run_folders(_scratch_folder())  # what killed runs of this machine left
    started = time.perf_counter()
    if scheduler is not None:
        results = _run_dask(scheduler, arguments, total, progress)
    elif workers == 1:
        results = []
        done = 0
        for argument in arguments:
            results.append(run_chunk(*argument))
            done += len(argument[5])
            if progress is not None:
                progress(done, total)
    else:
        results = _run_local(workers, arguments, total, progress)
    elapsed = time.perf_counter() - started
    return ExerciseResult(
        scenario=loaded,
        seed=seed,
        runs=runs,
        workers=0 if scheduler is not None else workers,
        scheduler=scheduler,
        elapsed_s=elapsed,
        points=_assemble(loaded, chunks, results),
    )


BLAS_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
"""Environment variables the numerical libraries read for their thread count at import."""


@contextmanager
def _single_threaded_children() -> Iterator[None]:
    """Spawn worker processes with one BLAS thread each, unless the user chose a count.

    Each worker otherwise starts as many BLAS threads as there are cores, so ``workers``
    processes run ``workers x cores`` busy threads: on two cores the demo's exercise at
    three runs took 132 s instead of 25 s. The variables are
    read when a spawned child imports NumPy, so they are set only while the pool starts
    and restored afterwards.
    """
    saved = {name: os.environ.get(name) for name in BLAS_THREAD_VARIABLES}
    for name, value in saved.items():
        if value is None:
            os.environ[name] = "1"
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)


def _run_local(
    workers: int,
    arguments: Sequence[tuple[Any, ...]],
    total: int,
    progress: Progress | None,
) -> list[list[RunOutcome]]:
    context = multiprocessing.get_context("spawn")
    results: list[list[RunOutcome] | None] = [None] * len(arguments)
    with (
        _single_threaded_children(),
        ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool,
    ):
        futures: dict[Future[list[RunOutcome]], int] = {
            pool.submit(run_chunk, *argument): position
            for position, argument in enumerate(arguments)
        }
        try:
            _collect(futures, results, arguments, total, progress)
        except BaseException:
            # Stopped (a signal, Ctrl-C) or failed: drop the chunks not yet started
            # instead of waiting for every one before the error can surface.
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return [result for result in results if result is not None]


def _run_dask(
    address: str,
    arguments: Sequence[tuple[Any, ...]],
    total: int,
    progress: Progress | None,
) -> list[list[RunOutcome]]:
    from distributed import Client  # imported on demand: only --scheduler needs it
    from distributed import as_completed as dask_completed

    try:
        client = Client(address, timeout="10s")  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError) as exc:
        raise InputError(f"cannot reach the Dask scheduler: {exc}", where="--scheduler") from None
    results: list[list[RunOutcome] | None] = [None] * len(arguments)
    try:
        futures = {
            client.submit(run_chunk, *argument, pure=False): position
            for position, argument in enumerate(arguments)
        }
        done = 0
        for future in dask_completed(list(futures)):  # type: ignore[no-untyped-call]
            position = futures[future]
            results[position] = future.result()
            done += len(arguments[position][5])
            if progress is not None:
                progress(done, total)
    finally:
        client.close()  # type: ignore[no-untyped-call]
    return [result for result in results if result is not None]


def _collect(
    futures: dict[Future[list[RunOutcome]], int],
    results: list[list[RunOutcome] | None],
    arguments: Sequence[tuple[Any, ...]],
    total: int,
    progress: Progress | None,
) -> None:
    done = 0
    for future in as_completed(futures):
        position = futures[future]
        results[position] = future.result()
        done += len(arguments[position][5])
        if progress is not None:
            progress(done, total)


def _assemble(
    loaded: LoadedScenario, chunks: Iterable[_Chunk], results: Sequence[list[RunOutcome]]
) -> tuple[PointResult, ...]:
    cheating: dict[int, list[RunOutcome]] = defaultdict(list)
    compliant: dict[int, list[RunOutcome]] = defaultdict(list)
    for chunk, outcomes in zip(chunks, results, strict=True):
        (cheating if chunk.cheat else compliant)[chunk.point].extend(outcomes)
    return tuple(
        PointResult(
            value,
            tuple(sorted(cheating[point], key=lambda run: run.index)),
            tuple(sorted(compliant[point], key=lambda run: run.index)),
        )
        for point, (value, _scenario) in enumerate(loaded.points)
    )
