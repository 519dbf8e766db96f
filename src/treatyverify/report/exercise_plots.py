"""Figures of a verification exercise's Monte Carlo (issue 7, item 5).

``timeline_figure``
    the ledger of one representative run: record kinds against time (UTC), alarms marked.
``detection_figure``
    detection probability and false-alarm rate, each with its Clopper-Pearson interval,
    against the swept parameter (one point without a sweep).
``operating_figure``
    the operating characteristic of each method: pass probability with its interval by
    the items' true kind, against the swept parameter when there is a sweep.
``effort_figure``
    mean inspection effort per run at each sweep point.

Each function returns a :class:`matplotlib.figure.Figure` drawn on its own Agg canvas
(pyplot is never used, so no global state is shared between calls), or ``None`` when
there is nothing to draw; :func:`exercise_figures` gathers them with the reason for
each figure left out.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from treatyverify.exercise.montecarlo import ExerciseResult, OperatingPoint, PointResult
from treatyverify.exercise.outcome import RunOutcome
from treatyverify.exercise.stats import Estimate

__all__ = [
    "ExerciseFigure",
    "SweepAxis",
    "detection_figure",
    "effort_figure",
    "exercise_figures",
    "new_figure",
    "operating_figure",
    "representative_run",
    "sweep_axis",
    "timeline_figure",
]

_VIOLATION_COLOUR = "tab:red"
_FALSE_ALARM_COLOUR = "tab:orange"
_GENUINE_COLOUR = "tab:green"
_EVENT_COLOUR = "tab:blue"
_MAX_COLUMNS = 3


@dataclass(frozen=True)
class ExerciseFigure:
    """One figure of the report, or the reason it was left out.

    Attributes
    ----------
    name
        File stem (``timeline``, ``detection``, ``operating``, ``effort``).
    caption
        One sentence saying what the figure shows.
    figure
        The figure; ``None`` when there was nothing to draw.
    skipped
        Why the figure was not drawn (empty when it was).
    """

    name: str
    caption: str
    figure: Figure | None
    skipped: str = ""


@dataclass(frozen=True)
class SweepAxis:
    """Where the sweep points sit on a plot's x axis.

    Attributes
    ----------
    positions
        x position of each point (the swept values when they are all numbers, else
        0, 1, 2 ...).
    labels
        Tick label of each point.
    numeric
        Whether ``positions`` are the swept values themselves.
    title
        Axis label: the swept parameter, or ``"no sweep"``.
    """

    positions: tuple[float, ...]
    labels: tuple[str, ...]
    numeric: bool
    title: str


def new_figure(width_in: float, height_in: float) -> Figure:
    """A figure of ``width_in`` x ``height_in`` inches on its own Agg canvas."""
    figure = Figure(figsize=(width_in, height_in), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def sweep_axis(result: ExerciseResult) -> SweepAxis:
    """The x axis shared by the per-point figures of ``result``."""
    values = [point.value for point in result.points]
    sweep = result.scenario.scenario.sweep
    if sweep is None or all(value is None for value in values):
        return SweepAxis(tuple(range(len(values))), ("all runs",) * len(values), False, "no sweep")
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    labels = tuple(str(value) for value in values)
    if len(numbers) == len(values):
        return SweepAxis(tuple(float(v) for v in numbers), labels, True, sweep.parameter)
    return SweepAxis(tuple(float(i) for i in range(len(values))), labels, False, sweep.parameter)


def _apply_sweep_ticks(axes: Axes, axis: SweepAxis) -> None:
    axes.set_xlabel(axis.title)
    if not axis.numeric:
        axes.set_xticks(list(axis.positions), list(axis.labels))
        low, high = min(axis.positions), max(axis.positions)
        axes.set_xlim(low - 0.5, high + 0.5)


def _error_bar(
    axes: Axes,
    positions: Sequence[float],
    estimates: Sequence[Estimate],
    *,
    label: str,
    colour: str,
    marker: str,
    joined: bool,
) -> None:
    """Estimates at ``positions`` with asymmetric bars to their interval limits."""
    values = [e.value for e in estimates]
    below = [e.value - e.low for e in estimates]
    above = [e.high - e.value for e in estimates]
    axes.errorbar(
        list(positions),
        values,
        yerr=[below, above],
        fmt=marker + ("-" if joined else ""),
        color=colour,
        capsize=4,
        label=label,
    )


def _probability_axis(axes: Axes, label: str) -> None:
    axes.set_ylim(-0.03, 1.03)
    axes.set_ylabel(label)
    axes.grid(True, alpha=0.3)


def representative_run(result: ExerciseResult) -> tuple[PointResult, RunOutcome] | None:
    """The first violating run of the first point, else its first compliant run."""
    if not result.points:
        return None
    first = result.points[0]
    if first.cheating:
        return first, first.cheating[0]
    if first.compliant:
        return first, first.compliant[0]
    return None


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


_TIME_UNITS = ((7_200.0, 60.0, "min"), (259_200.0, 3_600.0, "h"), (math.inf, 86_400.0, "d"))
"""(longest span (s), unit (s), unit name): the timeline's x unit for a given span."""


