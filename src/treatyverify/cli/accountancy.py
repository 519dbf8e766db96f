"""``treatyverify accountancy``: material balances of a facility and the treaty's decision.

``scenario`` writes a year of monthly balances of a reprocessing or an enrichment plant
(with or without a diversion) as a facility file; ``evaluate`` reads a facility file,
computes MUF, sigma-MUF, CUMUF and SITMUF, and takes the decision of the treaty's
mass-balance method (Page's test at the treaty's campaign false-alarm probability).
"""

from __future__ import annotations

import math
from pathlib import Path

import typer

from treatyverify.cli.common import (
    App,
    ForceOption,
    JsonOption,
    console,
    emit_json,
    options,
    output_path,
    print_table,
)
from treatyverify.errors import InputError
from treatyverify.methods.accountancy import (
    abrupt,
    enrichment_plant,
    load_facility,
    material_balance,
    protracted,
    reprocessing_plant,
)
from treatyverify.methods.accountancy.evaluation import (
    evaluate_campaign,
    goal_quantity_kg,
    significant_quantity_basis,
)
from treatyverify.methods.accountancy.io import write_facility
from treatyverify.treaty import load_treaty

app = App(help="Material accountancy: balances, MUF statistics, scenarios.", no_args_is_help=True)


@app.command("scenario")
def scenario_command(
    plant: str = typer.Argument(
        ..., help="reprocessing (Pu balance) or enrichment (U and U-235 balances)."
    ),
    out: Path = typer.Option(
        ...,
        "--out",
        "-o",
        help="Facility file to write (.json or .yaml; an existing one is replaced with --force).",
    ),
    force: bool = ForceOption,
    seed: int = typer.Option(
        0, "--seed", min=0, max=2**63 - 1, help="Seed of the measurement errors."
    ),
    divert_kg: float | None = typer.Option(
        None,
        "--divert",
        help="Mass diverted without record, kg (Pu; for enrichment kg U, 0.711 % of it U-235).",
    ),
    month: int | None = typer.Option(
        None, "--month", help="Month (1-12) of an abrupt diversion (default 6)."
    ),
    spread: bool = typer.Option(
        False, "--protracted", help="Spread the diversion evenly over the 12 months."
    ),
) -> None:
    """Write one year of monthly balances of a plant as a facility file."""
    makers = {"reprocessing": reprocessing_plant, "enrichment": enrichment_plant}
    output_path(out, None, force=force)
    if plant not in makers:
        raise InputError("must be 'reprocessing' or 'enrichment'", where="PLANT")
    if divert_kg is not None and not math.isfinite(divert_kg):
        raise InputError(f"must be a finite mass in kg, not {divert_kg}", where="--divert")
    if divert_kg is not None and divert_kg < 0:
        raise InputError("a diverted mass cannot be negative", where="--divert")
    diverting = divert_kg is not None and divert_kg > 0
    if month is not None and not diverting:
        raise InputError(
            "applies only to a diversion: give --divert with a mass > 0", where="--month"
        )
    if spread and not diverting:
        raise InputError(
            "applies only to a diversion: give --divert with a mass > 0", where="--protracted"
        )
    if month is not None and spread:
        raise InputError("a protracted diversion has no month: drop --month", where="--month")
    if month is not None and not 1 <= month <= 12:
        raise InputError("must be a month from 1 to 12", where="--month")
    diversion = None
    if divert_kg is not None and diverting:
        diversion = protracted(divert_kg) if spread else abrupt(divert_kg, (month or 6) - 1)
    with options({"diversion_kg": "--divert"}):
        facility = makers[plant](seed, diversion_kg=diversion)
    written = write_facility(out, facility)
    console.print(f"wrote {written} ({len(facility.periods)} balance periods)")


