"""The demonstration job: a New START-style exchange between two parties, end to end.

Key generation, a ledger pinning both keys, declarations, a launch notification, an
inspection site drawn by commit-reveal, the inspection report, findings on the
treaty's limits and on the inspection, co-signatures and one recorded dissent, a
co-signed report, signed tree heads, and full verification of the ledger. The data
are the published aggregates of the 1 March 2022 exchange spread over notional sites
(see ``scenarios/new-start-exchange-2022.yaml``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from treatyverify.compliance.findings import submit_finding, submit_report
from treatyverify.compliance.inspections import compare_with_declaration
from treatyverify.compliance.limits import evaluate_limits
from treatyverify.errors import InputError
from treatyverify.exchange.declarations import (
    Declaration,
    declarations_in_effect,
    submit_declaration,
)
from treatyverify.exchange.inspections import InspectionReport, submit_inspection
from treatyverify.files import check_output_folder, publish_folder, staging_folder
from treatyverify.notifications.notices import Notice, submit_notice
from treatyverify.records import consensus, draws
from treatyverify.records.heads import sign_tree_head
from treatyverify.records.keys import PartyKey, generate_party_key, load_public_keys, write_key_pair
from treatyverify.records.ledger import Ledger, Record, parse_time
from treatyverify.records.pinned import create_ledger, treaty_source
from treatyverify.records.verify import VerificationReport, verify_ledger
from treatyverify.scenarios import parse_exchange_scenario
from treatyverify.treaty import TreatySpec, load_treaty

__all__ = ["LAYOUT", "MARKER", "DemoResult", "check_demo_folder", "load_scenario", "run_demo"]

SCENARIO = "new-start-exchange-2022.yaml"
MARKER = "demo-summary.json"
"""The demo's summary, which also marks a folder as an earlier demo's."""
LAYOUT = (
    "ledger.sqlite",
    "ledger.sqlite-*",
    "ledger.jsonl",
    "keys/*.key",
    "keys/*.pub",
    "heads/*.json",
)
"""The files a demo folder holds besides :data:`MARKER` (patterns, relative)."""


@dataclass(frozen=True)
class DemoResult:
    """Where the demo wrote its results, and what it established."""

    out: Path
    ledger: Path
    summary: dict[str, Any]
    verification: VerificationReport


def load_scenario(name: str = SCENARIO) -> dict[str, Any]:
    """Read a shipped demo scenario."""
    text = (resources.files("treatyverify") / "scenarios" / name).read_text(encoding="utf-8")
    return parse_exchange_scenario(text, name)


def check_demo_folder(
    out: Path, *, extra_layout: Sequence[str] = (), protected: Sequence[str | Path] = ()
) -> Path:
    """``out`` if the demo may write there: a new or empty folder, or an earlier demo's
    (it holds :data:`MARKER` and nothing but the files of :data:`LAYOUT` and
    ``extra_layout``); never a file, a folder of other files, or one that holds a
    ``protected`` path (the ledger in use).

    Raises
    ------
    InputError
        Naming the folder.
    """
    return check_output_folder(
        out,
        marker=MARKER,
        layout=(*LAYOUT, *extra_layout),
        what="an earlier demo",
        protected=protected,
    )


class _Clock:
    """Scenario time: starts at the scenario's start and moves forward in steps."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def _declarations(scenario: dict[str, Any]) -> dict[str, Declaration]:
    declarations = {}
    for party, sites in scenario["holdings"].items():
        holdings = [
            {"item_class": item_class, "site": site, "count": count}
            for site, counts in sites.items()
            for item_class, count in counts.items()
        ]
        declarations[party] = Declaration.model_validate(
            {
                "ref": f"{party}-{scenario['as_of']}",
                "schedule": scenario["schedule"],
                "as_of": scenario["as_of"],
                "holdings": holdings,
            }
        )
    return declarations


def _check_aggregates(
    spec: TreatySpec, party: str, declaration: Declaration, published: dict[str, int]
) -> None:
    """The notional split must add up to the published aggregate of each limit."""
    totals = declaration.totals()
    for limit_id, expected in published.items():
        declared = sum(totals.get(c, 0) for c in spec.limit(limit_id).counts)
        if declared != expected:
            raise InputError(
                f"{party} holdings add up to {declared} for {limit_id}, not the "
                f"published {expected}",
                where=f"{SCENARIO}: holdings.{party}",
            )


