"""A treaty its users wrote, walked through every command.

The Lakeside Accord below is no shipped treaty: its parties (``northmere``,
``southmere``), item classes, limits, declaration schedule, notice type, inspection type
and committed declaration exist only in a YAML file of the test's own. The ledger pins
that file's text in record 0, so every command after ``record init`` works from the
ledger alone, even once the file on disk has changed.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
import rfc8785
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from treatyverify.cli.app import app
from treatyverify.notifications.notices import parse_notice, submit_notice
from treatyverify.records.keys import load_private_key
from treatyverify.records.pinned import ledger_spec
from treatyverify.service.app import create_app
from treatyverify.service.auth import SESSION_COOKIE
from treatyverify.service.client import RemoteLedger, ServiceClient
from treatyverify.service.config import load_config
from treatyverify.service.context import open_context
from treatyverify.treaty import list_treaties

LAKESIDE = """\
# A treaty written by its own experts: two lakeside states limit their rocket batteries.
id: lakeside-accord
name: Accord between Northmere and Southmere on the Limitation of Rocket Batteries
short_name: Lakeside Accord
signed: 2024-01-10
entered_into_force: 2024-03-01
status: in-force
sources:
  - Lakeside Accord, agreed 10 January 2024 (notional, written for this test)
parties:
  - id: northmere
    name: Republic of Northmere
    roles: [inspecting, inspected, notifying, notified]
  - id: southmere
    name: Kingdom of Southmere
    roles: [inspecting, inspected, notifying, notified]
item_classes:
  - id: rocket-battery
    name: Rocket batteries
    description: Deployed launch batteries for long-range rockets.
    unit: battery
    deployed: true
    source: Lakeside Accord, Article 2
  - id: battery-warhead
    name: Warheads of rocket batteries
    description: Warheads carried by deployed batteries.
    unit: warhead
    deployed: true
    source: Lakeside Accord, Article 2
limits:
  - id: batteries
    description: Deployed rocket batteries
    counts: [rocket-battery]
    maximum: 40.0   # written as a float on purpose: one JSON number with 40
    unit: battery
    effective: 0 days after entry into force
    source: Lakeside Accord, Article 3.1
  - id: battery-warheads
    description: Warheads of rocket batteries
    counts: [battery-warhead]
    maximum: 120
    unit: warhead
    effective: 0 days after entry into force
    source: Lakeside Accord, Article 3.2
declarations:
  - id: quarterly-holdings
    kind: periodic
    description: Holdings of each item class at each site, every three months.
    due:
      interval_months: 3
      days_after_period_end: 20
      first_period_starts: month-after-entry-into-force
    required_fields: [item_class, count, site]
    source: Lakeside Accord, Article 4
notifications:
  - code: battery-move
    name: Movement of a battery
    trigger: a battery leaves its declared site
    deadline:
      relation: before
      hours: 48
      reference: the movement
    required_fields: [battery, from_site, to_site]
    source: Lakeside Accord, Article 5
inspections:
  - id: shore-visit
    name: Shore visit
    purpose: Count the batteries and warheads at a declared site.
    annual_quota: 6
    source: Lakeside Accord, Article 6
committed_declarations:
  - id: committed-warheads
    limit: battery-warheads
    source: Lakeside Accord, Annex (committed declarations)
stages:
  - id: exchange
    kind: data-exchange-and-notifications
    name: Holdings and movements
    measures: [quarterly-holdings, battery-move]
  - id: visits
    kind: inspections
    name: Shore visits
    measures: [shore-visit]
"""

SCENARIO = """\
scenario: lakeside-extra-warheads
title: "Lakeside Accord: extra warheads on batteries at a declared site"
description: Does a year of shore visits catch warheads loaded beyond the declared number?
regime: arms-count
treaty: lakeside.yaml
host: northmere
inspectors: [southmere]
host_disputes: true
timeline:
  start: 2025-03-01T00:00:00Z
  end: 2026-02-27T00:00:00Z
inspection_type: shore-visit
inspection_days: 1.0
baseline_schedule: quarterly-holdings
update_schedule: quarterly-holdings
update_as_of: 2025-08-31T00:00:00Z
bases:
  - id: north-shore
    missiles: 10
    warheads_per_missile: 3
    missile_class: rocket-battery
    warhead_class: battery-warhead
  - id: north-bay
    missiles: 10
    warheads_per_missile: 3
    missile_class: rocket-battery
    warhead_class: battery-warhead
