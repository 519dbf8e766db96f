"""The report of a verification exercise: HTML, PDF, JSON and figures (issue 7, item 5).

:func:`write_exercise_report` writes, into one folder,

``report.html``
    a self-contained page (no JavaScript, no external resources) rendered from the
    Jinja2 template ``templates/exercise.html.j2`` with autoescaping;
``report.pdf``
    the same summary drawn as text pages, followed by the figures (matplotlib PdfPages);
``summary.json``
    :meth:`ExerciseResult.to_json`;
``runs.jsonl``
    one JSON line per run: its sweep point, twin (violating or compliant) and outcome;
``figures/*.png``
    the figures of :mod:`treatyverify.report.exercise_plots`.

Everything is built in a hidden staging folder beside the target and moved into place
at the end, so a failure never leaves a half-written report; staging that a killed run
left is removed by the next run (see :func:`treatyverify.files.staging_folder`). A
non-empty target folder is replaced only if it is an earlier exercise report: it holds
:data:`MARKER` and no file that a report does not write (:data:`LAYOUT`), so a
folder with anything else in it (notes, a ledger) is refused, never removed.
The report shows only what the result holds; the information-barrier section lists
every released ``method.output`` value, and nothing else left the barrier.
"""

from __future__ import annotations

import io
import json
import textwrap
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from matplotlib.backends.backend_pdf import PdfPages

from treatyverify.errors import InputError
from treatyverify.exercise.montecarlo import ExerciseResult, PointResult
from treatyverify.exercise.stats import Estimate
from treatyverify.files import check_output_folder, publish_folder, staging_folder
from treatyverify.report.exercise_plots import ExerciseFigure, exercise_figures, new_figure

__all__ = [
    "LAYOUT",
    "MARKER",
    "ExerciseReportFiles",
    "check_report_folder",
    "format_estimate",
    "render_html",
    "report_context",
    "summary_lines",
    "write_exercise_report",
]

MARKER = ".treatyverify-exercise-report"
"""File that marks a folder as written by :func:`write_exercise_report`."""
LAYOUT = ("report.html", "report.pdf", "summary.json", "runs.jsonl", "figures/*.png")
"""The files a report folder holds besides :data:`MARKER` (patterns, relative)."""

_TEMPLATE = "exercise.html.j2"
_PAGE_IN = (8.27, 11.69)  # A4 portrait (inches)
_LINES_PER_PAGE = 62
_WRAP = 100
_GROUND_TRUTH = (
    "This report is the exercise controller's view. The true kind of each item, whether "
    "it is genuine, and whether an alarm concerned the host's violation are simulation "
    "truth: they classify the outcomes here and were never released to the parties, "
    "whose records hold only the declared outputs of the information barrier."
)


@dataclass(frozen=True)
class ExerciseReportFiles:
    """The files :func:`write_exercise_report` wrote (paths in the final folder).

    Attributes
    ----------
    folder
        The report folder.
    html, pdf, summary, runs
        ``report.html``, ``report.pdf``, ``summary.json`` and ``runs.jsonl``.
    figures
        The PNG figures drawn, in report order.
    skipped
        Figures not drawn, each with the reason (also stated in the report).
    marker
        The marker file.
    """

    folder: Path
    html: Path
    pdf: Path
    summary: Path
    runs: Path
    figures: tuple[Path, ...]
    skipped: tuple[tuple[str, str], ...]
    marker: Path


def write_exercise_report(
    result: ExerciseResult, out: Path, *, protected: Sequence[str | Path] = ()
) -> ExerciseReportFiles:
    """Write the report of ``result`` into the folder ``out``, all or nothing.

    Parameters
    ----------
    result
        The exercise's Monte Carlo result.
    out
        Report folder; created if missing. An existing non-empty folder is replaced
        only when it is an earlier exercise report (see :func:`check_report_folder`).
    protected
        Paths the folder must not hold (the ledger).

    Returns
    -------
    ExerciseReportFiles
        The paths written.

    Raises
    ------
    InputError
        ``out`` is a file, or a non-empty folder that is not an exercise report's, or
        the files cannot be written; ``where`` names the folder.
    """
    target = check_report_folder(out, protected=protected)
    figures = exercise_figures(result)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with staging_folder(target) as staging:
            _write_all(result, figures, staging)
            check_report_folder(
                target, protected=protected
            )  # again: the folder may have changed meanwhile
            publish_folder(staging, target)
    except OSError as exc:
        raise InputError(
            f"cannot write the report ({exc.strerror or exc})", where=str(target)
        ) from None
    return _files(target, figures)


