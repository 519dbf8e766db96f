"""The dashboard's page data and pages, on a ledger built with the library.

The ledger (:func:`build_dashboard_ledger`, also used by the browser tests) holds, under a
New START specification with a notional third party ``uk`` and an acknowledgement limit
of 24 h on launch notices added for the test:

* declarations: us 1,600 warheads (over the 1,550 limit), ru 1,474; uk none;
* notices: ru's launch notice on time, us's launch notice late; an ``event`` (a ru
  launch) no notice covers, long past its deadline; a us launch ahead whose notice is
  still due; uk never acknowledges ru's notice (24 h limit);
* a draw of a ru site in which ru committed but never revealed, settled after the
  reveal deadline; the inspection at the drawn site; a measurement result;
* a finding (us over the warhead limit) proposed by ru, co-signed by uk, dissented by
  us with a reason; a finding adopted by all; a report pending;
* two seismic bulletins, one with an event at 41.3 N 129.0 E inside the territory.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from treatyverify.barrier.barrier import Release, record_releases
from treatyverify.compliance.findings import submit_finding, submit_report
from treatyverify.compliance.limits import evaluate_limits
from treatyverify.exchange.declarations import (
    Declaration,
    declarations_in_effect,
    submit_declaration,
)
from treatyverify.exchange.inspections import InspectionReport, submit_inspection
from treatyverify.notifications.notices import Notice, submit_notice
from treatyverify.records import consensus, draws
from treatyverify.records.keys import PartyKey, generate_party_key
from treatyverify.records.ledger import Ledger
from treatyverify.service import views
from treatyverify.treaty import TreatySpec, load_treaty

T0 = datetime(2026, 1, 10, tzinfo=UTC)
NOW = T0 + timedelta(days=30)
DISSENT_REASON = "The count includes 50 warheads removed for elimination on 2 January."
EVENT = {"latitude_deg": 41.3, "longitude_deg": 129.04}


def make_spec(folder: Path) -> TreatySpec:
    """New START with a notional third party and a 24 h acknowledgement limit (test only)."""
    text = (resources.files("treatyverify") / "treaties" / "new-start.yaml").read_text("utf-8")
    document = yaml.safe_load(text)
    roles = ["inspecting", "inspected", "notifying", "notified"]
    document["parties"].append({"id": "uk", "name": "Notional third party", "roles": roles})
    for notification in document["notifications"]:
        if notification["code"] == "launch":
            notification["conditions"] = {"acknowledgement_hours": 24}
    path = folder / "new-start-test.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return load_treaty(path)


def _declaration(party: str, warheads: tuple[int, int, int]) -> Declaration:
    icbm, slbm, bomber = warheads
    sites = {
        f"{party}-icbm-base": {"deployed-icbm": 300, "warheads-deployed-icbm": icbm},
        f"{party}-submarine-base": {"deployed-slbm": 200, "warheads-deployed-slbm": slbm},
        f"{party}-air-base": {"deployed-heavy-bomber": 60, "warheads-heavy-bomber": bomber},
    }
    holdings = [
        {"item_class": c, "site": site, "count": n}
        for site, counts in sites.items()
        for c, n in counts.items()
    ]
    return Declaration.model_validate(
        {
            "ref": f"{party}-2026-01",
            "schedule": "six-month-update",
            "as_of": "2026-01-01",
            "holdings": holdings,
        }
    )


def _launch(ref: str, event_time: datetime) -> Notice:
    return Notice(
        ref=ref,
        code="launch",
        event_time=event_time,
        fields={
            "planned_launch_date": event_time.date().isoformat(),
            "launch_area": "notional launch area",
            "impact_area": "notional impact area",
        },
    )


def _bulletin(window: str, start: datetime, event: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "window": window,
        "start_utc": start.isoformat(),
        "end_utc": (start + timedelta(seconds=800)).isoformat(),
        "stations": 17,
        "detections": 40 if event else 3,
        "picks": 12 if event else 1,
        "event": event,
        "no_event_reason": None if event else "fewer than 4 picks",
    }


def _event_body(origin: datetime) -> dict[str, Any]:
    return {
        "origin_utc": origin.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z",
        "latitude_deg": EVENT["latitude_deg"],
        "longitude_deg": EVENT["longitude_deg"],
        "depth_km": 0.0,
        "depth_fixed": True,
        "ellipse_km": [12.5, 8.1, 40.0],
        "rms_s": 0.8,
        "stations": ["IC.MDJ", "KG.CHNB"],
        "magnitudes": {
            "mb": {"value": 4.12, "stderr": 0.21, "n": 9, "status": "ok"},
            "Ms_20": {"value": None, "stderr": None, "n": 0, "status": "no station at 20-160"},
        },
        "screening": {
            "ms-mb": {"outcome": "not screened", "explanation": "no Ms_20"},
            "depth": {"outcome": "not screened", "explanation": "depth fixed"},
        },
        "inside_territory": True,
        "ims1": "DATA_TYPE BULLETIN IMS1.0:short",
    }


@dataclass
class Built:
    """A dashboard test ledger and what was put in it."""

    path: Path
    spec: TreatySpec
    keys: dict[str, PartyKey]
    seqs: dict[str, int]


class _Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def build_dashboard_ledger(folder: Path) -> Built:
    """Build the ledger described in the module docstring in ``folder``."""
    spec = make_spec(folder)
    keys = {party: generate_party_key(party) for party in ("us", "ru", "uk")}
    tick = _Clock()
    path = folder / "ledger.sqlite"
    seqs: dict[str, int] = {}
    ledger = Ledger.create(
        path,
        treaty=spec.id,
        spec_digest=spec.digest(),
        keys={p: k.public for p, k in keys.items()},
        consensus_parties=spec.consensus_parties(),
        opener=keys["us"],
        time=tick.now,
    )
    with ledger:
        # One warhead counted per deployed heavy bomber (60), New START Article III.2(c).
        us_declaration = _declaration("us", (440, 1100, 60))  # 1,600 warheads
        ru_declaration = _declaration("ru", (700, 714, 60))  # 1,474 warheads
        seqs["us-declaration"] = submit_declaration(
            ledger, spec, keys["us"], us_declaration, time=tick(minutes=10)
        ).seq
        seqs["ru-declaration"] = submit_declaration(
            ledger, spec, keys["ru"], ru_declaration, time=tick(minutes=10)
        ).seq
        # ru's launch notice: given at T0+1h for a launch at T0+48h (deadline T0+24h).
        seqs["ru-notice"] = submit_notice(
            ledger,
            spec,
            keys["ru"],
            _launch("ru-launch-1", T0 + timedelta(hours=48)),
            time=tick(minutes=40),
        ).seq
        # us's launch notice: given at T0+2h for a launch at T0+10h (deadline T0-14h).
        seqs["us-notice"] = submit_notice(
            ledger,
            spec,
            keys["us"],
            _launch("us-launch-1", T0 + timedelta(hours=10)),
            time=tick(hours=1),
        ).seq
        for party, notifier, notice in (
            ("us", "ru", "ru-launch-1"),
            ("ru", "us", "us-launch-1"),
            ("uk", "us", "us-launch-1"),
        ):
            ledger.append(
                "acknowledgement",
                {"notice": notice, "notifying_party": notifier},
                keys[party],
                time=tick(minutes=5),
            )
        # A ru launch detected at T0+100h that no notice covers (deadline T0+76h).
        seqs["missing-event"] = ledger.append(
            "event",
            {"code": "launch", "party": "ru", "event_time": "2026-01-14T04:00:00Z"},
            keys["us"],
            ref="detected-launch-7",
            time=tick(minutes=5),
        ).seq
        # A us launch planned after NOW: its notice is still due.
        ledger.append(
            "event",
            {"code": "launch", "party": "us", "event_time": "2026-02-20T00:00:00Z"},
            keys["us"],
            ref="planned-launch-9",
            time=tick(minutes=5),
        )

        sites = ru_declaration.sites()
        opened = tick(hours=1)
        seqs["draw-open"] = draws.open_draw(
            ledger,
            keys["us"],
            "type-one-1",
            purpose="type-one inspection site",
            population=sites,
            count=1,
            commit_by=opened + timedelta(hours=2),
            reveal_by=opened + timedelta(hours=4),
            time=opened,
        ).seq
        secrets = {party: draws.new_secret() for party in keys}
        for party in ("us", "ru", "uk"):
            draws.commit(ledger, keys[party], "type-one-1", secrets[party], time=tick(minutes=10))
        for party in ("us", "uk"):  # ru never reveals
            draws.reveal(ledger, keys[party], "type-one-1", secrets[party], time=tick(minutes=10))
        result = draws.settle(ledger, keys["us"], "type-one-1", time=tick(hours=5))
        seqs["draw-result"] = result.seq
        site = result.body["selected"][0]
        observed = {h.item_class: h.count for h in ru_declaration.holdings if h.site == site}
        report = InspectionReport(
            ref="type-one-1",
            inspection_type="type-one",
            inspected_party="ru",
            site=site,
            draw="type-one-1",
            treaty_year=15,
            team_size=9,
            observed=observed,
        )
        seqs["inspection"] = submit_inspection(
            ledger, spec, keys["us"], report, time=tick(days=1)
        ).seq
        release = Release(
            "rv-count-icbm",
            "visual-count.reentry-vehicles",
            "ab" * 32,
            "cd" * 32,
            "ok",
            {"count": 4},
        )
        seqs["measurement"] = record_releases(
            ledger,
            keys["us"],
            item="ru-icbm-17",
            item_class="warheads-deployed-icbm",
            releases=[release],
            time=tick(minutes=30),
        ).seq

        latest = declarations_in_effect(ledger.records(kinds=["declaration"]), NOW.date()).effective
        limit_findings = {(f.rule, f.subject): f for f in evaluate_limits(spec, latest)}
        disputed = submit_finding(
            ledger, keys["ru"], limit_findings[("limit:warheads", "us")], time=tick(hours=1)
        )
        consensus.cosign(ledger, disputed.seq, keys["uk"], time=tick(minutes=1))
        consensus.dissent(ledger, disputed.seq, keys["us"], DISSENT_REASON, time=tick(minutes=1))
        adopted = submit_finding(
            ledger, keys["us"], limit_findings[("limit:warheads", "ru")], time=tick(minutes=5)
        )
        for party in ("ru", "uk"):
            consensus.cosign(ledger, adopted.seq, keys[party], time=tick(minutes=1))
        seqs["finding-disputed"], seqs["finding-adopted"] = disputed.seq, adopted.seq
        seqs["report"] = submit_report(
            ledger,
            keys["uk"],
            "Data exchange of 1 January 2026",
            [disputed, adopted],
            "1 of 2 findings compliant; 1 disputed",
            time=tick(minutes=5),
        ).seq

        window_start = tick(hours=2)
        seqs["bulletin-event"] = ledger.append(
            "seismic_bulletin",
            _bulletin("window-01", window_start, _event_body(window_start + timedelta(seconds=95))),
            keys["uk"],
            ref="bulletin:window-01",
            time=tick(minutes=20),
        ).seq
        seqs["bulletin-quiet"] = ledger.append(
            "seismic_bulletin",
            _bulletin("window-02", window_start + timedelta(seconds=800), None),
            keys["uk"],
            ref="bulletin:window-02",
            time=tick(minutes=20),
        ).seq
    assert tick.now < NOW
    return Built(path, spec, keys, seqs)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_dashboard_ledger(tmp_path_factory.mktemp("dashboard"))


@pytest.fixture
def ledger(built: Built) -> Iterator[Ledger]:
    with Ledger.open(built.path) as opened:
        yield opened


def text_of(html: str) -> str:
    """Visible text of a page, tags dropped and white space collapsed (for assertions)."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# Treaty status ---------------------------------------------------------------------------


