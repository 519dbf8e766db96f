"""``treatyverify notify``: notices, deadlines, roll-forward of holdings, launch geometry.

``due`` lists the notices and acknowledgements owed, ``import`` checks a JSON or CSV
file of notices against the treaty and appends all of them or none, ``export`` writes
the ledger's notices, ``rollforward`` rolls a baseline declaration forward through the
ledger's notices (and checks a periodic declaration against it), ``check-launch``
applies a launch notification type's geodesic rule to one notice.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer

from treatyverify.cli.common import (
    App,
    ForceOption,
    JsonOption,
    KeyOption,
    LedgerOption,
    console,
    emit_json,
    ledger_spec,
    open_ledger,
    output_path,
    print_table,
    read_key,
)
from treatyverify.compliance.notices import check_deadlines
from treatyverify.compliance.rollforward import check_declaration
from treatyverify.errors import InputError
from treatyverify.files import read_json
from treatyverify.notifications.deadlines import due, parse_utc
from treatyverify.notifications.exchange_io import (
    check_notices,
    parse_notice_document,
    read_notices,
    write_notices,
)
from treatyverify.notifications.geometry import (
    COMPASS_POINTS,
    launch_requires_notice,
    parse_impact_area,
    parse_point,
)
from treatyverify.notifications.notices import NOTICE_KIND, Notice, parse_notice
from treatyverify.notifications.rollforward import (
    ACTIONS,
    DEFAULT_ACTIONS,
    Baseline,
    parse_declaration,
    rollforward,
)
from treatyverify.records.ledger import Entry, Ledger, Record
from treatyverify.treaty import TreatySpec, load_treaty

app = App(
    help="Notifications: deadlines, import and export, roll-forward, launch geometry.",
    no_args_is_help=True,
)

TreatyOverride = typer.Option(
    None,
    "--treaty",
    "-t",
    help="Treaty id or YAML path (default: the specification the ledger pins); must "
    "match the ledger's digest.",
)


def _spec_for(book: Ledger, treaty: str | None) -> TreatySpec:
    return ledger_spec(book, treaty)


def _now(value: str | None) -> datetime:
    return datetime.now(UTC) if value is None else parse_utc(value, where="--now")


def _actions(values: list[str] | None) -> dict[str, str]:
    if not values:
        return dict(DEFAULT_ACTIONS)
    mapping: dict[str, str] = {}
    for value in values:
        code, sep, action = value.partition("=")
        if not sep or not code or action not in ACTIONS:
            raise InputError(
                f"expected CODE=ACTION with ACTION one of {', '.join(ACTIONS)}, got {value!r}",
                where="--action",
            )
        mapping[code] = action
    return mapping


@app.command("due")
def due_command(
    ledger: str | None = LedgerOption,
    now: str | None = typer.Option(None, "--now", help="Time of evaluation, UTC (default now)."),
    ack_hours: float | None = typer.Option(
        None, "--ack-hours", help="Hours allowed to acknowledge a notice (default: the treaty's)."
    ),
    treaty: str | None = TreatyOverride,
    as_json: bool = JsonOption,
) -> None:
    """List the notices and acknowledgements due or overdue, and the deadline findings."""
    moment = _now(now)
    with open_ledger(ledger) as book:
        spec = _spec_for(book, treaty)
        records = list(book.records(kinds=[NOTICE_KIND, "event", "acknowledgement"]))
    items = due(spec, records, moment, ack_hours=ack_hours)
    findings = check_deadlines(spec, records, moment, ack_hours=ack_hours)
    if as_json:
        emit_json(
            {
                "now": moment.isoformat(),
                "due": [item.as_dict() for item in items],
                "findings": [f.body(spec.id) for f in findings],
            }
        )
        return
    print_table(
        f"Due as of {moment.isoformat()}",
        ["status", "what", "party", "code", "reference", "deadline", "hours left"],
        [
            (
                i.status,
                i.what,
                i.party,
                i.code,
                i.reference,
                i.deadline.isoformat(),
                f"{i.hours_left:.1f}",
            )
            for i in items
        ],
    )
    if findings:
        print_table(
            "Findings",
            ["rule", "party", "statement"],
            [(f.rule, f.subject, f.statement) for f in findings],
        )


@app.command("import")
def import_command(
    file: Path = typer.Argument(..., help="Notices, .json or .csv."),
    key: Path = KeyOption,
    ledger: str | None = LedgerOption,
    baseline: Path | None = typer.Option(
        None, "--baseline", help="Baseline declaration: roll the notices forward before writing."
    ),
    action: list[str] | None = typer.Option(
        None, "--action", help="CODE=ACTION for roll-forward (repeat); default: action names."
    ),
    treaty: str | None = TreatyOverride,
    as_json: bool = JsonOption,
) -> None:
    """Check every notice in FILE, then append them all in one transaction (or none)."""
    located = read_notices(file)
    signer = read_key(key)
    with open_ledger(ledger) as book:
        spec = _spec_for(book, treaty)
        spec.party(signer.party)
        check_notices(spec, located)
        if baseline is not None:
            base = _baseline(baseline, spec)
            if base.party != signer.party:
                raise InputError(
                    f"the baseline is {base.party}'s, the key is {signer.party}'s",
                    where=f"{baseline}: party",
                )
            earlier = [r.body for r in book.records(kinds=[NOTICE_KIND]) if r.party == base.party]
            rollforward(
                base,
                [*earlier, *(n.notice.body() for n in located)],
                actions=_actions(action),
                item_classes={c.id for c in spec.item_classes},
            )
        entries = [Entry(NOTICE_KIND, n.notice.body(), n.notice.ref) for n in located]
        written = book.append_many(entries, signer)
    if as_json:
        emit_json({"appended": len(written), "seq": [r.seq for r in written]})
    else:
        first = f" (records {written[0].seq}-{written[-1].seq})" if written else ""
        console.print(f"appended {len(written)} notices{first}")


@app.command("export")
def export_command(
    out: Path = typer.Option(..., "--out", "-o", help="Output file, .json or .csv."),
    force: bool = ForceOption,
    ledger: str | None = LedgerOption,
) -> None:
    """Write every notice in the ledger to a JSON or CSV file (atomically)."""
    out = output_path(out, ledger, force=force)
    with open_ledger(ledger) as book:
        notices = [
            parse_notice(r.body, where=f"record {r.seq}") for r in book.records(kinds=[NOTICE_KIND])
        ]
    path = write_notices(out, notices)
    console.print(f"wrote {len(notices)} notices to {path}")


def _baseline(path: Path, spec: TreatySpec) -> Baseline:
    parsed = parse_declaration(
        read_json(path), where=str(path), item_classes={c.id for c in spec.item_classes}
    )
    if not isinstance(parsed, Baseline):
        raise InputError("a baseline lists items ('items'), not counts", where=str(path))
    spec.party(parsed.party)
    return parsed


@app.command("rollforward")
def rollforward_command(
    baseline: Path = typer.Argument(..., help="Baseline declaration (JSON, item level)."),
    ledger: str | None = LedgerOption,
    check: Path | None = typer.Option(
        None, "--check", help="A periodic declaration (JSON) to check against the holdings."
    ),
    action: list[str] | None = typer.Option(
        None, "--action", help="CODE=ACTION (repeat); default: codes named like the actions."
    ),
    treaty: str | None = TreatyOverride,
    as_json: bool = JsonOption,
) -> None:
    """Roll the baseline forward through the party's notices; optionally check a declaration."""
    with open_ledger(ledger) as book:
        spec = _spec_for(book, treaty)
        base = _baseline(baseline, spec)
        records = [r for r in book.records(kinds=[NOTICE_KIND]) if r.party == base.party]
    classes = {c.id for c in spec.item_classes}
    declaration = (
        None
        if check is None
        else parse_declaration(read_json(check), where=str(check), item_classes=classes)
    )
    by_ref: dict[str, Record] = {str(r.body.get("ref")): r for r in records}
    rolled = rollforward(
        base,
        [r.body for r in records],
        actions=_actions(action),
        until=None if declaration is None else declaration.as_of,
        item_classes=classes,
    )
    findings = [] if declaration is None else check_declaration(rolled, declaration, records=by_ref)
    if as_json:
        emit_json(
            {
                "holdings": rolled.as_dict(),
                "findings": [f.body(spec.id) for f in findings],
            }
        )
        return
    rows = [
        (facility, item_class, count)
        for facility, classes_here in rolled.by_facility().items()
        for item_class, count in classes_here.items()
    ]
    until = "" if rolled.until is None else f" until {rolled.until.isoformat()}"
    print_table(
        f"Holdings of {base.party} from baseline {base.ref}{until} "
        f"({len(rolled.applied)} notices applied)",
        ["facility", "item class", "count"],
        rows,
    )
    if declaration is not None:
        if findings:
            print_table(
                f"Mismatches with declaration {declaration.ref}",
                ["rule", "statement", "notices"],
                [(f.rule, f.statement, ", ".join(f.values["notices"]) or "-") for f in findings],
            )
        else:
            console.print(f"declaration {declaration.ref} matches the rolled-forward holdings")


