"""``treatyverify accountancy verify``: test an operator's declarations with paired data.

Reads operator-inspector paired results (JSON or YAML, results inline or in a CSV file
beside it) and reports per stratum and combined the D statistic, its standard deviation,
the one-sided D test with its threshold and false-alarm probability, the attribute
(gross and partial defect) tests and, given the period's MUF, the MUF - D test. The
decision fails closed: ``fail`` on any alarm, ``pass`` only when nothing alarms and a
goal quantity would have been detected with probability at least ``1 - beta``,
``inconclusive`` otherwise. See ``docs/accountancy-verification.md``.
"""

from __future__ import annotations

import math
from pathlib import Path

import typer

from treatyverify.cli.accountancy import app
from treatyverify.cli.common import JsonOption, console, emit_json, print_table
from treatyverify.errors import InputError

__all__ = ["verify_command"]


def _probability(value: float | None, option: str) -> None:
    if value is not None and not 0.0 < value < 1.0:
        raise InputError("must lie strictly between 0 and 1", where=option)


@app.command("verify")
def verify_command(
    paired_file: Path = typer.Argument(..., help="Paired data (.json, .yaml or .yml)."),
    alpha: float | None = typer.Option(
        None, "--alpha", help="False-alarm probability of each test (default: the treaty's)."
    ),
    beta: float | None = typer.Option(
        None, "--beta", help="Accepted non-detection probability (default: the treaty's)."
    ),
    goal_kg: float | None = typer.Option(
        None, "--goal-kg", help="Goal quantity, kg (default: the treaty's significant quantity)."
    ),
    treaty_id: str | None = typer.Option(
        None,
        "--treaty",
        help="Take alpha and beta from the treaty's sampling goals and the goal from its "
        "significant quantity of --material.",
    ),
    material: str = typer.Option(
        "plutonium", "--material", help="Material of the goal quantity (with --treaty)."
    ),
    muf_kg: float | None = typer.Option(None, "--muf-kg", help="Operator's MUF of the period, kg."),
    sigma_muf_kg: float | None = typer.Option(None, "--sigma-muf-kg", help="Its sigma, kg."),
    as_json: bool = JsonOption,
) -> None:
    """Verify an operator's declarations: D statistic, attribute tests, MUF - D."""
    from treatyverify.methods.accountancy.dstatistic import verify_declarations
    from treatyverify.methods.accountancy.paired import load_paired

    for value, option in (
        (goal_kg, "--goal-kg"),
        (muf_kg, "--muf-kg"),
        (sigma_muf_kg, "--sigma-muf-kg"),
    ):
        if value is not None and not math.isfinite(value):
            raise InputError(f"must be a finite number, not {value}", where=option)
    _probability(alpha, "--alpha")
    _probability(beta, "--beta")
    if goal_kg is not None and not goal_kg > 0.0:
        raise InputError("must be a positive mass", where="--goal-kg")
    if sigma_muf_kg is not None and not sigma_muf_kg > 0.0:
        raise InputError("must be a positive mass", where="--sigma-muf-kg")
    if (muf_kg is None) != (sigma_muf_kg is None):
        raise InputError("give --muf-kg and --sigma-muf-kg together", where="--sigma-muf-kg")
    if treaty_id is not None:
        from treatyverify.treaty import load_treaty

        spec = load_treaty(treaty_id)
        sampling = spec.require_sampling()
        alpha = sampling.false_alarm_probability if alpha is None else alpha
        beta = sampling.non_detection_probability if beta is None else beta
        if goal_kg is None:
            sq = spec.significant_quantity(material)
            if sq.basis != "total element":
                raise InputError(
                    f"the significant quantity of {material} counts {sq.basis}, which paired "
                    "values need not: give --goal-kg in the basis of the paired values",
                    where="--material",
                )
            goal_kg = sq.quantity_kg
    if alpha is None:
        raise InputError(
            "give --alpha, or --treaty to take its false-alarm probability", where="--alpha"
        )
    if goal_kg is not None and beta is None:
        raise InputError("give --beta with --goal-kg", where="--beta")
    if beta is not None and goal_kg is None:
        raise InputError("give --goal-kg with --beta", where="--goal-kg")
    data, model = load_paired(paired_file)
    result = verify_declarations(
        data,
        model,
        alpha=alpha,
        beta=beta,
        goal_kg=goal_kg,
        muf_kg=muf_kg,
        sigma_muf_kg=sigma_muf_kg,
    )
    summary = {"file": paired_file.name} | result.summary()
    if as_json:
        emit_json(summary)
        return
    rows = [
        [
            s["stratum"],
            s["items"],
            s["sample"],
            f"{s['d_kg']:.4g}",
            f"{s['sigma_kg']:.4g}",
            f"{s['threshold_kg']:.4g}",
            "ALARM" if s["alarm"] else "no alarm",
        ]
        for s in summary["strata"]
    ]
    d = summary["d"]
    rows.append(
        [
            "combined",
            sum(s["items"] for s in summary["strata"]),
            sum(s["sample"] for s in summary["strata"]),
            f"{d['d_kg']:.4g}",
            f"{d['sigma_kg']:.4g}",
            f"{d['threshold_kg']:.4g}",
            "ALARM" if d["alarm"] else "no alarm",
        ]
    )
    print_table(
        f"D statistic, kg (alarm when D < threshold; false-alarm probability {alpha:g} each)",
        ["stratum", "N", "n", "D", "sigma_D", "threshold", "D test"],
        rows,
    )
    print_table(
        "Attribute tests (relative hiding difference above the threshold)",
        ["stratum", "method", "period", "n", "alpha", "threshold", "flagged", "gross"],
        [
            [
                a["stratum"],
                a["method"],
                a["period"],
                a["sample"],
                f"{a['alpha']:.4g}",
                f"{a['threshold']:.4g}",
                ", ".join(a["flagged"]) or "-",
                ", ".join(a["gross_defects"]) or "-",
            ]
            for a in summary["attribute_tests"]
        ],
    )
    corrected = summary["muf_minus_d"]
    if corrected is not None:
        console.print(
            f"MUF - D = {corrected['value_kg']:.4g} kg, sigma {corrected['sigma_kg']:.4g} kg, "
            f"threshold {corrected['threshold_kg']:.4g} kg: "
            + ("ALARM" if corrected["alarm"] else "no alarm")
        )
    for name, value in summary["goal_detection_probability"].items():
        console.print(f"detection probability of {goal_kg:g} kg ({name}): {value:.4f}")
    console.print(f"decision: {result.decision.upper()} ({'; '.join(result.reasons)})")