def _elapsed(run: RunOutcome) -> tuple[list[float], str]:
    """Time of each record since the run's first record, in a unit suited to the span."""
    moments = [_parse_time(event.time) for event in run.events]
    first = min(moments)
    seconds = [(moment - first).total_seconds() for moment in moments]
    longest = max(seconds)
    unit, name = next((u, n) for span, u, n in _TIME_UNITS if longest <= span)
    start = first.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    return [s / unit for s in seconds], f"time since {start} UTC ({name})"


def timeline_figure(run: RunOutcome, *, point_label: str = "") -> Figure | None:
    """Record kinds of ``run``'s ledger against time (UTC), with its alarms marked.

    Parameters
    ----------
    run
        The run to draw.
    point_label
        Shown in the title (for example ``"inspector.quota = 4"``); empty without a sweep.

    Returns
    -------
    Figure or None
        ``None`` when the run has no records.
    """
    if not run.events:
        return None
    kinds = list(dict.fromkeys(event.kind for event in run.events))
    row = {kind: index for index, kind in enumerate(kinds)}
    times, time_label = _elapsed(run)
    figure = new_figure(10.0, 1.6 + 0.35 * len(kinds))
    axes = figure.add_subplot()
    axes.scatter(
        times, [row[e.kind] for e in run.events], s=14, color=_EVENT_COLOUR, label="record"
    )
    _mark_alarms(axes, run, times, row)
    axes.set_yticks(range(len(kinds)), kinds)
    axes.set_ylim(-0.7, len(kinds) - 0.3)
    axes.set_xlabel(time_label)
    axes.grid(True, axis="x", alpha=0.3)
    twin = "violating host" if run.cheat else "compliant host"
    suffix = f", {point_label}" if point_label else ""
    axes.set_title(f"Run {run.index} ({twin}{suffix}): {run.records} ledger records")
    axes.legend(loc="upper left", fontsize="small")
    return figure


def _mark_alarms(axes: Axes, run: RunOutcome, times: Sequence[float], row: dict[str, int]) -> None:
    """Cross each alarm's finding record: red on the violation, orange otherwise."""
    labelled: set[bool] = set()
    for alarm in run.alarms:
        if not 0 <= alarm.seq < len(run.events):
            continue
        event = run.events[alarm.seq]
        colour = _VIOLATION_COLOUR if alarm.cheating else _FALSE_ALARM_COLOUR
        name = "alarm on the violation" if alarm.cheating else "false alarm"
        axes.scatter(
            [times[alarm.seq]],
            [row[event.kind]],
            s=90,
            marker="X",
            color=colour,
            zorder=3,
            label=None if alarm.cheating in labelled else name,
        )
        labelled.add(alarm.cheating)
        axes.annotate(
            alarm.subject,
            (times[alarm.seq], row[event.kind]),
            textcoords="offset points",
            xytext=(4, 6),
            fontsize=7,
            color=colour,
        )


