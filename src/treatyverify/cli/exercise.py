"""``treatyverify exercise``: list, check and run verification exercises.

``run`` plays the scenario's Monte Carlo through the real code paths (ledger, draws,
information barrier, methods, findings, co-signed report) in local worker processes
or on a Dask cluster, and writes the HTML and PDF report.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from treatyverify.cli.common import (
    App,
    JsonOption,
    console,
    emit_json,
    print_table,
    protected_paths,
)
from treatyverify.exercise import (
    ExerciseResult,
    LoadedScenario,
    load_scenario,
    run_exercise,
    shipped_scenarios,
)

app = App(
    help="Verification exercises: scenarios, Monte Carlo runs, reports.", no_args_is_help=True
)

DEFAULT_WORKERS = os.cpu_count() or 1
"""Local worker processes of ``exercise run`` unless told otherwise: one per core."""

ScenarioArgument = typer.Argument(..., help="A shipped scenario id or a scenario YAML file.")


def _describe(loaded: LoadedScenario) -> dict[str, Any]:
    scenario = loaded.scenario
    return {
        "scenario": scenario.scenario,
        "title": scenario.title,
        "file": loaded.name,
        "regime": scenario.regime,
        "treaty": loaded.spec.id,
        "host": scenario.host,
        "inspectors": list(scenario.inspectors),
        "strategy": scenario.strategy.kind,
        "timeline": [scenario.timeline.start.isoformat(), scenario.timeline.end.isoformat()],
        "runs": scenario.monte_carlo.runs,
        "seed": scenario.monte_carlo.seed,
        "sweep": (
            {"parameter": scenario.sweep.parameter, "values": list(scenario.sweep.values)}
            if scenario.sweep is not None
            else None
        ),
    }


@app.command("list")
def list_command(as_json: bool = JsonOption) -> None:
    """The shipped scenarios."""
    described = [_describe(load_scenario(name)) for name in shipped_scenarios()]
    if as_json:
        emit_json(described)
        return
    print_table(
        "Shipped exercise scenarios",
        ["scenario", "regime", "treaty", "strategy", "title"],
        [[d["scenario"], d["regime"], d["treaty"], d["strategy"], d["title"]] for d in described],
    )


@app.command("validate")
def validate_command(scenario: str = ScenarioArgument, as_json: bool = JsonOption) -> None:
    """Check a scenario file against its regime and treaty (errors name the line)."""
    described = _describe(load_scenario(scenario))
    if as_json:
        emit_json(described)
        return
    print_table("Scenario", ["field", "value"], [[k, v] for k, v in described.items()])
    console.print(f"{described['file']}: valid")


def summary_rows(result: ExerciseResult) -> list[list[str]]:
    """One table row per sweep point: value, detection, false alarms, effort."""
    rows = []
    for point in result.points:
        detection = point.detection
        rows.append(
            [
                "-" if point.value is None else str(point.value),
                "-"
                if detection is None
                else f"{detection.value:.3f} [{detection.low:.3f}, {detection.high:.3f}]",
                f"{point.false_alarm.value:.3f} "
                f"[{point.false_alarm.low:.3f}, {point.false_alarm.high:.3f}]",
                ", ".join(f"{name} {amount:g}" for name, amount in point.effort.items()),
            ]
        )
    return rows


@app.command("run")
def run_command(
    scenario: str = ScenarioArgument,
    out: Path = typer.Option(
        ...,
        "--out",
        "-o",
        help="Report folder: new, empty, or an earlier report's, which is replaced whole "
        "(no --force needed); a folder holding anything else is refused.",
    ),
    runs: int | None = typer.Option(None, "--runs", help="Runs per strategy and sweep point."),
    seed: int | None = typer.Option(None, "--seed", help="Root seed (the scenario's by default)."),
    workers: int = typer.Option(
        DEFAULT_WORKERS, "--workers", "-j", help="Local worker processes (default: one per core)."
    ),
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="Dask scheduler address, for example tcp://HOST:8786."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Run a scenario's Monte Carlo and write its report (HTML, PDF, JSON)."""
    from treatyverify.report.exercise_report import check_report_folder, write_exercise_report

    protected = protected_paths(None)
    check_report_folder(out, protected=protected)  # a bad folder fails before the runs
    loaded = load_scenario(scenario)
    result = run_with_progress(loaded, runs=runs, seed=seed, workers=workers, scheduler=scheduler)
    files = write_exercise_report(result, out, protected=protected)
    if as_json:
        emit_json({"report": str(files.html), "pdf": str(files.pdf), **result.to_json()})
        return
    print_table(
        f"{loaded.scenario.title} ({result.runs} runs per strategy and point)",
        [
            loaded.scenario.sweep.parameter if loaded.scenario.sweep else "point",
            "detection probability [95% CI]",
            "false-alarm rate [95% CI]",
            "mean effort per run",
        ],
        summary_rows(result),
    )
    console.print(f"Report: {files.html} (and {files.pdf.name}, summary.json, runs.jsonl)")


def run_with_progress(
    loaded: LoadedScenario,
    *,
    runs: int | None,
    seed: int | None,
    workers: int,
    scheduler: str | None,
) -> ExerciseResult:
    """:func:`run_exercise` with a progress bar on standard error."""
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(loaded.scenario.scenario, total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        return run_exercise(
            loaded, runs=runs, seed=seed, workers=workers, scheduler=scheduler, progress=advance
        )