def test_warhead_limit_exceeded_by_1600_against_1550(built: Built, ledger: Ledger) -> None:
    status = views.treaty_status(built.spec, ledger, NOW)
    rows = {(r.limit_id, r.party): r for r in status.limits}
    us = rows[("warheads", "us")]
    assert (us.declared, us.maximum, us.within, us.relation) == (1600, 1550, False, "exceeded")
    assert us.declaration_seq == built.seqs["us-declaration"]
    assert us.declaration_ref == "us-2026-01"
    assert dict(us.by_class)["warheads-deployed-slbm"] == 1100
    ru = rows[("warheads", "ru")]
    assert (ru.declared, ru.within, ru.declaration_seq) == (
        1474,
        True,
        built.seqs["ru-declaration"],
    )
    assert rows[("delivery-vehicles", "us")].declared == 560
    assert status.exceeded == 1
    assert status.undeclared == ("uk",)


def test_treaty_without_limits_says_so(tmp_path: Path) -> None:
    spec = load_treaty("ctbt")
    key = generate_party_key(spec.consensus_parties()[0])
    with Ledger.create(
        tmp_path / "l.sqlite",
        treaty=spec.id,
        spec_digest=spec.digest(),
        keys={key.party: key.public},
        consensus_parties=[key.party],
        opener=key,
        time=T0,
    ) as ledger:
        status = views.treaty_status(spec, ledger, NOW)
    assert status.limits == ()
    assert "defines no numerical limits" in status.note