def _draw_site(
    ledger: Ledger,
    keys: dict[str, PartyKey],
    inspecting: PartyKey,
    clock: _Clock,
    draw_id: str,
    sites: list[str],
) -> Record:
    """Draw one inspection site by commit-reveal among all parties."""
    opened = clock.now
    draws.open_draw(
        ledger,
        inspecting,
        draw_id,
        purpose="type-one inspection site",
        population=sites,
        count=1,
        commit_by=opened + timedelta(hours=2),
        reveal_by=opened + timedelta(hours=4),
        time=opened,
    )
    secrets = {party: draws.new_secret() for party in keys}
    for party, key in sorted(keys.items()):
        draws.commit(ledger, key, draw_id, secrets[party], time=clock.advance(minutes=10))
    for party, key in sorted(keys.items()):
        draws.reveal(ledger, key, draw_id, secrets[party], time=clock.advance(minutes=10))
    return draws.settle(ledger, inspecting, draw_id, time=clock.advance(minutes=1))


def run_demo(
    out: Path,
    *,
    say: Callable[[str], None] = lambda _line: None,
    extra_layout: Sequence[str] = (),
    protected: Sequence[str | Path] = (),
) -> DemoResult:
    """Run the New START-style exchange end to end into the folder ``out``.

    The results are built in a staging folder beside ``out`` and moved into place at
    the end, replacing an earlier demo's folder: a failure or an interruption never
    leaves half a demo.

    Parameters
    ----------
    out
        Results folder; created, or replaced when it holds an earlier demo's results
        (see :func:`check_demo_folder`).
    say
        Called with one line per step, for progress output.
    extra_layout
        Further files an earlier demo folder may hold (the command's exercise report).
    protected
        Paths the folder must not hold (the ledger in use).
    """
    scenario = load_scenario()
    spec: TreatySpec = load_treaty(scenario["treaty"])
    target = check_demo_folder(out, extra_layout=extra_layout, protected=protected)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with staging_folder(target) as work:
            summary, verification = _exchange(scenario, spec, work, target, say)
            check_demo_folder(target, extra_layout=extra_layout, protected=protected)
            publish_folder(work, target)
    except OSError as exc:
        raise InputError(
            f"cannot write the results ({exc.strerror or exc})", where=str(target)
        ) from None
    return DemoResult(target, target / "ledger.sqlite", summary, verification)