def check_report_folder(out: Path, *, protected: Sequence[str | Path] = ()) -> Path:
    """``out`` if a report may be written there: a new or empty folder, or an earlier
    report's; never a file, a folder of other files, or one that holds a ``protected``
    path (the ledger). Call it before the exercise runs, so a bad folder fails at once.

    Raises
    ------
    InputError
        Naming the folder.
    """
    return check_output_folder(
        out, marker=MARKER, layout=LAYOUT, what="an exercise report", protected=protected
    )


def _files(target: Path, figures: Sequence[ExerciseFigure]) -> ExerciseReportFiles:
    return ExerciseReportFiles(
        folder=target,
        html=target / "report.html",
        pdf=target / "report.pdf",
        summary=target / "summary.json",
        runs=target / "runs.jsonl",
        figures=tuple(
            target / "figures" / f"{f.name}.png" for f in figures if f.figure is not None
        ),
        skipped=tuple((f.name, f.skipped) for f in figures if f.figure is None),
        marker=target / MARKER,
    )


def _write_all(result: ExerciseResult, figures: Sequence[ExerciseFigure], folder: Path) -> None:
    (folder / "figures").mkdir()
    for entry in figures:
        if entry.figure is not None:
            entry.figure.savefig(folder / "figures" / f"{entry.name}.png", format="png")
    context = report_context(result, figures)
    (folder / "report.html").write_text(render_html(context), encoding="utf-8")
    (folder / "report.pdf").write_bytes(_pdf_bytes(context, figures))
    summary = json.dumps(result.to_json(), indent=2, allow_nan=False)
    (folder / "summary.json").write_text(summary + "\n", encoding="utf-8")
    with (folder / "runs.jsonl").open("w", encoding="utf-8") as handle:
        for line in _run_lines(result):
            handle.write(line + "\n")
    marker = {"written_by": "treatyverify exercise report", "scenario": context["scenario"]}
    (folder / MARKER).write_text(json.dumps(marker) + "\n", encoding="utf-8")


def _run_lines(result: ExerciseResult) -> Iterator[str]:
    """One compact JSON document per run, point by point, violating runs first."""
    for index, point in enumerate(result.points):
        for twin, runs in (("violating", point.cheating), ("compliant", point.compliant)):
            for run in runs:
                document = {"point": index, "value": point.value, "twin": twin, **run.to_json()}
                yield json.dumps(document, separators=(",", ":"), allow_nan=False)


def format_estimate(estimate: Estimate | None) -> str:
    """``"0.700 [0.348, 0.933] (7/10)"``; ``"n/a"`` for ``None``."""
    if estimate is None:
        return "n/a"
    return (
        f"{estimate.value:.3f} [{estimate.low:.3f}, {estimate.high:.3f}] "
        f"({estimate.successes}/{estimate.trials})"
    )


def _point_label(result: ExerciseResult, point: PointResult) -> str:
    sweep = result.scenario.scenario.sweep
    if sweep is None or point.value is None:
        return "all runs"
    return f"{sweep.parameter} = {point.value}"


def _point_row(result: ExerciseResult, point: PointResult) -> dict[str, Any]:
    return {
        "label": _point_label(result, point),
        "cheating_runs": len(point.cheating),
        "compliant_runs": len(point.compliant),
        "detection": format_estimate(point.detection) if point.cheating else "n/a (no violation)",
        "false_alarm": format_estimate(point.false_alarm) if point.compliant else "n/a",
        "remeasured": point.remeasured,
        "effort": {name: f"{value:.4g}" for name, value in point.effort.items()}
        if point.cheating or point.compliant
        else {},
    }