# Notifications ---------------------------------------------------------------------------


def test_notifications_states_and_overdue_marks(built: Built, ledger: Ledger) -> None:
    view = views.notifications_view(built.spec, ledger, NOW)
    assert view.problem is None
    by_state: dict[str, list[views.NotificationRow]] = {}
    for row in view.rows:
        by_state.setdefault(row.state, []).append(row)
    (on_time,) = by_state["on time"]
    assert (on_time.party, on_time.seq, on_time.overdue) == ("ru", built.seqs["ru-notice"], False)
    assert on_time.deadline == "2026-01-11 00:00 UTC"
    assert on_time.effective == "2026-01-10 01:00 UTC"
    (late,) = by_state["late"]
    assert (late.party, late.seq, late.deadline) == (
        "us",
        built.seqs["us-notice"],
        "2026-01-09 10:00 UTC",
    )
    (missing,) = by_state["overdue-unanswered"]
    assert missing.overdue and missing.party == "ru" and missing.seq == built.seqs["missing-event"]
    assert missing.deadline == "2026-01-13 04:00 UTC"
    assert missing.reference == "event detected-launch-7"
    (unacknowledged,) = by_state["unacknowledged"]
    assert unacknowledged.overdue and unacknowledged.party == "uk"
    assert unacknowledged.reference == "notice ru-launch-1 of ru"
    (owed,) = by_state["due"]
    assert (owed.party, owed.overdue, owed.deadline) == ("us", False, "2026-02-19 00:00 UTC")
    assert view.overdue == 2 and view.late == 1
    assert [row.overdue for row in view.rows[:2]] == [True, True]  # overdue first


