"""Library checks of events, acknowledgements and inspection reports that no shipped
treaty can reach from the command line: parties without the role a record needs.

The specification is New START with one party's roles cut down, as a user-written
treaty might have them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from treatyverify.errors import InputError
from treatyverify.exchange.inspections import InspectionReport, submit_inspection
from treatyverify.notifications.events import (
    Event,
    parse_event,
    submit_acknowledgement,
    submit_event,
)
from treatyverify.notifications.notices import Notice, submit_notice
from treatyverify.records.keys import PartyKey, generate_party_key
from treatyverify.records.ledger import Ledger
from treatyverify.treaty import TreatySpec, load_treaty

LAUNCH = datetime(2030, 6, 1, 12, tzinfo=UTC)


def spec_with_roles(**roles: tuple[str, ...]) -> TreatySpec:
    """New START with the roles of some parties replaced."""
    spec = load_treaty("new-start")
    parties = tuple(
        p.model_copy(update={"roles": roles[p.id]}) if p.id in roles else p for p in spec.parties
    )
    return spec.model_copy(update={"parties": parties})


def new_ledger(path: Path) -> tuple[Ledger, dict[str, PartyKey]]:
    """A New START ledger of us and ru, opened by us."""
    spec = load_treaty("new-start")
    keys = {party: generate_party_key(party) for party in ("us", "ru")}
    ledger = Ledger.create(
        path,
        treaty=spec.id,
        spec_digest=spec.digest(),
        keys={p: k.public for p, k in keys.items()},
        consensus_parties=list(spec.consensus_parties()),
        opener=keys["us"],
    )
    return ledger, keys


def launch_notice(ref: str) -> Notice:
    fields = {"planned_launch_date": "2030-06-01", "launch_area": "A", "impact_area": "B"}
    return Notice(ref=ref, code="launch", event_time=LAUNCH, fields=fields)


def test_a_party_not_notified_does_not_acknowledge(tmp_path: Path) -> None:
    spec = spec_with_roles(us=("inspecting", "inspected", "notifying"))
    ledger, keys = new_ledger(tmp_path / "ledger.sqlite")
    with ledger:
        submit_notice(ledger, spec, keys["ru"], launch_notice("n-1"))
        with pytest.raises(InputError, match="does not list us as notified"):
            submit_acknowledgement(ledger, spec, keys["us"], "n-1")
        assert ledger.size == 2


def test_an_event_names_a_notifying_party_and_a_notice_of_its_type(tmp_path: Path) -> None:
    spec = spec_with_roles(ru=("inspecting", "inspected", "notified"))
    ledger, keys = new_ledger(tmp_path / "ledger.sqlite")
    with ledger:
        with pytest.raises(InputError, match="does not list ru as notifying"):
            submit_event(
                ledger, spec, keys["us"], Event(code="launch", party="ru", event_time=LAUNCH)
            )
        spec = load_treaty("new-start")
        submit_notice(ledger, spec, keys["ru"], launch_notice("n-1"))
        elimination = Event(code="elimination", party="ru", event_time=LAUNCH, notice="n-1")
        with pytest.raises(InputError, match="is a launch notice, not elimination") as caught:
            submit_event(ledger, spec, keys["us"], elimination)
        assert caught.value.where == "elimination event of ru: notice"
        covered = submit_event(
            ledger, spec, keys["us"], elimination.model_copy(update={"code": "launch"})
        )
        assert covered.body == {
            "code": "launch",
            "party": "ru",
            "event_time": "2030-06-01T12:00:00.000000Z",
            "notice": "n-1",
        }


def test_a_party_not_inspecting_does_not_report_an_inspection(tmp_path: Path) -> None:
    spec = spec_with_roles(us=("notifying", "notified"))
    ledger, keys = new_ledger(tmp_path / "ledger.sqlite")
    report = InspectionReport(
        ref="t1-1",
        inspection_type="type-one",
        inspected_party="ru",
        site="kozelsk",
        treaty_year=3,
        team_size=10,
        observed={"deployed-icbm": 10},
    )
    with ledger:
        with pytest.raises(InputError, match="does not list us as inspecting"):
            submit_inspection(ledger, spec, keys["us"], report)
        with pytest.raises(InputError, match="does not list us as inspected"):
            submit_inspection(
                ledger, spec, keys["ru"], report.model_copy(update={"inspected_party": "us"})
            )
        assert ledger.size == 1


@pytest.mark.parametrize(
    "document",
    [
        [],
        {"code": "launch", "party": "ru"},
        {"code": "launch", "party": "ru", "event_time": "2030-06-01T12:00:00Z", "notice": ""},
        {"code": "", "party": "ru", "event_time": "2030-06-01T12:00:00Z"},
    ],
)
def test_malformed_event_documents_name_the_file(document: object) -> None:
    with pytest.raises(InputError) as caught:
        parse_event(document, where="event.json")
    assert str(caught.value).startswith("event.json: ")
