"""``treatyverify notify`` in-process with Typer's CliRunner, on SQLite ledgers."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from treatyverify.cli.notify import app
from treatyverify.notifications.deadlines import EVENT_KIND
from treatyverify.records.keys import generate_party_key, load_private_key, write_key_pair
from treatyverify.records.ledger import Ledger
from treatyverify.treaty import TreatySpec, load_treaty

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def ok(*args: str) -> str:
    code, out, err = run(*args)
    assert code == 0, f"{args}: exit {code}: {err or out}"
    return out


def fails(*args: str) -> str:
    code, out, err = run(*args)
    assert code == 2, f"{args}: exit {code}: {out}"
    assert err.startswith("error: ") and err.count("\n") == 1
    return err


def size(ledger: Path) -> int:
    with sqlite3.connect(ledger) as db:
        return int(db.execute("select count(*) from records").fetchone()[0])


def make_ledger(tmp_path: Path, spec: TreatySpec) -> tuple[Path, dict[str, Path]]:
    keys = {p.id: generate_party_key(p.id) for p in spec.parties}
    paths = {p: write_key_pair(k, tmp_path / "keys")[0] for p, k in keys.items()}
    ledger = tmp_path / "ledger.sqlite"
    first = spec.parties[0].id
    Ledger.create(
        ledger,
        treaty=spec.id,
        spec_digest=spec.digest(),
        keys={p: k.public for p, k in keys.items()},
        consensus_parties=list(spec.consensus_parties()),
        opener=keys[first],
        time=datetime(2026, 1, 1, tzinfo=UTC),
    ).close()
    return ledger, paths


def launch(ref: str, event_time: str, **extra: Any) -> dict[str, Any]:
    fields = {
        "planned_launch_date": event_time[:10],
        "launch_area": "Vandenberg",
        "impact_area": {"centre": [167.7, 9.0], "radius_km": 100},
    }
    return {"ref": ref, "code": "launch", "event_time": event_time, "fields": fields | extra}


def write_json(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


@pytest.fixture
def launches(tmp_path: Path) -> tuple[Path, dict[str, Path]]:
    return make_ledger(tmp_path, load_treaty("us-ussr-launch-notification-1988"))


def test_import_export_round_trip(launches: tuple[Path, dict[str, Path]], tmp_path: Path) -> None:
    ledger, keys = launches
    source = write_json(
        tmp_path / "in.json",
        [launch("n-1", "2099-01-02T00:00:00Z"), launch("n-2", "2099-01-03T00:00:00Z")],
    )
    out = json.loads(
        ok("import", str(source), "--key", str(keys["us"]), "--ledger", str(ledger), "--json")
    )
    assert out["appended"] == 2
    ok("export", "--out", str(tmp_path / "out.csv"), "--ledger", str(ledger))
    ok("export", "--out", str(tmp_path / "out.json"), "--ledger", str(ledger))
    exported = json.loads((tmp_path / "out.json").read_text())["notices"]
    assert [n["ref"] for n in exported] == ["n-1", "n-2"]
    assert exported[0]["event_time"] == "2099-01-02T00:00:00.000000Z"
    # The CSV export imports back for the other party unchanged.
    ok("import", str(tmp_path / "out.csv"), "--key", str(keys["su"]), "--ledger", str(ledger))
    assert size(ledger) == 5


def test_bad_import_writes_nothing(launches: tuple[Path, dict[str, Path]], tmp_path: Path) -> None:
    ledger, keys = launches
    bowtie = {"boundary": [[0, 0], [1, 1], [1, 0], [0, 1]]}
    bad = write_json(
        tmp_path / "bad.json",
        [
            launch("n-1", "2099-01-02T00:00:00Z"),
            launch("n-2", "2099-01-02T00:00:00Z", impact_area=bowtie),
        ],
    )
    err = fails("import", str(bad), "--key", str(keys["us"]), "--ledger", str(ledger))
    assert "notices[1]: notice n-2: fields.impact_area.boundary" in err
    naive = write_json(tmp_path / "naive.json", [launch("n-1", "2099-01-02T00:00:00")])
    err = fails("import", str(naive), "--key", str(keys["us"]), "--ledger", str(ledger))
    assert "notice n-1: event_time" in err
    assert size(ledger) == 1
    good = write_json(tmp_path / "good.json", [launch("n-1", "2099-01-02T00:00:00Z")])
    ok("import", str(good), "--key", str(keys["us"]), "--ledger", str(ledger))
    again = write_json(
        tmp_path / "again.json",
        [launch("n-5", "2099-01-02T00:00:00Z"), launch("n-1", "2099-01-02T00:00:00Z")],
    )
    err = fails("import", str(again), "--key", str(keys["us"]), "--ledger", str(ledger))
    assert "duplicate" in err and "n-1" in err
    assert size(ledger) == 2


def test_due_lists_a_missing_notice(launches: tuple[Path, dict[str, Path]]) -> None:
    ledger, keys = launches
    with Ledger.open(ledger) as book:
        book.append(
            EVENT_KIND,
            {"code": "launch", "party": "su", "event_time": "2026-02-10T00:00:00Z"},
            load_private_key(keys["us"]),
            ref="e-1",
            time=datetime(2026, 2, 1, tzinfo=UTC),
        )
    now_early, now_late = "2026-02-08T00:00:00Z", "2026-02-09T12:00:00Z"
    early = json.loads(ok("due", "--ledger", str(ledger), "--now", now_early, "--json"))
    assert [(d["what"], d["party"], d["status"]) for d in early["due"]] == [("notice", "su", "due")]
    assert early["due"][0]["deadline"] == "2026-02-09T00:00:00.000000Z"
    assert early["findings"] == []
    late = json.loads(ok("due", "--ledger", str(ledger), "--now", now_late, "--json"))
    assert late["due"][0]["status"] == "overdue"
    assert [f["rule"] for f in late["findings"]] == ["notice-missing:launch"]
    assert "overdue" in ok("due", "--ledger", str(ledger), "--now", now_late)
    err = fails("due", "--ledger", str(ledger), "--now", "2026-02-09T12:00:00")
    assert "--now" in err


def holdings_treaty(tmp_path: Path) -> Path:
    """New START as shipped: it defines movement, conversion, elimination and new-item notices."""
    path = tmp_path / "holdings.yaml"
    document = load_treaty("new-start").model_dump(mode="json", exclude_defaults=True)
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def test_rollforward_and_check(tmp_path: Path) -> None:
    treaty = holdings_treaty(tmp_path)
    ledger, keys = make_ledger(tmp_path, load_treaty(str(treaty)))
    base = write_json(
        tmp_path / "base.json",
        {
            "ref": "ru-base",
            "party": "ru",
            "as_of": "2026-01-01T00:00:00Z",
            "items": [
                {"item": "m-1", "item_class": "deployed-icbm", "facility": "base-a"},
                {"item": "m-2", "item_class": "deployed-icbm", "facility": "base-a"},
            ],
        },
    )
    notices = [
        {
            "ref": "n-1",
            "code": "movement",
            "event_time": "2026-01-10T00:00:00Z",
            "fields": {"item": "m-1", "from_facility": "base-a", "to_facility": "base-b"},
        },
        {
            "ref": "n-2",
            "code": "elimination",
            "event_time": "2026-01-11T00:00:00Z",
            "fields": {"item": "m-2"},
        },
    ]
    unknown = write_json(
        tmp_path / "unknown.json",
        [{**notices[0], "ref": "n-9", "fields": {**notices[0]["fields"], "item": "m-7"}}],
    )
    args = ("--key", str(keys["ru"]), "--ledger", str(ledger), "--treaty", str(treaty))
    err = fails("import", str(unknown), *args, "--baseline", str(base))
    assert "notice n-9: fields.item" in err and "unknown item" in err
    ok("import", str(write_json(tmp_path / "n.json", notices)), *args, "--baseline", str(base))
    declared = write_json(
        tmp_path / "decl.json",
        {
            "ref": "ru-2026-02",
            "party": "ru",
            "as_of": "2026-02-01",
            "holdings": [{"item_class": "deployed-icbm", "site": "base-a", "count": 1}],
        },
    )
    rolled = ("rollforward", str(base), "--ledger", str(ledger), "--treaty", str(treaty))
    out = json.loads(ok(*rolled, "--check", str(declared), "--json"))
    assert out["holdings"]["holdings"] == {"base-b": {"deployed-icbm": 1}}
    findings = {f["values"]["facility"]: f for f in out["findings"]}
    assert findings["base-a"]["values"]["notices"] == ["n-1", "n-2"]
    assert len(findings["base-a"]["basis"]) == 2
    assert findings["base-b"]["values"]["declared"] == 0
    assert "base-b" in ok(*rolled)
    # Without --treaty the shipped New START is used: it is the same specification.
    assert "base-b" in ok("rollforward", str(base), "--ledger", str(ledger))


def test_check_launch(tmp_path: Path) -> None:
    notice: dict[str, Any] = {
        "ref": "ru-2026-7",
        "code": "ballistic-missile-launch",
        "event_time": "2026-05-01T03:00:00Z",
        "fields": {
            "planned_launch_date": "2026-05-01",
            "launch_area": [40.58, 62.93],
            "direction": "north-east",
            "impact_area": {"centre": [160.0, 57.8], "radius_nmi": 27},
        },
    }
    path = write_json(tmp_path / "notice.json", notice)
    treaty = "china-russia-launch-notification-2009"
    check = ("check-launch", str(path), "--treaty", treaty, "--party", "ru")
    out = json.loads(ok(*check, "--json"))
    assert out["required"] is True and out["toward_other_party"] is True
    assert out["sector"] == "north-east" and out["stated_direction_matches"] is True
    assert out["impact_point_in_area"] is True
    # π r², r = 27 nmi × 1.852 km
    assert out["impact_area_km2"] == pytest.approx(3.14159 * (27 * 1.852) ** 2, rel=2e-3)
    assert "required" in ok(*check)
    notice["fields"]["impact_area"] = {"boundary": [[0, 0], [1, 1]]}
    write_json(path, notice)
    assert "notice ru-2026-7: fields.impact_area.boundary" in fails(*check)
    del notice["fields"]["direction"]
    write_json(path, notice)
    assert "fields.direction" in fails(*check)


def test_a_ledger_made_under_another_version_of_the_treaty_is_refused(tmp_path: Path) -> None:
    document = load_treaty("new-start").model_dump(mode="json", exclude_defaults=True)
    document["notes"] = "a locally amended copy"
    amended = tmp_path / "amended.yaml"
    amended.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    ledger, _keys = make_ledger(tmp_path, load_treaty(str(amended)))
    err = fails("due", "--ledger", str(ledger), "--now", "2026-02-01T00:00:00Z")
    assert "another version of new-start" in err
    assert "base" not in err  # the error names the ledger, not its content
    ok("due", "--ledger", str(ledger), "--now", "2026-02-01T00:00:00Z", "--treaty", str(amended))