def test_without_acknowledgement_limit_nothing_is_unacknowledged(
    built: Built, ledger: Ledger
) -> None:
    spec = load_treaty("new-start")  # no acknowledgement limit; parties us and ru
    view = views.notifications_view(spec, ledger, NOW)
    assert "sets no time limit for acknowledgements" in view.acknowledgement_note
    assert not [r for r in view.rows if r.state == "unacknowledged"]
    assert [r.state for r in view.rows if r.overdue] == ["overdue-unanswered"]


# Inspections and draws -------------------------------------------------------------------


def test_draw_with_missing_reveal(built: Built, ledger: Ledger) -> None:
    view = views.inspections_view(built.spec, ledger, NOW)
    (draw,) = view.draws
    with Ledger.open(built.path) as again:
        opening = again.get(built.seqs["draw-open"])
        result = again.get(built.seqs["draw-result"])
    assert draw.statement == opening.hash_hex
    assert draw.committed == ("us", "ru", "uk")
    assert draw.revealed == ("us", "uk")
    assert draw.missing_reveals == ("ru",)
    assert draw.outcome == "settled" and draw.result_seq == built.seqs["draw-result"]
    assert draw.selected == tuple(result.body["selected"])
    assert (draw.population, draw.count) == (3, 1)


def test_open_draw_waits_and_then_can_be_settled(built: Built, tmp_path: Path) -> None:
    keys = {p: generate_party_key(p) for p in ("us", "ru", "uk")}
    with Ledger.create(
        tmp_path / "l.sqlite",
        treaty=built.spec.id,
        spec_digest=built.spec.digest(),
        keys={p: k.public for p, k in keys.items()},
        consensus_parties=list(keys),
        opener=keys["us"],
        time=T0,
    ) as ledger:
        draws.open_draw(
            ledger,
            keys["us"],
            "d",
            purpose="site",
            population=["a", "b"],
            count=1,
            commit_by=T0 + timedelta(hours=1),
            reveal_by=T0 + timedelta(hours=2),
            time=T0,
        )
        waiting = views.inspections_view(built.spec, ledger, T0 + timedelta(minutes=30))
        later = views.inspections_view(built.spec, ledger, T0 + timedelta(hours=3))
    assert waiting.draws[0].outcome == "open"
    assert "waiting for reveals" in waiting.draws[0].message
    assert later.draws[0].outcome == "failed"  # nobody committed or revealed


