"""``treatyverify accountancy reports``: accounting reports of a material balance area.

``check`` reads inventory change reports (ICR), physical inventory listings (PIL) and
material balance reports (MBR) in JSON or CSV and checks that every MBR closes;
``balance`` computes the material balance of an ICR between two PILs and can write it
as an MBR. See ``docs/accountancy-reports.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from treatyverify.cli.accountancy import app as accountancy_app
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

__all__ = ["app"]

app = App(help="Accounting reports (ICR, PIL, MBR): read, check, balance.", no_args_is_help=True)
accountancy_app.add_typer(app, name="reports")


def _period(report: object) -> str:
    start = getattr(report, "period_start", None)
    if start is not None:
        return f"{start.isoformat()} .. {report.period_end.isoformat()}"  # type: ignore[attr-defined]
    return str(report.date.isoformat())  # type: ignore[attr-defined]


@app.command("check")
def check_command(
    files: list[Path] = typer.Argument(..., help="Report files (.json or .csv)."),
    as_json: bool = JsonOption,
) -> None:
    """Read ICR, PIL and MBR files; every MBR must close (totals = sums of lines)."""
    from treatyverify.compliance.material_balance import material_balance_finding, require_closed
    from treatyverify.methods.accountancy.reports import MaterialBalanceReport, load_report

    loaded = [(file, load_report(file)) for file in files]
    rows = []
    for file, report in loaded:
        summary: dict[str, Any] = {
            "file": str(file),
            "report": report.report,
            "mba": report.mba,
            "period": _period(report),
        }
        if isinstance(report, MaterialBalanceReport):
            require_closed(report, file.name)
            finding = material_balance_finding(report)
            summary |= {"closes": finding.compliant, "statement": finding.statement}
        else:
            count = len(getattr(report, "entries", None) or getattr(report, "items", []))
            summary |= {"entries": count}
        rows.append(summary)
    if as_json:
        emit_json(rows)
        return
    print_table(
        "Accounting reports",
        ["file", "report", "MBA", "period or date", "result"],
        [
            [
                r["file"],
                r["report"],
                r["mba"],
                r["period"],
                "balance closes" if r.get("closes") else f"{r.get('entries', 0)} entries read",
            ]
            for r in rows
        ],
    )


@app.command("balance")
def balance_command(
    icr_file: Path = typer.Option(..., "--icr", help="Inventory change report of the period."),
    pil_file: Path = typer.Option(..., "--pil", help="Physical inventory listing at its end."),
    previous_file: Path | None = typer.Option(
        None,
        "--previous-pil",
        help="Physical inventory listing at its start (without it: an area that starts empty).",
    ),
    element: str | None = typer.Option(
        None, "--element", help="U, Pu or Th (default: the only element in the reports)."
    ),
    isotope: str | None = typer.Option(
        None, "--isotope", help="Balance this isotope's weights, e.g. U-235."
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Write the balance as an MBR (.json or .csv)."
    ),
    force: bool = ForceOption,
    as_json: bool = JsonOption,
) -> None:
    """The material balance of an ICR between two PILs: book inventory, MUF."""
    from treatyverify.methods.accountancy.model import ELEMENTS
    from treatyverify.methods.accountancy.reports import (
        InventoryChangeReport,
        PhysicalInventoryListing,
        load_report,
        material_balance_report,
        write_report,
    )

    if out is not None:
        if out.suffix.lower() not in (".json", ".csv"):
            raise InputError("the file name must end in .json or .csv", where=str(out))
        output_path(out, None, force=force)
    if element is not None and element not in ELEMENTS:
        raise InputError(f"must be one of {', '.join(sorted(ELEMENTS))}", where="--element")
    icr = load_report(icr_file)
    if not isinstance(icr, InventoryChangeReport):
        raise InputError(f"is a {icr.report}, not an ICR", where=f"--icr {icr_file.name}")
    pil = load_report(pil_file)
    if not isinstance(pil, PhysicalInventoryListing):
        raise InputError(f"is a {pil.report}, not a PIL", where=f"--pil {pil_file.name}")
    previous: PhysicalInventoryListing | None = None
    if previous_file is not None:
        loaded = load_report(previous_file)
        if not isinstance(loaded, PhysicalInventoryListing):
            raise InputError(
                f"is a {loaded.report}, not a PIL", where=f"--previous-pil {previous_file.name}"
            )
        previous = loaded
    if element is None:
        found = {e.element for e in icr.entries} | {i.element for i in pil.items}
        if previous is not None:
            found |= {i.element for i in previous.items}
        if len(found) != 1:
            raise InputError(
                f"the reports hold {', '.join(sorted(found)) or 'no element'}; name one",
                where="--element",
            )
        element = found.pop()
    mbr = material_balance_report(
        icr,
        pil,
        previous,
        element=element,
        isotope=isotope,
        names=(
            icr_file.name,
            pil_file.name,
            previous_file.name if previous_file else "<previous pil>",
        ),
    )
    if out is not None:
        written = write_report(out, mbr)
        if not as_json:
            console.print(f"wrote {written}")
    if as_json:
        emit_json(mbr.model_dump(mode="json"))
        return
    what = element + (f" ({isotope})" if isotope else "")
    rows = [["beginning physical inventory", "", f"{mbr.beginning_physical_inventory:.3f}"]]
    rows += [["increase", k, f"{v:.3f}"] for k, v in mbr.increases.items()]
    rows += [["decrease", k, f"{v:.3f}"] for k, v in mbr.decreases.items()]
    rows += [
        ["ending book inventory", "", f"{mbr.ending_book_inventory:.3f}"],
        ["shipper/receiver difference", "", f"{mbr.shipper_receiver_difference:.3f}"],
        ["adjusted ending book inventory", "", f"{mbr.adjusted_ending_book_inventory:.3f}"],
        ["ending physical inventory", "", f"{mbr.ending_physical_inventory:.3f}"],
        ["MUF", "", f"{mbr.muf:.3f}"],
    ]
    print_table(
        f"Material balance of {what}, {mbr.mba}, {_period(mbr)}, kg",
        ["line", "type", "kg"],
        rows,
    )
    if previous is None:
        console.print("No --previous-pil: the area is taken to start empty (0 kg).")
