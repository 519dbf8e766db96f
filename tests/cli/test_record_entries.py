"""``record inspect``, ``record event`` and ``record acknowledge`` end to end, in-process.

The facts checked come from the treaty texts, not from the code: New START allows each
side ten Type One and eight Type Two inspections a treaty year (U.S. Department of State
fact sheet, 17 May 2012); a New START launch notice is due 24 h before the launch
(Protocol Part Four, Section IV, para 1); the INF Treaty entered into force on
1 June 1988, and a short-notice inspection lasted 24 h with a team of 10 (Harahan 1993,
ch. 8). Every refusal is one line on standard error, exit status 2, and leaves the
ledger as long as it was.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from treatyverify.cli.app import app

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def ok(*args: str) -> str:
    code, out, err = run(*args)
    assert code == 0, f"{args}: exit {code}: {err or out}"
    return out


def size(ledger: Path) -> int:
    with sqlite3.connect(ledger) as db:
        return int(db.execute("select count(*) from records").fetchone()[0])


class Space:
    """Keys of both parties and a ledger opened under ``treaty`` by the first."""

    def __init__(self, root: Path, treaty: str, parties: tuple[str, str]) -> None:
        self.root = root
        keys = root / "keys"
        for party in parties:
            ok("party", "keygen", party, "--treaty", treaty, "--out", str(keys))
        self.ledger = root / "ledger.sqlite"
        self.key = {party: str(keys / f"{party}.key") for party in parties}
        ok(
            "record",
            *("init", "--treaty", treaty, "--keys", str(keys)),
            *("--key", self.key[parties[0]], "--ledger", str(self.ledger)),
        )
        self.count = 0

    def file(self, document: Any) -> str:
        self.count += 1
        path = self.root / f"input-{self.count}.json"
        path.write_text(document if isinstance(document, str) else json.dumps(document))
        return str(path)

    def submit(self, command: str, target: str, party: str) -> tuple[int, str, str]:
        return run(
            "record", command, target, "--key", self.key[party], "--ledger", str(self.ledger)
        )

    def refused(self, command: str, target: str, party: str, *needles: str) -> str:
        """Run a command that must be refused; return its one error line."""
        before = size(self.ledger)
        code, _out, err = self.submit(command, target, party)
        assert code == 2, (code, err)
        assert err.count("\n") == 1 and err.startswith("error: "), err
        for needle in needles:
            assert needle in err, (needle, err)
        assert size(self.ledger) == before
        return err


@pytest.fixture
def start(tmp_path: Path) -> Space:
    return Space(tmp_path, "new-start", ("us", "ru"))


@pytest.fixture
def inf(tmp_path: Path) -> Space:
    return Space(tmp_path, "inf", ("us", "su"))


R = "inspection r-77: "
"""An error found in the treaty's rules names the report."""
F = object()
"""Stands for the file's path: an error found in the file's form names the file."""


def type_one(ref: str, **changes: Any) -> dict[str, Any]:
    report: dict[str, Any] = {
        "ref": ref,
        "inspection_type": "type-one",
        "inspected_party": "ru",
        "site": "kozelsk",
        "treaty_year": 3,
        "team_size": 10,
        "observed": {"deployed-icbm": 10, "warheads-deployed-icbm": 40},
    }
    report.update(changes)
    return report


# record inspect --------------------------------------------------------------------------


def test_inspection_report_is_appended_and_verifies(start: Space) -> None:
    code, out, err = start.submit("inspect", start.file(type_one("t1-1")), "us")
    assert code == 0, err
    assert out.startswith(f"record {size(start.ledger) - 1}: inspection_report by us at ")
    record = json.loads(
        ok("record", "show", str(size(start.ledger) - 1), "--ledger", str(start.ledger), "--json")
    )
    envelope = record["envelope"]
    assert (envelope["kind"], envelope["party"], envelope["ref"]) == (
        "inspection_report",
        "us",
        "t1-1",
    )
    assert envelope["body"]["observed"] == {"deployed-icbm": 10, "warheads-deployed-icbm": 40}
    assert "start" not in envelope["body"]
    ok("record", "verify", "--ledger", str(start.ledger))


def test_new_start_allows_ten_type_one_inspections_a_treaty_year(start: Space) -> None:
    for number in range(1, 11):
        code, _out, err = start.submit("inspect", start.file(type_one(f"t1-{number}")), "us")
        assert code == 0, (number, err)
    start.refused("inspect", start.file(type_one("t1-11")), "us", "quota of 10", "treaty year 3")
    # the quota is per treaty year and per inspecting party
    assert start.submit("inspect", start.file(type_one("t1-11", treaty_year=4)), "us")[0] == 0
    ru_report = type_one("ru-t1-1", inspected_party="us")
    assert start.submit("inspect", start.file(ru_report), "ru")[0] == 0


