"""``treatyverify accountancy``: material balances of a facility and the treaty's decision.

``scenario`` writes a year of monthly balances of a reprocessing or an enrichment plant
(with or without a diversion) as a facility file; ``evaluate`` reads a facility file,
computes MUF, sigma-MUF, CUMUF and SITMUF, and takes the decision of the treaty's
mass-balance method (Page's test at the treaty's campaign false-alarm probability).
"""

from __future__ import annotations

from pathlib import Path

import typer

from treatyverify.cli.common import (
    App,
    ForceOption,
    JsonOption,
    console,
    emit_json,
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
from treatyverify.methods.accountancy.evaluation import evaluate_campaign
from treatyverify.methods.accountancy.io import write_facility
from treatyverify.treaty import load_treaty

app = App(help="Material accountancy: balances, MUF statistics, scenarios.", no_args_is_help=True)

MATERIALS = {"plutonium": ("Pu", None), "heu": ("U", "U-235"), "uranium-233": ("U", "U-233")}
"""What a mass-balance method's ``material`` parameter balances: (element, isotope)."""


@app.command("scenario")
def scenario_command(
    plant: str = typer.Argument(..., help="reprocessing (Pu balance) or enrichment (U balance)."),
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
    divert_kg: float = typer.Option(0.0, "--divert", help="Mass diverted without record, kg."),
    month: int = typer.Option(6, "--month", help="Month (1-12) of an abrupt diversion."),
    spread: bool = typer.Option(
        False, "--protracted", help="Spread the diversion evenly over the 12 months."
    ),
) -> None:
    """Write one year of monthly balances of a plant as a facility file."""
    makers = {"reprocessing": reprocessing_plant, "enrichment": enrichment_plant}
    output_path(out, None, force=force)
    if plant not in makers:
        raise InputError("must be 'reprocessing' or 'enrichment'", where="PLANT")
    if not 1 <= month <= 12:
        raise InputError("must be a month from 1 to 12", where="--month")
    if divert_kg < 0:
        raise InputError("a diverted mass cannot be negative", where="--divert")
    diversion = protracted(divert_kg) if spread else abrupt(divert_kg, month - 1)
    facility = makers[plant](seed, diversion_kg=diversion if divert_kg > 0 else None)
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
    element: str | None = typer.Option(None, "--element", help="Element (default: method's)."),
    isotope: str | None = typer.Option(None, "--isotope", help="Isotope, e.g. U-235."),
    as_json: bool = JsonOption,
) -> None:
    """Material balances of a facility and the decision of the treaty's mass-balance method."""
    spec = load_treaty(treaty_id)
    method = spec.method(method_id)
    if method.method != "accountancy.mass-balance":
        raise InputError(
            f"is a {method.method} method, not accountancy.mass-balance", where=method_id
        )
    material = method.text("material") if "material" in method.parameters else None
    if element is None:
        if material not in MATERIALS:
            raise InputError(
                "the method names no material this command knows; give --element",
                where=f"{treaty_id}: methods.{method_id}.parameters.material",
            )
        element, isotope = MATERIALS[material]
    sq_kg = spec.significant_quantity(material).quantity_kg if material else None
    facility = load_facility(facility_file)
    balance = material_balance(facility, element, isotope)
    result = evaluate_campaign(
        balance,
        false_alarm_probability=method.number("false_alarm_probability"),
        significant_quantity_kg=sq_kg,
    )
    summary = {"treaty": spec.id, "method": method_id} | result.summary()
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
        for p in summary["by_period"]
    ]
    what = element + (f" ({isotope})" if isotope else "")
    print_table(
        f"Material balances of {what}, kg",
        ["period", "MUF", "sigma-MUF", "CUMUF", "SITMUF", "Page S"],
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
    if sq_kg is not None:
        first = summary["by_period"][0]["abrupt_sq_detection"]
        console.print(
            f"An abrupt loss of one significant quantity ({sq_kg:g} kg) in one month is "
            f"detected by that month's balance with probability {first:.2f}."
        )
