"""``treatyverify demo``: run the demonstration job and say where the results are.

Two parts: the New START-style exchange end to end (one ledger, kept in ``--out``), then
one verification exercise (a Monte Carlo of a shipped scenario) with its report in
``--out/exercise``.
"""

from __future__ import annotations

from pathlib import Path

import typer

from treatyverify.cli.common import console, print_table, protected_paths
from treatyverify.cli.exercise import run_with_progress, summary_rows
from treatyverify.demo import check_demo_folder, run_demo
from treatyverify.exercise import load_scenario
from treatyverify.exercise.montecarlo import check_run_options

DEMO_EXERCISE = "warhead-dismantlement"
"""The shipped scenario the demo exercises (its own run count keeps it under two minutes)."""


def run_demo_command(
    out: Path = typer.Option(
        Path("results/demo"),
        "--out",
        "-o",
        help="Results folder: new, empty, or an earlier demo's, which is replaced whole "
        "(no --force needed); a folder holding anything else is refused.",
    ),
    exercise: str = typer.Option(DEMO_EXERCISE, "--exercise", help="Scenario to exercise."),
    runs: int | None = typer.Option(
        None, "--runs", help="Exercise runs per strategy and point (the scenario's by default)."
    ),
    workers: int = typer.Option(2, "--workers", "-j", help="Local worker processes."),
) -> None:
    """Run a New START-style exchange end to end: keys, declarations, notice, draw,
    inspection, findings, co-signatures and dissent, report, verification; then a
    verification exercise with its report."""
    from treatyverify.report import exercise_report

    # every option is checked before anything is written
    report_layout = [f"exercise/{p}" for p in (*exercise_report.LAYOUT, exercise_report.MARKER)]
    protected = protected_paths(None)
    check_demo_folder(out, extra_layout=report_layout, protected=protected)
    loaded = load_scenario(exercise)
    check_run_options(runs=runs, seed=None, workers=workers, scheduler=None)
    console.print("[bold]treatyverify demo[/bold]: New START-style exchange, 1 March 2022 data")
    result = run_demo(
        out,
        say=lambda line: console.print(f"  {line}"),
        extra_layout=report_layout,
        protected=protected,
    )
    print_table(
        "Findings",
        ["seq", "rule", "party", "compliant", "consensus"],
        [
            (
                f["seq"],
                f["rule"],
                f["subject"],
                "yes" if f["compliant"] else "NO",
                f["status"] + (f" ({', '.join(f['dissents'])} dissents)" if f["dissents"] else ""),
            )
            for f in result.summary["findings"]
        ],
    )
    console.print(
        f"Results in {result.out}/: ledger.sqlite (the signed ledger), ledger.jsonl "
        "(export), keys/, heads/ (signed tree heads), demo-summary.json"
    )
    console.print(
        f"Check it yourself: treatyverify record verify --ledger {result.ledger} "
        f"--keys {result.out / 'keys'} --head {result.out / 'heads' / 'ru.json'}"
    )

    console.print(
        f"[bold]exercise[/bold] {loaded.scenario.scenario}: {loaded.scenario.title} "
        f"({runs or loaded.scenario.monte_carlo.runs} runs per strategy and point, "
        f"{workers} workers)"
    )
    exercised = run_with_progress(loaded, runs=runs, seed=None, workers=workers, scheduler=None)
    files = exercise_report.write_exercise_report(exercised, out / "exercise", protected=protected)
    print_table(
        f"Exercise {loaded.scenario.scenario} ({exercised.elapsed_s:.0f} s)",
        [
            loaded.scenario.sweep.parameter if loaded.scenario.sweep else "point",
            "detection probability [95% CI]",
            "false-alarm rate [95% CI]",
            "mean effort per run",
        ],
        summary_rows(exercised),
    )
    console.print(f"Exercise report: {files.html} (and {files.pdf.name})")