def detection_figure(result: ExerciseResult) -> Figure | None:
    """Detection probability and false-alarm rate with their intervals, per sweep point.

    Returns
    -------
    Figure or None
        ``None`` when no point has any run.
    """
    axis = sweep_axis(result)
    detected = [(x, p.detection) for x, p in zip(axis.positions, result.points, strict=True)]
    found = [(x, e) for x, e in detected if e is not None]
    alarms = [
        (x, p.false_alarm)
        for x, p in zip(axis.positions, result.points, strict=True)
        if p.compliant
    ]
    if not found and not alarms:
        return None
    figure = new_figure(7.0, 4.5)
    axes = figure.add_subplot()
    joined = len(result.points) > 1
    level = (found or alarms)[0][1].confidence
    if found:
        _error_bar(
            axes,
            [x for x, _ in found],
            [e for _, e in found],
            label=f"detection probability ({level:.0%} CI)",
            colour=_VIOLATION_COLOUR,
            marker="o",
            joined=joined,
        )
    if alarms:
        _error_bar(
            axes,
            [x for x, _ in alarms],
            [e for _, e in alarms],
            label=f"false-alarm rate ({level:.0%} CI)",
            colour=_FALSE_ALARM_COLOUR,
            marker="s",
            joined=joined,
        )
    _apply_sweep_ticks(axes, axis)
    _probability_axis(axes, "probability per run")
    axes.set_title("Detection and false alarms (Clopper-Pearson intervals)")
    axes.legend(loc="best", fontsize="small")
    return figure


def _kind_order(points: Sequence[OperatingPoint]) -> list[tuple[str, bool]]:
    """True item kinds, genuine ones first, each once."""
    kinds = {(op.item_kind, op.genuine) for op in points}
    return sorted(kinds, key=lambda pair: (not pair[1], pair[0]))


def _grid(figure: Figure, count: int) -> list[Axes]:
    columns = min(_MAX_COLUMNS, count)
    rows = math.ceil(count / columns)
    axes = [figure.add_subplot(rows, columns, i + 1) for i in range(count)]
    return axes


def operating_figure(result: ExerciseResult) -> Figure | None:
    """Pass probability of each method by true item kind, with intervals.

    Without a sweep each method's panel has the item kinds on its x axis; with a sweep
    it has the swept value on its x axis and one line per item kind.

    Returns
    -------
    Figure or None
        ``None`` when no method released a result (no barrier measurement).
    """
    per_point = [point.operating for point in result.points]
    methods = sorted({op.method for ops in per_point for op in ops})
    if not methods:
        return None
    columns = min(_MAX_COLUMNS, len(methods))
    rows = math.ceil(len(methods) / columns)
    figure = new_figure(max(6.0, 4.2 * columns), 3.4 * rows)
    axis = sweep_axis(result)
    for axes, method in zip(_grid(figure, len(methods)), methods, strict=True):
        chosen = [[op for op in ops if op.method == method] for ops in per_point]
        if len(result.points) > 1:
            _operating_sweep(axes, axis, chosen)
        else:
            _operating_kinds(axes, chosen[0])
        axes.set_title(method, fontsize="medium")
        _probability_axis(axes, "pass probability")
    figure.suptitle(
        "Operating characteristic of each method (Clopper-Pearson intervals)", fontsize="medium"
    )
    return figure


def _operating_kinds(axes: Axes, points: Sequence[OperatingPoint]) -> None:
    order = _kind_order(points)
    by_kind = {(op.item_kind, op.genuine): op for op in points}
    for position, key in enumerate(order):
        colour = _GENUINE_COLOUR if key[1] else _VIOLATION_COLOUR
        _error_bar(
            axes,
            [float(position)],
            [by_kind[key].passed],
            label="genuine" if key[1] else "not genuine",
            colour=colour,
            marker="o",
            joined=False,
        )
    axes.set_xticks(range(len(order)), [kind for kind, _ in order], rotation=20, fontsize=7)
    axes.set_xlim(-0.5, len(order) - 0.5)
    axes.set_xlabel("true item kind")