def _point_field(notice: Notice, names: tuple[str, ...]) -> tuple[float, float] | None:
    for name in names:
        value = notice.fields.get(name)
        if isinstance(value, list) and len(value) == 2:
            return parse_point(value, where=f"notice {notice.ref}: fields.{name}")
    return None


@app.command("check-launch")
def check_launch_command(
    notice_file: Path = typer.Argument(..., help="A launch notice (JSON)."),
    treaty: str = typer.Option(..., "--treaty", "-t", help="Treaty id or YAML path."),
    party: str = typer.Option(..., "--party", "-p", help="The notifying (launching) party."),
    missile_range_km: float | None = typer.Option(
        None, "--missile-range-km", help="Declared range capability of the missile, km."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Geodesic checks of a launch notice: range, azimuth, direction, impact area."""
    spec = load_treaty(treaty)
    spec.party(party)
    notice = parse_notice_document(read_json(notice_file), str(notice_file))
    notice.check(spec)
    area = None
    if "impact_area" in notice.fields:
        area = parse_impact_area(notice.fields["impact_area"], ref=notice.ref)
    launch = _point_field(notice, ("launch_point", "launch_area"))
    if launch is None:
        raise InputError(
            "the geometry needs a launch point [lon, lat] in launch_point or launch_area",
            where=f"notice {notice.ref}: fields.launch_point",
        )
    impact = _point_field(notice, ("impact_point",)) or (area.centre if area else None)
    if impact is None:
        raise InputError(
            "the geometry needs impact_area or impact_point",
            where=f"notice {notice.ref}: fields.impact_area",
        )
    ruling = launch_requires_notice(
        spec.notification(notice.code),
        treaty=spec.id,
        party=party,
        launch=launch,
        impact=impact,
        missile_range_km=missile_range_km,
    )
    result: dict[str, Any] = {"notice": notice.ref, "code": notice.code, **ruling.as_dict()}
    if area is not None:
        result["impact_area_km2"] = round(area.area_km2(), 1)
        result["impact_point_in_area"] = area.contains(impact)
    stated = notice.fields.get("direction")
    if isinstance(stated, str) and stated.strip().lower() in COMPASS_POINTS:
        result["stated_direction"] = stated
        result["stated_direction_matches"] = stated.strip().lower() == ruling.sector
    if as_json:
        emit_json(result)
        return
    for name, value in result.items():
        console.print(f"{name}: {value}")