def _operating_rows(result: ExerciseResult) -> list[dict[str, str]]:
    rows = []
    for point in result.points:
        for op in point.operating:
            rows.append(
                {
                    "point": _point_label(result, point),
                    "method": op.method,
                    "item_kind": op.item_kind,
                    "genuine": "yes" if op.genuine else "no",
                    "passed": format_estimate(op.passed),
                    "inconclusive": str(op.inconclusive),
                    "errors": str(op.errors),
                }
            )
    return rows


def _release_rows(result: ExerciseResult) -> list[dict[str, Any]]:
    rows = []
    for point in result.points:
        for key, counts in point.releases.items():
            rows.append(
                {
                    "point": _point_label(result, point),
                    "output": key,
                    "values": [(value, count) for value, count in counts.items()],
                }
            )
    return rows


def _ledger_summary(result: ExerciseResult) -> dict[str, Any]:
    runs = [run for point in result.points for run in point.cheating + point.compliant]
    reports = Counter(run.report_status for run in runs)
    alarms = Counter(alarm.status for run in runs for alarm in run.alarms)
    failed = sum(not run.verified for run in runs)
    return {
        "runs": len(runs),
        "all_verified": failed == 0 and bool(runs),
        "unverified": failed,
        "report_states": sorted(reports.items()),
        "alarm_states": sorted(alarms.items()),
    }


def _notes(result: ExerciseResult) -> list[tuple[str, str, int]]:
    counted: Counter[tuple[str, str]] = Counter()
    for point in result.points:
        for run in point.cheating + point.compliant:
            counted.update((str(k), str(v)) for k, v in run.notes.items())
    return [(key, value, count) for (key, value), count in sorted(counted.items())]


def report_context(
    result: ExerciseResult, figures: Sequence[ExerciseFigure] = ()
) -> dict[str, Any]:
    """Everything the report shows, as plain values (shared by the HTML and the PDF).

    Parameters
    ----------
    result
        The exercise's result.
    figures
        The figures, drawn or skipped.
    """
    summary = result.to_json()
    total = sum(len(p.cheating) + len(p.compliant) for p in result.points)
    confidence = _confidence(result)
    return {
        **{key: summary[key] for key in ("scenario", "title", "file", "treaty", "regime")},
        "sha256": summary["scenario_sha256"],
        "spec_digest": summary["spec_digest"],
        "strategy": summary["strategy"],
        "sweep": summary["sweep"],
        "seed": result.seed,
        "runs": result.runs,
        "total_runs": total,
        "workers": result.workers,
        "scheduler": result.scheduler or "none (local processes)",
        "elapsed_s": f"{result.elapsed_s:.3f}",
        "per_run_s": f"{result.elapsed_s / total:.4g}" if total else "n/a",
        "confidence": f"{confidence:.0%}",
        "points": [_point_row(result, point) for point in result.points],
        "effort_names": sorted({name for p in result.points for name in _efforts(p)}),
        "releases": _release_rows(result),
        "operating": _operating_rows(result),
        "ledger": _ledger_summary(result),
        "notes": _notes(result),
        "ground_truth": _GROUND_TRUTH,
        "figures": [
            {"name": f.name, "file": f"figures/{f.name}.png", "caption": f.caption}
            for f in figures
            if f.figure is not None
        ],
        "skipped": [(f.name, f.skipped) for f in figures if f.figure is None],
    }


def _efforts(point: PointResult) -> dict[str, float]:
    return point.effort if point.cheating or point.compliant else {}


def _confidence(result: ExerciseResult) -> float:
    for point in result.points:
        if point.compliant:
            return point.false_alarm.confidence
        if point.cheating and point.detection is not None:
            return point.detection.confidence
    return 0.95


def render_html(context: dict[str, Any]) -> str:
    """The HTML page for ``context`` (see :func:`report_context`), autoescaped."""
    folder = resources.files("treatyverify.report") / "templates"
    source = (folder / _TEMPLATE).read_text(encoding="utf-8")
    environment = jinja2.Environment(
        autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True
    )
    return environment.from_string(source).render(**context)