strategy:
  kind: undeclared-warheads
  facility: north-shore
  missiles: 2
  extra_warheads: 1
inspector:
  quota: 6
  team_size: 5
  team_days: 30
monte_carlo:
  runs: 1
  seed: 7
"""

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def ok(*args: str) -> str:
    code, out, err = run(*args)
    assert code == 0, f"{args}: exit {code}: {err or out}"
    return out


def refused(*args: str) -> str:
    code, out, err = run(*args)
    assert code == 2, f"{args}: exit {code}: {out}"
    assert err.count("\n") == 1, err
    return err


def write_json(path: Path, value: object) -> str:
    path.write_text(json.dumps(value), encoding="utf-8")
    return str(path)


def expected_digest(text: str) -> str:
    """The RFC 8785 digest from the YAML alone, by the independent rfc8785 package.

    The document is the YAML's own data with dates as ISO text; fields are all given
    (no defaults to omit) except ``stages``' and the schedules' optional ones, which
    this file does not use, and ``maximum: 40.0`` hashes as ``40``.
    """
    data = yaml.safe_load(text)
    for key in ("signed", "entered_into_force"):
        data[key] = data[key].isoformat()
    document = {"format": "treatyverify-treaty/1", "specification": data}
    return hashlib.sha256(rfc8785.dumps(document)).hexdigest()


@pytest.fixture
def lakeside(tmp_path: Path) -> Path:
    """A workspace with the treaty file, both parties' keys and a ledger opened under it."""
    assert not {"lakeside-accord"} & set(list_treaties())
    treaty = tmp_path / "lakeside.yaml"
    treaty.write_text(LAKESIDE, encoding="utf-8")
    keys = tmp_path / "keys"
    for party in ("northmere", "southmere"):
        ok("party", "keygen", party, "--treaty", str(treaty), "--out", str(keys))
    ledger = tmp_path / "ledger.sqlite"
    ok(
        "record",
        "init",
        "--treaty",
        str(treaty),
        "--keys",
        str(keys),
        "--key",
        str(keys / "northmere.key"),
        "--ledger",
        str(ledger),
    )
    return tmp_path


def test_validate_reports_the_rfc8785_digest(tmp_path: Path) -> None:
    treaty = tmp_path / "lakeside.yaml"
    treaty.write_text(LAKESIDE, encoding="utf-8")
    shown = json.loads(ok("treaty", "validate", str(treaty), "--json"))
    assert shown["valid"] and shown["id"] == "lakeside-accord"
    assert shown["digest"] == expected_digest(LAKESIDE)


def test_record_zero_pins_the_files_exact_text(lakeside: Path) -> None:
    ledger = str(lakeside / "ledger.sqlite")
    genesis = json.loads(ok("record", "show", "0", "--ledger", ledger, "--json"))
    envelope = genesis["envelope"]
    assert envelope["treaty"] == "lakeside-accord"
    body = envelope["body"]
    assert body["spec_text"] == LAKESIDE
    assert body["spec_format"] == "treatyverify-treaty/1"
    assert body["spec_digest"] == expected_digest(LAKESIDE)
    assert sorted(body["parties"]) == ["northmere", "southmere"]


