"""``treatyverify sampling``: attribute sampling plans and detection by inspections of sites.

``plan`` gives the number of items to verify so that a diversion of one goal quantity
is detected with probability at least ``1 - beta`` (IAEA formula and exact
hypergeometric); ``detect`` gives the probability that ``n`` inspections of ``N`` sites
find at least one of ``k`` violating sites.
"""

from __future__ import annotations

import typer

from treatyverify.cli.common import App, JsonOption, console, emit_json, options, print_table
from treatyverify.errors import InputError
from treatyverify.methods.sampling import AttributePlan, site_detection_probability
from treatyverify.treaty import load_treaty

app = App(help="Sampling plans and detection probabilities.", no_args_is_help=True)


@app.command("plan")
def plan_command(
    items: int = typer.Option(..., "--items", help="Items in the stratum (N)."),
    item_mass_kg: float = typer.Option(..., "--item-mass", help="Material per item, kg."),
    goal_kg: float | None = typer.Option(None, "--goal", help="Goal quantity, kg."),
    treaty_id: str | None = typer.Option(
        None,
        "--treaty",
        help="Take the goal (significant quantity) and beta from a treaty (id or YAML file).",
    ),
    material: str = typer.Option("plutonium", "--material", help="Material of the goal."),
    beta: float | None = typer.Option(None, "--beta", help="Non-detection probability."),
    as_json: bool = JsonOption,
) -> None:
    """Sample size for attribute verification of N items (IAEA formula and exact)."""
    goal_option = "--goal" if goal_kg is not None else "--items"
    if treaty_id is not None:
        spec = load_treaty(treaty_id)
        if goal_kg is None:
            goal_kg = spec.significant_quantity(material).quantity_kg
        if beta is None:
            beta = spec.require_sampling().non_detection_probability
    if goal_kg is None:
        raise InputError(
            "give --goal, or --treaty to take the significant quantity", where="--goal"
        )
    if beta is None:
        raise InputError("give --beta, or --treaty to take its sampling goal", where="--beta")
    names = {"items": "--items", "item_mass_kg": "--item-mass", "goal_kg": goal_option}
    with options(names | {"beta": "--beta"}):
        plan = AttributePlan(items=items, item_mass_kg=item_mass_kg, goal_kg=goal_kg, beta=beta)
        iaea, exact = plan.sample_size("iaea"), plan.sample_size("exact")
    body = {
        "items": items,
        "item_mass_kg": item_mass_kg,
        "goal_kg": goal_kg,
        "beta": beta,
        "defects_to_divert_goal": plan.defects,
        "sample_iaea_formula": iaea,
        "sample_exact": exact,
        "detection_probability_iaea": round(plan.detection_probability(iaea), 4),
        "detection_probability_exact": round(plan.detection_probability(exact), 4),
    }
    if as_json:
        emit_json(body)
        return
    print_table(
        "Attribute sampling plan",
        ["quantity", "value"],
        [[k.replace("_", " "), v] for k, v in body.items()],
    )
    console.print(
        f"Verify {iaea} of {items} items (IAEA formula n = N(1 - beta^(1/r)), r = {plan.defects});"
        f" the exact hypergeometric size is {exact}."
    )


@app.command("detect")
def detect_command(
    sites: int = typer.Option(..., "--sites", help="Sites (N)."),
    inspections: int = typer.Option(..., "--inspections", help="Sites inspected at random (n)."),
    violations: int = typer.Option(..., "--violations", help="Violating sites (k)."),
    as_json: bool = JsonOption,
) -> None:
    """Probability that n random inspections of N sites find one of k violating sites."""
    with options({"items": "--sites", "sample": "--inspections", "defects": "--violations"}):
        p = site_detection_probability(sites, inspections, violations)
    if as_json:
        emit_json(
            {
                "sites": sites,
                "inspections": inspections,
                "violations": violations,
                "detection_probability": p,
            }
        )
        return
    console.print(
        f"{inspections} inspections of {sites} sites find at least one of {violations} "
        f"violating sites with probability {p:.4f}"
    )