def _exchange(
    scenario: dict[str, Any],
    spec: TreatySpec,
    work: Path,
    out: Path,
    say: Callable[[str], None],
) -> tuple[dict[str, Any], VerificationReport]:
    """The exchange, written into ``work``; paths shown and recorded are under ``out``."""
    start = scenario["start"]
    clock = _Clock(start if isinstance(start, datetime) else parse_time(str(start)))

    keys = {party.id: generate_party_key(party.id) for party in spec.parties}
    for key in keys.values():
        write_key_pair(key, work / "keys")
    say(f"keys: {', '.join(f'{p} {k.key_id[:12]}' for p, k in keys.items())} -> {out / 'keys'}")
    pinned = load_public_keys(work / "keys")

    ledger_path = out / "ledger.sqlite"
    # Record 0 pins the specification's exact text with its digest.
    _source, spec_text = treaty_source(scenario["treaty"])
    ledger = create_ledger(
        work / ledger_path.name,
        spec,
        spec_text,
        keys=pinned,
        opener=keys[scenario["opener"]],
        time=clock.now,
    )
    with ledger:
        for party, declaration in _declarations(scenario).items():
            record = submit_declaration(
                ledger, spec, keys[party], declaration, time=clock.advance(minutes=30)
            )
            _check_aggregates(spec, party, declaration, scenario["aggregates"][party])
            say(
                f"declaration {declaration.ref}: {len(declaration.holdings)} holdings at "
                f"{len(declaration.sites())} sites, matching the published aggregates "
                f"(record {record.seq})"
            )

        notice_spec = scenario["notice"]
        notice = Notice(
            ref=f"{notice_spec['party']}-launch-1",
            code=notice_spec["code"],
            event_time=notice_spec["event_time"],
            fields=notice_spec["fields"],
        )
        record = submit_notice(
            ledger, spec, keys[notice_spec["party"]], notice, time=clock.advance(hours=1)
        )
        say(f"notification {notice.code} by {record.party} (record {record.seq})")

        inspected, inspecting = scenario["inspected_party"], scenario["inspecting_party"]
        latest = declarations_in_effect(
            ledger.records(kinds=["declaration"]), clock.now.date(), spec
        ).effective
        sites = latest[inspected][1].sites()
        draw = _draw_site(ledger, keys, keys[inspecting], clock, "type-one-1", sites)
        site = draw.body["selected"][0]
        say(
            f"draw type-one-1 among {len(sites)} {inspected} sites: {site} "
            f"(seed {draw.body['seed'][:16]}, record {draw.seq})"
        )

        observed = {h.item_class: h.count for h in latest[inspected][1].holdings if h.site == site}
        report = InspectionReport(
            ref="type-one-1",
            inspection_type=scenario["inspection_type"],
            inspected_party=inspected,
            site=site,
            draw="type-one-1",
            treaty_year=scenario["treaty_year"],
            team_size=scenario["inspection_team"],
            observed=observed,
        )
        inspection = submit_inspection(
            ledger, spec, keys[inspecting], report, time=clock.advance(days=1)
        )
        say(
            f"inspection at {site}: {sum(observed.values())} items counted "
            f"(record {inspection.seq})"
        )

        findings = evaluate_limits(spec, latest)
        findings.append(compare_with_declaration(inspection, latest[inspected]))
        proposed = [
            submit_finding(ledger, keys[inspecting], finding, time=clock.advance(minutes=5))
            for finding in findings
        ]
        dissent_spec = scenario["dissent"]
        for record in proposed:
            dissenting = (
                record.body["rule"] == dissent_spec["rule"]
                and record.body["subject"] == dissent_spec["subject"]
            )
            for party, key in sorted(keys.items()):
                if party == record.party:
                    continue
                if dissenting and party == dissent_spec["party"]:
                    consensus.dissent(
                        ledger,
                        record.seq,
                        key,
                        dissent_spec["reason"],
                        time=clock.advance(minutes=1),
                    )
                else:
                    consensus.cosign(ledger, record.seq, key, time=clock.advance(minutes=1))
        states = [consensus.consensus_state(ledger, r.seq) for r in proposed]
        say(
            f"findings: {len(proposed)} proposed, "
            f"{sum(s.status == 'adopted' for s in states)} adopted, "
            f"{sum(s.status == 'disputed' for s in states)} disputed"
        )

        summary_line = (
            f"{sum(bool(r.body['compliant']) for r in proposed)} of "
            f"{len(proposed)} findings compliant; "
            f"{sum(s.status == 'disputed' for s in states)} disputed"
        )
        report_record = submit_report(
            ledger,
            keys[inspecting],
            f"{spec.short_name} data exchange of {scenario['as_of']}",
            proposed,
            summary_line,
            time=clock.advance(hours=1),
        )
        for party, key in sorted(keys.items()):
            if party != report_record.party:
                consensus.cosign(ledger, report_record.seq, key, time=clock.advance(minutes=1))
        report_state = consensus.consensus_state(ledger, report_record.seq)
        say(f"report (record {report_record.seq}): {report_state.status}")

        heads_dir = work / "heads"
        heads_dir.mkdir()
        heads = []
        for party, key in sorted(keys.items()):
            head = sign_tree_head(ledger, key, time=clock.advance(minutes=1))
            head.save(heads_dir / f"{party}.json")
            heads.append(head)
        verification = verify_ledger(ledger, trusted_keys=pinned, heads=heads)
        say(
            f"ledger verified: {verification.size} records, root {verification.root[:16]}, "
            f"{verification.heads_checked} tree heads consistent"
        )

        export = work / "ledger.jsonl"
        export.write_text(
            "".join(json.dumps(r.to_json()) + "\n" for r in ledger.records()), encoding="utf-8"
        )
        summary = {
            "treaty": spec.id,
            "spec_digest": spec.digest(),
            "ledger": str(ledger_path),
            "records": verification.size,
            "root": verification.root,
            "draw": {"id": "type-one-1", "selected": site, "seed": draw.body["seed"]},
            "findings": [
                {
                    "seq": r.seq,
                    "rule": r.body["rule"],
                    "subject": r.body["subject"],
                    "compliant": r.body["compliant"],
                    "statement": r.body["statement"],
                    "status": s.status,
                    "signed": s.signed,
                    "dissents": s.dissents,
                }
                for r, s in zip(proposed, states, strict=True)
            ],
            "report": {"seq": report_record.seq, "status": report_state.status},
        }
    (work / MARKER).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary, verification
