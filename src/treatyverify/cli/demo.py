"""``treatyverify demo``: run the demonstration job and say where the results are."""

from __future__ import annotations

from pathlib import Path

import typer

from treatyverify.cli.common import console, print_table
from treatyverify.demo import run_demo


def run_demo_command(
    out: Path = typer.Option(
        Path("results/demo"),
        "--out",
        "-o",
        help="Results folder (cleared if it holds an earlier demo).",
    ),
) -> None:
    """Run a New START-style exchange end to end: keys, declarations, notice, draw,
    inspection, findings, co-signatures and dissent, report, verification."""
    console.print("[bold]treatyverify demo[/bold]: New START-style exchange, 1 March 2022 data")
    result = run_demo(out, say=lambda line: console.print(f"  {line}"))
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