def test_inspection_and_released_outputs_only(built: Built, ledger: Ledger) -> None:
    view = views.inspections_view(built.spec, ledger, NOW)
    (inspection,) = view.inspections
    assert (inspection.seq, inspection.inspecting, inspection.inspected) == (
        built.seqs["inspection"],
        "us",
        "ru",
    )
    assert inspection.draw == "type-one-1"
    (measurement,) = view.measurements
    (release,) = measurement.releases
    assert (measurement.item, release.method_id, release.outputs) == (
        "ru-icbm-17",
        "rv-count-icbm",
        (("count", "4"),),
    )
    html = views.render_page("inspections", view, spec=built.spec, now=NOW, viewer="us (party)")
    assert "cd" * 32 not in html  # the input commitment is not shown


def test_dashboard_shows_an_inconclusive_release_as_neither_pass_nor_error(built: Built) -> None:
    def row(
        method_id: str, status: str, outputs: dict[str, str], reason: str = ""
    ) -> views.ReleaseRow:
        return views.ReleaseRow(method_id, "gamma.x", status, tuple(outputs.items()), reason)

    releases = (
        row("a-pass", "ok", {"pass": "True"}),
        row("b-fail", "ok", {"pass": "False"}),
        row("c-inconclusive", "inconclusive", {}, "bound-straddles-threshold"),
        row("d-error", "error", {}, "needs-high-resolution"),
        row("e-count", "ok", {"count": "4"}),
        row("f-unknown", "revoked", {}),
    )
    assert [r.verdict for r in releases] == [
        "pass",
        "fail",
        "inconclusive",
        "error",
        "released",
        "error",
    ]
    assert [r.badge for r in releases] == ["ok", "bad", "warn", "bad", "info", "bad"]
    measurement = views.MeasurementRow(1, "2026-01-01 00:00 UTC", "us", "W-1", "warhead", releases)
    view = views.InspectionsView((), (), (measurement,))
    html = views.render_page("inspections", view, spec=built.spec, now=NOW, viewer="us (party)")
    assert "pass = True" in html and "release-pass" in html and "release-fail" in html
    assert "bound-straddles-threshold" in html and "needs-high-resolution" in html
    assert '<span class="badge warn">inconclusive</span> bound-straddles-threshold' in html