def _operating_sweep(
    axes: Axes, axis: SweepAxis, chosen: Sequence[Sequence[OperatingPoint]]
) -> None:
    order = _kind_order([op for ops in chosen for op in ops])
    for item_kind, genuine in order:
        xs: list[float] = []
        estimates: list[Estimate] = []
        for position, ops in zip(axis.positions, chosen, strict=True):
            for op in ops:
                if (op.item_kind, op.genuine) == (item_kind, genuine):
                    xs.append(position)
                    estimates.append(op.passed)
        _error_bar(
            axes,
            xs,
            estimates,
            label=f"{item_kind} ({'genuine' if genuine else 'not genuine'})",
            colour=_GENUINE_COLOUR if genuine else _VIOLATION_COLOUR,
            marker="o" if genuine else "^",
            joined=True,
        )
    _apply_sweep_ticks(axes, axis)
    axes.legend(loc="best", fontsize="x-small")


def effort_figure(result: ExerciseResult) -> Figure | None:
    """Mean effort per run (one panel per kind of effort) at each sweep point.

    Returns
    -------
    Figure or None
        ``None`` when no run recorded any effort.
    """
    efforts = [point.effort if point.cheating or point.compliant else {} for point in result.points]
    names = sorted({name for effort in efforts for name in effort})
    if not names:
        return None
    columns = min(_MAX_COLUMNS, len(names))
    rows = math.ceil(len(names) / columns)
    figure = new_figure(max(6.0, 4.0 * columns), 3.0 * rows)
    axis = sweep_axis(result)
    width = _bar_width(axis)
    for axes, name in zip(_grid(figure, len(names)), names, strict=True):
        heights = [effort.get(name, 0.0) for effort in efforts]
        axes.bar(list(axis.positions), heights, width=width, color=_EVENT_COLOUR)
        _apply_sweep_ticks(axes, axis)
        axes.set_title(name, fontsize="medium")
        axes.set_ylabel("mean per run")
        axes.grid(True, axis="y", alpha=0.3)
    figure.suptitle("Inspection effort per run")
    return figure


def _bar_width(axis: SweepAxis) -> float:
    if not axis.numeric or len(axis.positions) < 2:
        return 0.6
    ordered = sorted(axis.positions)
    gaps = [b - a for a, b in itertools.pairwise(ordered) if b > a]
    return 0.6 * min(gaps) if gaps else 0.6


def exercise_figures(result: ExerciseResult) -> list[ExerciseFigure]:
    """Every figure of the report, in order, each drawn or with the reason it is not."""
    chosen = representative_run(result)
    timeline = None
    label = ""
    if chosen is not None:
        point, run = chosen
        sweep = result.scenario.scenario.sweep
        if sweep is not None and point.value is not None:
            label = f"{sweep.parameter} = {point.value}"
        timeline = timeline_figure(run, point_label=label)
    return [
        ExerciseFigure(
            "timeline",
            "Ledger records of one representative run (the first violating run of the "
            "first point, else its first compliant run), by record kind; crosses mark alarms.",
            timeline,
            "" if timeline is not None else "no run has ledger records",
        ),
        _optional(
            "detection",
            "Detection probability and false-alarm rate per run with their "
            "Clopper-Pearson intervals.",
            detection_figure(result),
            "no runs",
        ),
        _optional(
            "operating",
            "Operating characteristic: how often each method passed items of each true kind.",
            operating_figure(result),
            "no method results (no item was measured through the information barrier)",
        ),
        _optional(
            "effort",
            "Mean inspection effort per run.",
            effort_figure(result),
            "no run recorded any effort",
        ),
    ]


def _optional(name: str, caption: str, figure: Figure | None, reason: str) -> ExerciseFigure:
    return ExerciseFigure(name, caption, figure, "" if figure is not None else reason)