def summary_lines(context: dict[str, Any]) -> list[str]:
    """The report's summary as plain text lines (the PDF's text pages)."""
    lines = [
        f"Exercise report: {context['title']}",
        "",
        f"scenario {context['scenario']} (file {context['file']})",
        f"scenario sha256 {context['sha256']}",
        f"treaty {context['treaty']}, spec digest {context['spec_digest']}",
        f"regime {context['regime']}, strategy {context['strategy']}",
        f"sweep {context['sweep'] or 'none'}",
        f"seed {context['seed']}, {context['runs']} runs per strategy and point, "
        f"{context['total_runs']} runs in all",
        f"workers {context['workers']}, scheduler {context['scheduler']}",
        f"elapsed {context['elapsed_s']} s ({context['per_run_s']} s per run)",
        "",
        f"Results per point (estimate [{context['confidence']} Clopper-Pearson interval] "
        "(successes/trials)):",
    ]
    for row in context["points"]:
        lines.append(
            f"- {row['label']}: {row['cheating_runs']} violating, "
            f"{row['compliant_runs']} compliant runs"
        )
        lines.append(f"    detection probability {row['detection']}")
        lines.append(f"    false-alarm rate      {row['false_alarm']}")
        lines.append(f"    items to re-measure   {row['remeasured']} (inconclusive attributes)")
        effort = ", ".join(f"{name} {value}" for name, value in row["effort"].items())
        lines.append(f"    mean effort per run   {effort or 'none recorded'}")
    lines += ["", "Released through the information barrier (method.output: value x count):"]
    for release in context["releases"]:
        shown = ", ".join(f"{value} x {count}" for value, count in release["values"])
        lines.append(f"- {release['point']}: {release['output']}: {shown}")
    if not context["releases"]:
        lines.append("- nothing was released")
    lines.append("Nothing else left the information barrier.")
    if context["operating"]:
        lines += [
            "",
            "Operating characteristic (pass probability by true item kind; an inconclusive "
            "release is never a pass, and would lead to a re-measurement):",
        ]
    for row in context["operating"]:
        genuine = "genuine" if row["genuine"] == "yes" else "not genuine"
        lines.append(
            f"- {row['point']}: {row['method']} on {row['item_kind']} ({genuine}): "
            f"{row['passed']}, {row['inconclusive']} inconclusive, {row['errors']} errors"
        )
    lines += _ledger_lines(context)
    lines += ["", "Ground truth:", context["ground_truth"]]
    lines += ["", "Notes from the runs:"]
    lines += [f"- {key}: {value} ({count} runs)" for key, value, count in context["notes"]]
    if not context["notes"]:
        lines.append("- none")
    lines += [f"Figure {name} not drawn: {reason}." for name, reason in context["skipped"]]
    wrapped: list[str] = []
    for line in lines:
        wrapped += textwrap.wrap(line, _WRAP, subsequent_indent="    ") or [""]
    return wrapped


def _ledger_lines(context: dict[str, Any]) -> list[str]:
    ledger = context["ledger"]
    reports = ", ".join(f"{state} {count}" for state, count in ledger["report_states"])
    alarms = ", ".join(f"{state} {count}" for state, count in ledger["alarm_states"])
    return [
        "",
        f"Ledgers: all {ledger['runs']} run ledgers verified: "
        f"{'yes' if ledger['all_verified'] else 'no'} ({ledger['unverified']} not verified)",
        f"Final reports by consensus state: {reports or 'none'}",
        f"Alarms by consensus state: {alarms or 'none'}",
    ]


def _pdf_bytes(context: dict[str, Any], figures: Sequence[ExerciseFigure]) -> bytes:
    """Text pages of the summary, then one page per figure drawn."""
    buffer = io.BytesIO()
    metadata = {"Title": f"Exercise report: {context['title']}", "CreationDate": None}
    with PdfPages(buffer, metadata=metadata) as pdf:
        lines = summary_lines(context)
        for start in range(0, len(lines), _LINES_PER_PAGE):
            page = new_figure(*_PAGE_IN)
            text = "\n".join(lines[start : start + _LINES_PER_PAGE])
            page.text(0.06, 0.96, text, va="top", ha="left", family="monospace", fontsize=7.5)
            pdf.savefig(page)
        for entry in figures:
            if entry.figure is not None:
                pdf.savefig(entry.figure)
    return buffer.getvalue()