def type_two(ref: str) -> dict[str, Any]:
    observed = {"non-deployed-icbm-launcher": 4}
    return type_one(ref, inspection_type="type-two", observed=observed)


def test_new_start_allows_eight_type_two_inspections_a_treaty_year(start: Space) -> None:
    for number in range(1, 9):
        assert start.submit("inspect", start.file(type_two(f"t2-{number}")), "us")[0] == 0
    start.refused("inspect", start.file(type_two("t2-9")), "us", "quota of 8")


def test_a_type_two_inspection_records_only_non_deployed_arms(start: Space) -> None:
    # Article XI.3: Type Two inspections concern non-deployed strategic offensive arms.
    report = type_one("t2-deployed", inspection_type="type-two")
    start.refused("inspect", start.file(report), "us", "may record only")


@pytest.mark.parametrize(
    ("changes", "needles"),
    [
        ({"inspection_type": "type-three"}, (R, "inspection_type", "type-three")),
        ({"inspected_party": "us"}, (R, "inspected_party", "does not inspect itself")),
        ({"inspected_party": "cn"}, (R, "inspected_party", "'cn'")),
        ({"observed": {"cruise-missile": 1}}, (R, "observed.cruise-missile")),
        ({"observed": {"deployed-icbm": -1}}, (R, "observed.deployed-icbm")),
        ({"team_size": "10"}, (F, "team_size")),
        ({"treaty_year": 0}, (F, "treaty_year")),
        ({"colour": "red"}, (F, "colour")),
        ({"start": "2013-03-01T08:00:00Z"}, (R, "end", "give both start and end")),
        ({"start": "2013-03-01T08:00:00", "end": "2013-03-01T20:00:00"}, (F, "start")),
        ({"start": "2013-03-01T08:00:00+03:00", "end": "2013-03-01T20:00:00Z"}, (F, "UTC")),
        ({"start": "2013-03-01T20:00:00Z", "end": "2013-03-01T08:00:00Z"}, (R, "end after")),
        # entry into force 5 February 2011: 1 March 2013 is in treaty year 3, not 2
        (
            {"treaty_year": 2, "start": "2013-03-01T08:00:00Z", "end": "2013-03-01T20:00:00Z"},
            (R, "treaty year 3, not 2"),
        ),
        (
            {"start": "2010-03-01T08:00:00Z", "end": "2010-03-01T20:00:00Z"},
            (R, "before entry into force"),
        ),
    ],
)
def test_bad_inspection_report_is_refused(
    start: Space, changes: dict[str, Any], needles: tuple[Any, ...]
) -> None:
    path = start.file(type_one("r-77", **changes))
    start.refused("inspect", path, "us", *(path if n is F else n for n in needles))


def test_missing_field_and_malformed_json_are_refused(start: Space) -> None:
    report = type_one("t1-1")
    del report["site"]
    path = start.file(report)
    start.refused("inspect", path, "us", path, "site")
    path = start.file('{"ref": "t1-1", "inspection_type": "type-one",')
    start.refused("inspect", path, "us", path)


def test_an_inspection_ending_after_it_is_recorded_is_refused(start: Space) -> None:
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    times = {"start": tomorrow.isoformat(), "end": (tomorrow + timedelta(hours=2)).isoformat()}
    start.refused(
        "inspect", start.file(type_one("later", **times)), "us", "after the report is recorded"
    )


def short_notice(ref: str, hours: float) -> dict[str, Any]:
    begin = datetime(1989, 1, 10, 6, tzinfo=UTC)  # treaty year 1: 1 June 1988 to 31 May 1989
    return {
        "ref": ref,
        "inspection_type": "short-notice",
        "inspected_party": "su",
        "site": "votkinsk",
        "treaty_year": 1,
        "team_size": 10,
        "observed": {"intermediate-range-missile": 0},
        "start": begin.isoformat().replace("+00:00", "Z"),
        "end": (begin + timedelta(hours=hours)).isoformat().replace("+00:00", "Z"),
    }


def test_inf_short_notice_inspection_lasts_at_most_24_hours(inf: Space) -> None:
    code, _out, err = inf.submit("inspect", inf.file(short_notice("sn-1", 24)), "us")
    assert code == 0, err
    body = json.loads(
        ok("record", "show", str(size(inf.ledger) - 1), "--ledger", str(inf.ledger), "--json")
    )["envelope"]["body"]
    assert (body["start"], body["end"]) == ("1989-01-10T06:00:00Z", "1989-01-11T06:00:00Z")
    inf.refused("inspect", inf.file(short_notice("sn-2", 24.5)), "us", "24.50 h", "24 h")
    too_many = short_notice("sn-3", 2) | {"team_size": 11}
    inf.refused("inspect", inf.file(too_many), "us", "team of 11", "10 inspectors")
    ok("record", "verify", "--ledger", str(inf.ledger))