def test_every_command_on_a_user_written_treaty(lakeside: Path) -> None:
    keys, ledger = lakeside / "keys", str(lakeside / "ledger.sqlite")
    north, south = str(keys / "northmere.key"), str(keys / "southmere.key")
    treaty = lakeside / "lakeside.yaml"
    # The file may change or go once the ledger is open: the ledger carries its own copy.
    treaty.write_text(LAKESIDE.replace("maximum: 120", "maximum: 999"), encoding="utf-8")

    # Declarations, checked against the pinned limits: 44 batteries exceed the 40.
    declaration = {
        "ref": "north-q2",
        "schedule": "quarterly-holdings",
        "as_of": "2024-06-30",
        "holdings": [
            {"item_class": "rocket-battery", "site": "north-shore", "count": 44},
            {"item_class": "battery-warhead", "site": "north-shore", "count": 100},
        ],
    }
    ok(
        "record",
        "declare",
        write_json(lakeside / "decl.json", declaration),
        "--key",
        north,
        "--ledger",
        ledger,
    )
    unknown = dict(declaration, ref="north-bad")
    unknown["holdings"] = [{"item_class": "deployed-icbm", "site": "x", "count": 1}]
    assert "deployed-icbm" in refused(
        "record",
        "declare",
        write_json(lakeside / "bad.json", unknown),
        "--key",
        north,
        "--ledger",
        ledger,
    )

    # A notice of the treaty's own type.
    notice = {
        "ref": "south-move-1",
        "code": "battery-move",
        "event_time": "2030-07-03T06:00:00Z",
        "fields": {"battery": "b-7", "from_site": "south-cove", "to_site": "east-cove"},
    }
    ok(
        "record",
        "notify",
        write_json(lakeside / "notice.json", notice),
        "--key",
        south,
        "--ledger",
        ledger,
    )
    due = json.loads(
        ok("notify", "due", "--ledger", ledger, "--now", "2030-07-04T00:00:00Z", "--json")
    )
    assert set(due) >= {"due", "findings"}

    # Evaluation against the pinned limits, proposed and co-signed.
    findings = json.loads(
        ok("record", "evaluate", "--key", north, "--on", "2024-07-01", "--ledger", ledger, "--json")
    )
    over = [f for f in findings if "batteries" in f["rule"] and f["compliant"] is False]
    assert len(over) == 1, findings
    assert not [f for f in findings if "battery-warheads" in f["rule"] and not f["compliant"]]
    seq = str(over[0]["seq"])
    ok("record", "cosign", seq, "--key", south, "--ledger", ledger)
    state = json.loads(ok("record", "status", seq, "--ledger", ledger, "--json"))
    assert state["status"] == "adopted" and state["signed"] == ["northmere", "southmere"]

    # A random draw of a site for a shore visit, by both parties.
    ok(
        "draw",
        "open",
        "visit-1",
        "--population",
        "north-shore,north-bay",
        "--key",
        north,
        "--ledger",
        ledger,
    )
    for party, key in (("northmere", north), ("southmere", south)):
        ok(
            "draw",
            "commit",
            "visit-1",
            "--secret",
            str(lakeside / f"{party}.draw"),
            "--key",
            key,
            "--ledger",
            ledger,
        )
    for party, key in (("northmere", north), ("southmere", south)):
        ok(
            "draw",
            "reveal",
            "visit-1",
            "--secret",
            str(lakeside / f"{party}.draw"),
            "--key",
            key,
            "--ledger",
            ledger,
        )
    ok("draw", "result", "visit-1", "--key", south, "--ledger", ledger)

    # A committed (zero-knowledge) declaration under the pinned 120-warhead limit; the
    # file on disk now says 999 and must not be what the proof is checked against.
    counts = write_json(lakeside / "counts.json", {"north-shore": 70, "north-bay": 40})
    secret = str(lakeside / "zk.secret.json")
    original = lakeside / "original.yaml"
    original.write_text(LAKESIDE, encoding="utf-8")
    ok(
        "zk",
        "commit",
        counts,
        "--treaty",
        str(original),
        "--declaration",
        "committed-warheads",
        "--party",
        "northmere",
        "--period",
        "2024-Q3",
        "--secret",
        secret,
    )
    public = lakeside / "zk.json"
    proved = json.loads(
        ok(
            "zk",
            "prove",
            secret,
            "--out",
            str(public),
            "--key",
            north,
            "--ledger",
            ledger,
            "--json",
        )
    )
    checked = json.loads(
        ok("zk", "verify", "--record", str(proved["seq"]), "--ledger", ledger, "--json")
    )
    assert checked["valid"] and checked["limit"] == 120
    assert json.loads(ok("zk", "verify", str(public), "--treaty", str(original), "--json"))["valid"]
    ok(
        "zk",
        "open",
        "--secret",
        secret,
        "--record",
        str(proved["seq"]),
        "--draw",
        "visit-1",
        "--key",
        north,
        "--ledger",
        ledger,
    )

    # The changed file is not the ledger's specification: refused where it is given.
    err = refused("notify", "due", "--treaty", str(treaty), "--ledger", ledger)
    assert "lakeside-accord" in err
    ok("notify", "due", "--treaty", str(original), "--ledger", ledger)

    # Verification with the pinned keys, and a replica made from an export.
    verified = json.loads(ok("record", "verify", "--keys", str(keys), "--ledger", ledger, "--json"))
    assert verified["treaty"] == "lakeside-accord"
    export = lakeside / "export.jsonl"
    ok("record", "export", "--out", str(export), "--ledger", ledger)
    pinned = lakeside / "pinned"
    pinned.mkdir()
    for party in ("northmere", "southmere"):
        shutil.copy(keys / f"{party}.pub", pinned)
    replica = str(lakeside / "replica.sqlite")
    ok("record", "import", str(export), "--keys", str(pinned), "--ledger", replica)
    copy = json.loads(ok("record", "verify", "--keys", str(pinned), "--ledger", replica, "--json"))
    assert copy["root"] == verified["root"] and copy["size"] == verified["size"]
    again = json.loads(
        ok("record", "evaluate", "--on", "2024-07-01", "--ledger", replica, "--json")
    )
    assert [(f["rule"], f["compliant"]) for f in again] == [
        (f["rule"], f["compliant"]) for f in findings
    ]