@app.command("evaluate")
def evaluate_command(
    facility_file: Path = typer.Argument(..., help="Facility file (.yaml, .yml or .json)."),
    treaty_id: str = typer.Option(
        "fmct", "--treaty", help="Treaty specification: id or YAML file."
    ),
    method_id: str = typer.Option(
        "pu-mass-balance", "--method", help="The treaty's mass-balance method."
    ),
    element: str | None = typer.Option(
        None,
        "--element",
        help="Element balanced (default: the one the method's significant quantity counts).",
    ),
    isotope: str | None = typer.Option(
        None, "--isotope", help="Isotope balanced, e.g. U-235 (with --element)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Material balances of a facility and the decision of the treaty's mass-balance method."""
    spec = load_treaty(treaty_id)
    method = spec.method(method_id)
    if method.method != "accountancy.mass-balance":
        raise InputError(
            f"is a {method.method} method, not accountancy.mass-balance", where=method_id
        )
    if isotope is not None and element is None:
        raise InputError("give the element with it, e.g. --element U", where="--isotope")
    field = f"{spec.id}: methods.{method_id}.parameters"
    material = method.text("material") if "material" in method.parameters else None
    sq = None
    if material is not None:
        sq = spec.significant_quantity(material)
        counted = significant_quantity_basis(
            sq, where=f"{spec.id}: significant_quantities.{material}"
        )
        asked = (element, isotope)
        if element is None:
            element, isotope = counted
        elif asked != counted:
            wanted = f"--element {counted[0]}" + (f" --isotope {counted[1]}" if counted[1] else "")
            raise InputError(
                f"{method_id} balances {material}, whose significant quantity ({sq.quantity_kg:g}"
                f" kg) counts {sq.basis}; this balance would count "
                + (f"{isotope} contained" if isotope else f"element {element}")
                + f": use {wanted}, or a method for that material",
                where="--isotope" if isotope is not None and element == counted[0] else "--element",
            )
    elif element is None:
        raise InputError(
            "the method names no material: give --element (and --isotope)",
            where=f"{field}.material",
        )
    facility = load_facility(facility_file)
    try:
        balance = material_balance(facility, element, isotope)
    except InputError as exc:
        if exc.where != "element":
            raise
        raise InputError(
            f"{exc.message}: {method_id} balances "
            + (f"{isotope} contained" if isotope else f"element {element}")
            + (f" ({material}); choose the treaty's method for this facility" if material else ""),
            where=str(facility_file),
        ) from None
    sq_kg = None
    if sq is not None:
        sq_kg = goal_quantity_kg(sq, balance, where=f"{spec.id}: significant_quantities.{material}")
    with options(
        {
            "covariance_kg2": str(facility_file),
            "muf_kg": str(facility_file),
            "false_alarm_probability": f"{field}.false_alarm_probability",
            "significant_quantity_kg": f"{spec.id}: significant_quantities.{material}",
        }
    ):
        result = evaluate_campaign(
            balance,
            false_alarm_probability=method.number("false_alarm_probability"),
            significant_quantity_kg=sq_kg,
        )
    summary = {"treaty": spec.id, "method": method_id} | result.summary()
    if sq is not None:
        summary["significant_quantity"] = {
            "material": sq.material,
            "quantity_kg": sq.quantity_kg,
            "basis": sq.basis,
        }
    if as_json:
        emit_json(summary)
        return
    rows = [
        [
            p["period"],
            f"{p['muf_kg']:.3f}",
            f"{p['sigma_muf_kg']:.3f}",
            f"{p['cumuf_kg']:.3f}",
            f"{p['sitmuf']:.2f}",
            f"{p['page_statistic']:.2f}",
        ]
        + ([f"{p['sq_detection']:.2f}"] if sq_kg is not None else [])
        for p in summary["by_period"]
    ]
    what = f"{isotope} contained" if isotope else f"element {element}"
    print_table(
        f"Material balances of {what}, kg",
        ["period", "MUF", "sigma-MUF", "CUMUF", "SITMUF", "Page S"]
        + (["P(detect 1 SQ lost here)"] if sq_kg is not None else []),
        rows,
    )
    page = summary["page"]
    alarm = page["alarm_period"]
    console.print(
        f"Page's test on SITMUF (k = {page['k']}, h = {page['h']} for a campaign false-alarm "
        f"probability of {result.false_alarm_probability}): "
        + ("no alarm: PASS" if alarm is None else f"alarm in period {alarm}: FAIL")
    )
    console.print(
        f"GEMUF {summary['gemuf']['statistic']} against {summary['gemuf']['threshold']}"
        f" ({'alarm' if summary['gemuf']['alarm'] else 'no alarm'}); CUMUF "
        f"{summary['cumuf']['cumuf_kg']} kg against {summary['cumuf']['threshold_kg']} kg"
        f" ({'alarm' if summary['cumuf']['alarm'] else 'no alarm'})"
    )
    if sq is not None and result.sq_detection:
        low, high = min(result.sq_detection), max(result.sq_detection)
        console.print(
            f"A loss of one significant quantity ({sq.quantity_kg:g} kg, {sq.basis}, "
            f"{sq.material}) in a single period is detected by the decision rule (Page's test "
            f"over all {len(result.sq_detection)} periods, campaign false-alarm probability "
            f"{result.false_alarm_probability}) with probability {low:.2f} to {high:.2f}, "
            "depending on the period (last column)."
        )