# record event ----------------------------------------------------------------------------


def launch_event(**changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "ref": "launch-1",
        "code": "launch",
        "party": "ru",
        "event_time": "2030-06-01T12:00:00Z",
    }
    event.update(changes)
    return event


def test_event_is_appended_and_its_notice_falls_due(start: Space) -> None:
    code, out, err = start.submit("event", start.file(launch_event()), "us")
    assert code == 0, err
    assert "event by us" in out
    due = json.loads(
        ok(
            "notify",
            *("due", "--ledger", str(start.ledger), "--now", "2030-05-30T00:00:00Z", "--json"),
        )
    )
    owed = [(i["what"], i["party"], i["deadline"]) for i in due["due"]]
    # a New START launch notice is due 24 h before the launch
    assert owed == [("notice", "ru", "2030-05-31T12:00:00.000000Z")]
    ok("record", "verify", "--ledger", str(start.ledger))


@pytest.mark.parametrize(
    ("changes", "needles"),
    [
        ({"code": "earthquake"}, ("earthquake",)),
        ({"party": "cn"}, ("cn",)),
        ({"event_time": "2030-06-01T12:00:00"}, ("event_time",)),
        ({"event_time": "2030-06-01T15:00:00+03:00"}, ("event_time", "UTC")),
        ({"event_time": "1 June 2030"}, ("event_time",)),
        ({"event_time": 1906041600}, ("event_time",)),
        ({"planned": True}, ("planned",)),
    ],
)
def test_bad_event_is_refused(
    start: Space, changes: dict[str, Any], needles: tuple[str, ...]
) -> None:
    start.refused("event", start.file(launch_event(**changes)), "us", *needles)


def test_event_without_code_is_refused(start: Space) -> None:
    event = launch_event()
    del event["code"]
    start.refused("event", start.file(event), "us", "code")
    path = start.file('{"code": "launch", "party": "ru", "event_time": ')
    start.refused("event", path, "us", path)


def test_the_same_event_twice_is_refused(start: Space) -> None:
    assert start.submit("event", start.file(launch_event()), "us")[0] == 0
    again = launch_event(ref="launch-again", event_time="2030-06-01T12:00:00+00:00")
    start.refused("event", start.file(again), "ru", "already record")


# record acknowledge ----------------------------------------------------------------------


def notify(space: Space, party: str, ref: str) -> None:
    notice = {
        "ref": ref,
        "code": "launch",
        "event_time": "2030-06-01T12:00:00Z",
        "fields": {"planned_launch_date": "2030-06-01", "launch_area": "A", "impact_area": "B"},
    }
    assert space.submit("notify", space.file(notice), party)[0] == 0


def test_acknowledgement_is_appended_once(start: Space) -> None:
    notify(start, "ru", "ru-launch-1")
    code, out, err = run(
        *("record", "acknowledge", "ru-launch-1", "--key", start.key["us"]),
        *("--ledger", str(start.ledger), "--json"),
    )
    assert code == 0, err
    envelope = json.loads(out)["envelope"]
    assert (envelope["kind"], envelope["party"]) == ("acknowledgement", "us")
    assert envelope["body"] == {"notice": "ru-launch-1", "notifying_party": "ru"}
    start.refused("acknowledge", "ru-launch-1", "us", "already", "ru-launch-1")
    ok("record", "verify", "--ledger", str(start.ledger))


def test_own_unknown_and_ambiguous_notices_are_refused(start: Space) -> None:
    notify(start, "ru", "launch-1")
    start.refused("acknowledge", "launch-1", "ru", "its own notice")
    start.refused("acknowledge", "no-such-notice", "us", "no notice no-such-notice")
    notify(start, "us", "launch-1")  # refs are unique per party only
    start.refused("acknowledge", "launch-1", "us", "name the notifier")
    code, _out, err = run(
        *("record", "acknowledge", "launch-1", "--notifier", "ru", "--key", start.key["us"]),
        *("--ledger", str(start.ledger)),
    )
    assert code == 0, err


def test_inf_acknowledgement_settles_what_is_owed(inf: Space) -> None:
    notice = {
        "ref": "intent-1",
        "code": "inspection-intent",
        "event_time": "2030-01-10T06:00:00Z",
        "fields": {"point_of_entry": "Moscow", "site_specification_time": "x", "team_list": []},
    }
    assert inf.submit("notify", inf.file(notice), "us")[0] == 0

    def owed() -> list[tuple[str, str]]:
        due = json.loads(ok("notify", "due", "--ledger", str(inf.ledger), "--json"))
        return [(i["what"], i["party"]) for i in due["due"]]

    # the INF notice of intent is acknowledged within one hour (Section IV, para 1)
    assert owed() == [("acknowledgement", "su")]
    assert inf.submit("acknowledge", "intent-1", "su")[0] == 0
    assert owed() == []