# Findings --------------------------------------------------------------------------------


def test_finding_with_cosignature_and_dissent(built: Built, ledger: Ledger) -> None:
    view = views.findings_view(built.spec, ledger, NOW)
    rows = {row.seq: row for row in view.findings}
    disputed = rows[built.seqs["finding-disputed"]]
    assert disputed.status == "disputed"
    assert disputed.proposer == "ru" and disputed.subject == "us"
    assert disputed.compliant is False
    assert disputed.signed == ("ru", "uk")
    assert disputed.dissents == (views.DissentRow("us", DISSENT_REASON),)
    assert disputed.basis == (built.seqs["us-declaration"],)
    adopted = rows[built.seqs["finding-adopted"]]
    assert (adopted.status, adopted.dissents, adopted.pending) == ("adopted", (), ())
    (report,) = view.reports
    assert (report.status, report.pending, report.signed) == ("pending", ("ru", "us"), ("uk",))
    assert report.basis == (disputed.seq, adopted.seq)
    assert (view.count("adopted"), view.count("disputed"), view.count("pending")) == (1, 1, 1)


# Monitoring ------------------------------------------------------------------------------


def test_bulletins_and_event_on_the_map(built: Built, ledger: Ledger) -> None:
    view = views.monitoring_view(built.spec, ledger, NOW)
    assert [b.window for b in view.bulletins] == ["window-01", "window-02"]
    (event,) = view.events
    assert (event.latitude_deg, event.longitude_deg) == (41.3, 129.04)
    assert event.mb == "4.12 ± 0.21"
    assert event.depth_km == "0.0 (fixed)"
    assert event.inside_territory is True
    assert ("ms-mb", "not screened", "no Ms_20") in event.screening
    assert view.bulletins[1].reason == "fewer than 4 picks"
    assert f'id="event-{built.seqs["bulletin-event"]}"' in view.map_svg
    assert "window-01: origin" in view.map_svg  # the tooltip


def test_a_window_with_two_events_has_a_row_and_a_marker_for_each(tmp_path: Path) -> None:
    spec = load_treaty("ctbt")
    keys = {p.id: generate_party_key(p.id) for p in spec.parties[:1]}
    (party,) = keys
    start = datetime(2026, 1, 2, tzinfo=UTC)
    body = _bulletin("window-01", start, _event_body(start + timedelta(seconds=95)))
    later = _event_body(start + timedelta(seconds=575))  # a collapse eight minutes later
    later["latitude_deg"] = 41.35
    body["further_events"] = [later]
    with Ledger.create(
        tmp_path / "two.db",
        treaty=spec.id,
        spec_digest=spec.digest(),
        keys={p: k.public for p, k in keys.items()},
        consensus_parties=[party],
        opener=keys[party],
        time=start,
    ) as ledger:
        seq = ledger.append("seismic_bulletin", body, keys[party], time=start).seq
        view = views.monitoring_view(spec, ledger, start)
    assert [(b.window, b.latitude_deg) for b in view.bulletins] == [
        ("window-01", 41.3),
        ("window-01", 41.35),
    ]
    assert f'id="event-{seq}"' in view.map_svg
    assert f'id="event-{seq}-1"' in view.map_svg


def test_bulletin_kind_is_the_test_ban_regime_s() -> None:
    from treatyverify.exercise.regimes.test_ban import BULLETIN_KIND

    assert views.BULLETIN_KIND == BULLETIN_KIND


# Ledger ----------------------------------------------------------------------------------


def test_ledger_verified(built: Built, ledger: Ledger) -> None:
    view = views.ledger_view(built.spec, ledger, NOW)
    assert view.verified and view.bad_seq is None
    assert view.size == ledger.size
    assert view.root == ledger.root().hex()
    assert dict(view.kinds)["seismic_bulletin"] == 2
    assert view.spec_matches