def test_the_service_serves_a_user_written_treaty(lakeside: Path) -> None:
    keys, ledger = lakeside / "keys", lakeside / "ledger.sqlite"
    (lakeside / "lakeside.yaml").unlink()  # the service reads the ledger's own copy
    config = lakeside / "service.yaml"
    config.write_text(yaml.safe_dump({"ledger": str(ledger)}), encoding="utf-8")
    context = open_context(load_config(config))
    try:
        assert context.spec.id == "lakeside-accord"
        application = create_app(context)
        north = load_private_key(keys / "northmere.key")
        client = ServiceClient(
            "http://testserver", north, http=TestClient(application, base_url="http://testserver")
        )
        head = client.call("GET", "/api/ledger")
        assert head["treaty"] == "lakeside-accord"
        assert head["spec_digest"] == expected_digest(LAKESIDE)
        served = client.call("GET", "/api/treaties/lakeside-accord")
        assert served["digest"] == expected_digest(LAKESIDE)
        assert served["specification"]["parties"][0]["id"] == "northmere"
        assert "lakeside-accord" in client.call("GET", "/api/treaties")["treaties"]

        # A party submits a notice of the treaty's own type through the service.
        south = load_private_key(keys / "southmere.key")
        remote = RemoteLedger(
            ServiceClient(
                "http://testserver",
                south,
                http=TestClient(application, base_url="http://testserver"),
            )
        )
        spec = ledger_spec(remote)
        notice = parse_notice(
            {
                "ref": "south-move-2",
                "code": "battery-move",
                "event_time": "2031-01-10T06:00:00Z",
                "fields": {"battery": "b-9", "from_site": "south-cove", "to_site": "west-cove"},
            },
            where="notice",
        )
        record = submit_notice(remote, spec, south, notice)
        assert record.seq == 1 and record.treaty == "lakeside-accord"
        assert client.call("GET", "/api/ledger/verify")["size"] == 2

        token = client.session()
        pages = TestClient(application, base_url="http://testserver")
        pages.cookies.set(SESSION_COOKIE, token)
        for page in ("", "/notifications", "/ledger"):
            shown = pages.get(f"/dashboard{page}")
            assert shown.status_code == 200, page
            assert "Lakeside Accord" in shown.text or "lakeside-accord" in shown.text
    finally:
        context.close()


def test_an_exercise_can_name_the_treaty_file(tmp_path: Path) -> None:
    (tmp_path / "lakeside.yaml").write_text(LAKESIDE, encoding="utf-8")
    scenario = tmp_path / "shore.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    shown = json.loads(ok("exercise", "validate", str(scenario), "--json"))
    assert shown["treaty"] == "lakeside-accord"
    out = tmp_path / "run"
    result = json.loads(
        ok(
            "exercise",
            "run",
            str(scenario),
            "--out",
            str(out),
            "--runs",
            "1",
            "--workers",
            "1",
            "--json",
        )
    )
    assert result["treaty"] == "lakeside-accord"
    assert result["spec_digest"] == expected_digest(LAKESIDE)
    assert all(point["ledgers_verified"] for point in result["points"])
