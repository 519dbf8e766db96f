"""``treatyverify template``: compare a candidate spectrum with a template spectrum."""

from __future__ import annotations

from pathlib import Path

import typer

from treatyverify.cli.common import App, JsonOption, console, emit_json, print_table
from treatyverify.errors import SpecError
from treatyverify.methods.gamma.io import load_spectrum
from treatyverify.methods.gamma.resolution import measurement_from_spectrum
from treatyverify.methods.template.compare import MAX_MONTE_CARLO, compare_spectra
from treatyverify.methods.template.multiplets import compare_multiplets
from treatyverify.treaty import load_treaty
from treatyverify.treaty.models import MethodSpec

app = App(help="Template verification of items against a template spectrum.", no_args_is_help=True)

TEMPLATE_METHOD = "template.spectrum-match"
MULTIPLET_METHOD = "template.multiplet-match"


def _method(treaty: str, method_id: str | None) -> MethodSpec:
    """The template method chosen by id, or the treaty's one spectrum-match method."""
    spec = load_treaty(treaty)
    if method_id is not None:
        found = [
            m
            for m in spec.methods
            if m.id == method_id and m.method in (TEMPLATE_METHOD, MULTIPLET_METHOD)
        ]
    else:
        found = [m for m in spec.methods if m.method == TEMPLATE_METHOD]
    if not found:
        raise SpecError(
            f"no {TEMPLATE_METHOD} method" + (f" with id {method_id!r}" if method_id else ""),
            where=f"{spec.id}: methods",
        )
    if len(found) > 1:
        ids = ", ".join(m.id for m in found)
        raise SpecError(
            f"several template methods ({ids}): choose one with --method-id", where=spec.id
        )
    return found[0]


@app.command("compare")
def compare_command(
    template: Path = typer.Argument(..., help="Template spectrum file (the declared type)."),
    candidate: Path = typer.Argument(..., help="Candidate spectrum file (the item presented)."),
    treaty: str = typer.Option(..., "--treaty", "-t", help="Treaty id or YAML file."),
    method_id: str | None = typer.Option(None, "--method-id", help="Which template method."),
    fwhm_noise_kev: float | None = typer.Option(
        None, "--fwhm-noise-kev", help="Multiplet method: instrument resolution term a (keV)."
    ),
    fwhm_fano_kev: float | None = typer.Option(
        None,
        "--fwhm-fano-kev",
        help="Multiplet method: resolution term c in FWHM^2 = a^2 + c E (keV); without "
        "both terms the resolution is measured on each spectrum.",
    ),
    monte_carlo: int = typer.Option(
        0,
        "--monte-carlo",
        min=0,
        max=MAX_MONTE_CARLO,
        help="Null draws for an exact p-value (0: chi-square).",
    ),
    all_outputs: bool = typer.Option(
        False,
        "--all-outputs",
        help="Also print the statistic and p-value. Only for data that are not sensitive: "
        "by default only the outputs the treaty reveals are printed.",
    ),
    as_json: bool = JsonOption,
) -> None:
    """Decide whether the candidate matches the template at the treaty's false-alarm rate.

    By default the treaty's spectrum-match method; --method-id chooses another template
    method, such as a multiplet-match.
    """
    method = _method(treaty, method_id)
    computed: dict[str, object]
    document: dict[str, object] = {
        "method_id": method.id,
        "false_alarm_probability": method.number("false_alarm_probability"),
    }
    if method.method == MULTIPLET_METHOD:
        outcome = compare_multiplets(
            measurement_from_spectrum(
                load_spectrum(template), fwhm_noise_kev=fwhm_noise_kev, fwhm_fano_kev=fwhm_fano_kev
            ),
            measurement_from_spectrum(
                load_spectrum(candidate), fwhm_noise_kev=fwhm_noise_kev, fwhm_fano_kev=fwhm_fano_kev
            ),
            false_alarm_probability=method.number("false_alarm_probability"),
        )
        computed = {
            "pass": outcome.passed,
            "p_value": outcome.p_value,
            "statistic": outcome.statistic,
            "dof": outcome.dof,
        }
    else:
        result = compare_spectra(
            load_spectrum(template),
            load_spectrum(candidate),
            false_alarm_probability=method.number("false_alarm_probability"),
            normalization=method.text("normalization"),
            monte_carlo=monte_carlo,
        )
        computed = {
            "pass": result.passed,
            "p_value": result.p_value,
            "statistic": result.statistic,
            "bins": result.bins,
            "p_value_method": result.method,
        }
        document["normalization"] = method.text("normalization")
    shown = computed if all_outputs else {k: v for k, v in computed.items() if k in method.reveals}
    if as_json:
        emit_json(document | {"outputs": shown})
        return
    print_table(
        f"Template comparison ({method.id})",
        ["output", "value"],
        [(k, v) for k, v in shown.items()],
    )
    if not all_outputs:
        console.print(
            f"Only the outputs the treaty reveals are shown ({', '.join(method.reveals)})."
        )