def test_tampered_ledger_names_the_first_bad_record(built: Built, tmp_path: Path) -> None:
    copy = tmp_path / "tampered.sqlite"
    copy.write_bytes(built.path.read_bytes())
    seq = built.seqs["us-declaration"]
    with closing(sqlite3.connect(copy)) as connection, connection:
        (content,) = connection.execute(
            "SELECT content FROM records WHERE seq=?", (seq,)
        ).fetchone()
        forged = bytes(content).replace(b'"count":1100', b'"count":1000')
        assert forged != bytes(content)
        connection.execute("UPDATE records SET content=? WHERE seq=?", (forged, seq))
    with Ledger.open(copy) as ledger:
        view = views.ledger_view(built.spec, ledger, NOW)
        html = views.render_page("ledger", view, spec=built.spec, now=NOW, viewer="ru (party)")
    assert not view.verified
    assert view.bad_seq == seq
    assert "signature" in view.reason
    assert f"verification failed at record {seq}" in text_of(html)


# Pages -----------------------------------------------------------------------------------


def all_pages(built: Built, ledger: Ledger) -> dict[str, str]:
    builders = {
        "status": views.treaty_status,
        "notifications": views.notifications_view,
        "inspections": views.inspections_view,
        "findings": views.findings_view,
        "monitoring": views.monitoring_view,
        "ledger": views.ledger_view,
    }
    return {
        page: views.render_page(
            page, build(built.spec, ledger, NOW), spec=built.spec, now=NOW, viewer="us (party)"
        )
        for page, build in builders.items()
    }


def test_pages_show_the_facts(built: Built, ledger: Ledger) -> None:
    pages = {name: text_of(html) for name, html in all_pages(built, ledger).items()}
    assert "1,600" in pages["status"] and "1,550" in pages["status"]
    assert "exceeded" in pages["status"]
    assert "OVERDUE overdue-unanswered" in pages["notifications"]
    assert "detected-launch-7" in pages["notifications"]
    assert "OVERDUE unacknowledged" in pages["notifications"]
    assert "late" in pages["notifications"]
    assert "missing reveals" in pages["inspections"]
    assert f"us dissents: {DISSENT_REASON}" in pages["findings"]
    assert "disputed" in pages["findings"]
    assert "41.300°" in pages["monitoring"] and "129.040°" in pages["monitoring"]
    assert "GSHHG" in pages["monitoring"]
    assert "verified" in pages["ledger"]
    for name, html in all_pages(built, ledger).items():
        assert "signed in: us (party)" in text_of(html), name
        assert html.count('aria-current="page"') == 1, name


def test_pages_have_no_script_and_no_external_url(built: Built, ledger: Ledger) -> None:
    for name, html in all_pages(built, ledger).items():
        lowered = html.lower()
        assert "<script" not in lowered, name
        assert "http://" not in lowered and "https://" not in lowered, name
        assert not re.search(r"<[^>]+\son[a-z]+\s*=", lowered), name  # no event handlers
        assert "javascript:" not in lowered, name


def test_values_are_escaped(built: Built, tmp_path: Path) -> None:
    keys = {p: generate_party_key(p) for p in ("us", "ru", "uk")}
    with Ledger.create(
        tmp_path / "l.sqlite",
        treaty=built.spec.id,
        spec_digest=built.spec.digest(),
        keys={p: k.public for p, k in keys.items()},
        consensus_parties=list(keys),
        opener=keys["us"],
        time=T0,
    ) as ledger:
        ledger.append(
            "seismic_bulletin",
            _bulletin("<script>alert(1)</script>", T0, _event_body(T0)),
            keys["uk"],
            time=T0,
        )
        view = views.monitoring_view(built.spec, ledger, NOW)
    html = views.render_page("monitoring", view, spec=built.spec, now=NOW, viewer="uk (party)")
    assert "<script" not in html
    assert "&lt;script&gt;" in html
