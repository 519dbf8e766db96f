"""``record evaluate`` applies every rule New START states (counting rules, limits,
declaration due dates), and ``record declare`` refuses a date before entry into force."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from treatyverify.cli.app import app

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _ledger(tmp_path: Path) -> tuple[Path, Path]:
    keys = tmp_path / "keys"
    for party in ("us", "ru"):
        assert run("party", "keygen", party, "--treaty", "new-start", "--out", str(keys))[0] == 0
    ledger = tmp_path / "ledger.sqlite"
    code, _out, err = run(
        "record", "init", "--treaty", "new-start", "--keys", str(keys),
        "--key", str(keys / "us.key"), "--ledger", str(ledger),
    )  # fmt: skip
    assert code == 0, err
    return keys, ledger


def _declare(tmp_path: Path, keys: Path, ledger: Path, as_of: str, **counts: int) -> tuple:
    path = tmp_path / f"{as_of}.json"
    holdings = [
        {"item_class": c.replace("_", "-"), "site": "base-1", "count": n} for c, n in counts.items()
    ]
    body = {"ref": f"ru-{as_of}", "schedule": "six-month-update", "as_of": as_of,
            "holdings": holdings}  # fmt: skip
    path.write_text(json.dumps(body))
    return run(
        "record", "declare", str(path), "--key", str(keys / "ru.key"), "--ledger", str(ledger)
    )


def test_evaluate_applies_the_counting_rules_and_due_dates(tmp_path: Path) -> None:
    keys, ledger = _ledger(tmp_path)
    code, _out, err = _declare(
        tmp_path, keys, ledger, "2022-03-01",
        deployed_heavy_bomber=60, warheads_deployed_icbm=1500,
        deployed_icbm=100, deployed_icbm_launcher=50,
    )  # fmt: skip
    assert code == 0, err
    code, out, err = run(
        "record", "evaluate", "--on", "2022-03-02", "--ledger", str(ledger), "--json"
    )
    assert code == 0, err
    by_rule = {(f["rule"], f["subject"]): f for f in json.loads(out)}
    # Article III.2(c): 60 bombers count 60 warheads; 1,500 + 60 > 1,550 (Article II.1(b)).
    warheads = by_rule[("limit:warheads", "ru")]
    assert warheads["values"]["declared"] == 1560 and warheads["compliant"] is False
    # 100 deployed ICBMs cannot sit in 50 deployed launchers.
    assert by_rule[("counting:icbm-in-deployed-launcher", "ru")]["compliant"] is False
    # The initial database was due on 22 March 2011, before this ledger was opened:
    # not judged (tests/compliance/test_schedules.py judges it on a ledger of 2011).
    assert ("declaration-due:initial-database", "us") not in by_rule


def test_a_declaration_before_entry_into_force_is_refused_and_nothing_written(
    tmp_path: Path,
) -> None:
    keys, ledger = _ledger(tmp_path)
    with sqlite3.connect(ledger) as db:
        before = db.execute("select count(*) from records").fetchone()[0]
    code, _out, err = _declare(tmp_path, keys, ledger, "2011-02-04", deployed_icbm=1)
    assert code == 2 and err.count("\n") == 1 and "as_of" in err and "2011-02-05" in err
    with sqlite3.connect(ledger) as db:
        assert db.execute("select count(*) from records").fetchone()[0] == before
