"""The command line end to end, in-process (Typer's CliRunner), on a SQLite ledger."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from treatyverify.cli.app import app
from treatyverify.records.ledger import Ledger

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def ok(*args: str) -> str:
    code, out, err = run(*args)
    assert code == 0, f"{args}: exit {code}: {err or out}"
    return out


def declaration(ref: str, **counts: int) -> dict[str, object]:
    return {
        "ref": ref,
        "schedule": "six-month-update",
        "as_of": "2022-03-01",
        "holdings": [
            {"item_class": c.replace("_", "-"), "site": "base-1", "count": n}
            for c, n in counts.items()
        ],
    }


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    keys = tmp_path / "keys"
    ok("party", "keygen", "us", "--treaty", "new-start", "--out", str(keys))
    ok("party", "keygen", "ru", "--treaty", "new-start", "--out", str(keys))
    ledger = tmp_path / "ledger.sqlite"
    ok(
        "record",
        "init",
        "--treaty",
        "new-start",
        "--keys",
        str(keys),
        "--key",
        str(keys / "us.key"),
        "--ledger",
        str(ledger),
    )
    return tmp_path


def size(ledger: Path) -> int:
    with sqlite3.connect(ledger) as db:
        return int(db.execute("select count(*) from records").fetchone()[0])


def test_treaty_list_and_show_report_the_treaty_numbers() -> None:
    listed = json.loads(ok("treaty", "list", "--json"))
    assert {t["id"] for t in listed} >= {
        "new-start",
        "inf",
        "ctbt",
        "warhead-dismantlement",
        "us-ussr-launch-notification-1988",
        "china-russia-launch-notification-2009",
    }
    shown = json.loads(ok("treaty", "show", "new-start", "--json"))
    # New START Article II.1(a)-(c)
    assert sorted(limit["maximum"] for limit in shown["limits"]) == [700, 800, 1550]


def test_unknown_treaty_is_one_line_and_status_2() -> None:
    code, _out, err = run("treaty", "show", "no-such-treaty")
    assert code == 2
    assert err.count("\n") == 1 and "no-such-treaty" in err


def test_validate_names_the_file_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    text = (
        Path(__file__).parents[2].joinpath("src/treatyverify/treaties/new-start.yaml").read_text()
    )
    bad.write_text(text.replace("maximum: 700", "maximum: -700"))
    code, _out, err = run("treaty", "validate", str(bad))
    assert code == 2
    assert "bad.yaml" in err and "maximum" in err and err.count("\n") == 1


def test_full_exchange_through_the_cli(workspace: Path) -> None:
    keys, ledger = workspace / "keys", str(workspace / "ledger.sqlite")
    us, ru = str(keys / "us.key"), str(keys / "ru.key")
    decl = workspace / "us.json"
    decl.write_text(
        json.dumps(
            declaration(
                "us-1", deployed_icbm=400, warheads_deployed_icbm=1600, deployed_icbm_launcher=400
            )
        )
    )
    ok("record", "declare", str(decl), "--key", us, "--ledger", ledger)
    notice = workspace / "notice.json"
    notice.write_text(
        json.dumps(
            {
                "ref": "ru-launch-1",
                "code": "launch",
                "event_time": "2022-03-03T06:00:00Z",
                "fields": {
                    "planned_launch_date": "2022-03-03",
                    "launch_area": "A",
                    "impact_area": "B",
                },
            }
        )
    )
    ok("record", "notify", str(notice), "--key", ru, "--ledger", ledger)

    findings = json.loads(ok("record", "evaluate", "--key", us, "--ledger", ledger, "--json"))
    by_rule = {f["rule"]: f for f in findings}
    # 1,600 warheads declared against the limit of 1,550 (Article II.1(b))
    assert by_rule["limit:warheads"]["compliant"] is False
    assert by_rule["limit:warheads"]["values"]["declared"] == 1600
    assert by_rule["limit:delivery-vehicles"]["compliant"] is True
    warheads_seq = str(by_rule["limit:warheads"]["seq"])
    ok("record", "cosign", warheads_seq, "--key", ru, "--ledger", ledger)
    state = json.loads(ok("record", "status", warheads_seq, "--ledger", ledger, "--json"))
    assert state["status"] == "adopted" and state["signed"] == ["ru", "us"]

    other = str(by_rule["limit:launchers"]["seq"])
    ok("record", "dissent", other, "--reason", "count disputed", "--key", ru, "--ledger", ledger)
    state = json.loads(ok("record", "status", other, "--ledger", ledger, "--json"))
    assert state["status"] == "disputed" and state["dissents"] == {"ru": "count disputed"}

    head = workspace / "head.json"
    ok("record", "head", "--key", ru, "--out", str(head), "--ledger", ledger)
    verified = json.loads(
        ok(
            "record",
            "verify",
            "--keys",
            str(keys),
            "--head",
            str(head),
            "--ledger",
            ledger,
            "--json",
        )
    )
    assert verified["valid"] and verified["heads_checked"] == 1
    assert verified["size"] == size(workspace / "ledger.sqlite")
    proof = json.loads(ok("record", "prove", "1", "--ledger", ledger, "--json"))
    assert proof["verified"] is True


def test_draw_commit_reveal_result(workspace: Path) -> None:
    keys, ledger = workspace / "keys", str(workspace / "ledger.sqlite")
    ok(
        "draw",
        "open",
        "d1",
        "--population",
        "a,b,c,d,e",
        "--count",
        "2",
        "--key",
        str(keys / "us.key"),
        "--ledger",
        ledger,
    )
    for party in ("us", "ru"):
        ok(
            "draw",
            "commit",
            "d1",
            "--secret",
            str(workspace / f"{party}.secret"),
            "--key",
            str(keys / f"{party}.key"),
            "--ledger",
            ledger,
        )
    assert oct((workspace / "us.secret").stat().st_mode & 0o777) == "0o600"
    code, _out, err = run("draw", "result", "d1", "--ledger", ledger)
    assert code == 2 and "waiting for reveals" in err
    for party in ("us", "ru"):
        ok(
            "draw",
            "reveal",
            "d1",
            "--secret",
            str(workspace / f"{party}.secret"),
            "--key",
            str(keys / f"{party}.key"),
            "--ledger",
            ledger,
        )
    computed = json.loads(ok("draw", "result", "d1", "--ledger", ledger, "--json"))
    recorded = json.loads(
        ok("draw", "result", "d1", "--key", str(keys / "ru.key"), "--ledger", ledger, "--json")
    )
    assert computed["selected"] == recorded["selected"]
    assert len(set(computed["selected"])) == 2 and set(computed["selected"]) <= set("abcde")
    ok("record", "verify", "--ledger", ledger)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("{not json", "not valid JSON"),
        (json.dumps(declaration("x", no_such_class=1)), "item_class"),
        (json.dumps(declaration("x", deployed_icbm=-1)), "count"),
        (json.dumps({"ref": "x"}), "schedule"),
    ],
)
def test_bad_declarations_write_nothing(workspace: Path, payload: str, expected: str) -> None:
    ledger = workspace / "ledger.sqlite"
    bad = workspace / "bad.json"
    bad.write_text(payload)
    before = size(ledger)
    code, _out, err = run(
        "record",
        "declare",
        str(bad),
        "--key",
        str(workspace / "keys" / "us.key"),
        "--ledger",
        str(ledger),
    )
    assert code == 2, err
    assert expected in err and err.count("\n") == 1
    assert size(ledger) == before


def test_duplicate_declaration_is_refused(workspace: Path) -> None:
    ledger, key = str(workspace / "ledger.sqlite"), str(workspace / "keys" / "us.key")
    decl = workspace / "d.json"
    decl.write_text(json.dumps(declaration("us-1", deployed_icbm=1)))
    ok("record", "declare", str(decl), "--key", key, "--ledger", ledger)
    code, _out, err = run("record", "declare", str(decl), "--key", key, "--ledger", ledger)
    assert code == 2 and "duplicate" in err


def test_key_of_another_party_is_refused(workspace: Path, tmp_path: Path) -> None:
    stranger = tmp_path / "stranger"
    ok("party", "keygen", "us", "--treaty", "new-start", "--out", str(stranger))
    decl = workspace / "d.json"
    decl.write_text(json.dumps(declaration("us-1", deployed_icbm=1)))
    ledger = workspace / "ledger.sqlite"
    code, _out, err = run(
        "record", "declare", str(decl), "--key", str(stranger / "us.key"), "--ledger", str(ledger)
    )
    assert code == 2 and "not the pinned key" in err
    assert size(ledger) == 1


def test_truncated_ledger_is_one_line(workspace: Path) -> None:
    ledger = workspace / "ledger.sqlite"
    for i in range(30):
        decl = workspace / f"d{i}.json"
        decl.write_text(json.dumps(declaration(f"us-{i}", deployed_icbm=i)))
        ok(
            "record",
            "declare",
            str(decl),
            "--key",
            str(workspace / "keys" / "us.key"),
            "--ledger",
            str(ledger),
        )
    broken = workspace / "broken.sqlite"
    data = ledger.read_bytes()
    broken.write_bytes(data[: len(data) // 3])
    code, _out, err = run("record", "verify", "--ledger", str(broken))
    assert code == 2
    assert err.count("\n") == 1 and "broken.sqlite" in err


def test_import_out_of_order_writes_nothing(workspace: Path) -> None:
    keys, ledger = workspace / "keys", workspace / "ledger.sqlite"
    copy = workspace / "copy.sqlite"
    shutil.copy(ledger, copy)
    for i in range(3):
        decl = workspace / f"d{i}.json"
        decl.write_text(json.dumps(declaration(f"us-{i}", deployed_icbm=i)))
        ok("record", "declare", str(decl), "--key", str(keys / "us.key"), "--ledger", str(ledger))
    export = workspace / "export.jsonl"
    ok("record", "export", "--out", str(export), "--ledger", str(ledger))
    lines = export.read_text().splitlines()
    gapped = workspace / "gapped.jsonl"
    gapped.write_text("\n".join(lines[:1] + lines[2:]) + "\n")
    code, _out, err = run("record", "import", str(gapped), "--ledger", str(copy))
    assert code == 2 and "out of order" in err
    assert size(copy) == 1
    ok("record", "import", str(export), "--ledger", str(copy))
    assert size(copy) == 4
    ok("record", "verify", "--ledger", str(copy), "--keys", str(keys))


def test_evaluate_is_not_fooled_by_a_declaration_dated_ahead(workspace: Path) -> None:
    keys, ledger = workspace / "keys", workspace / "ledger.sqlite"
    ahead = declaration("us-ahead", warheads_deployed_icbm=1500)
    ahead["as_of"] = "2099-01-01"
    over = declaration("us-over", warheads_deployed_icbm=2000)
    for name, body in (("ahead", ahead), ("over", over)):
        path = workspace / f"{name}.json"
        path.write_text(json.dumps(body))
        ok("record", "declare", str(path), "--key", str(keys / "us.key"), "--ledger", str(ledger))
    findings = json.loads(ok("record", "evaluate", "--ledger", str(ledger), "--json"))
    warheads = next(f for f in findings if f["rule"] == "limit:warheads")
    assert warheads["values"]["declared"] == 2000 and warheads["compliant"] is False
    text = ok("record", "evaluate", "--ledger", str(ledger))
    assert "2099-01-01, after" in text and "not yet in effect" in " ".join(text.split())
    code, _out, err = run("record", "evaluate", "--on", "March 2022", "--ledger", str(ledger))
    assert code == 2 and "--on" in err


def test_outputs_never_destroy_the_ledger_a_key_or_an_existing_file(workspace: Path) -> None:
    keys, ledger = workspace / "keys", workspace / "ledger.sqlite"
    export = workspace / "export.jsonl"
    ok("record", "export", "--out", str(export), "--ledger", str(ledger))
    first = export.read_bytes()
    for target, force, says in (
        (export, False, "--force"),
        (ledger, True, "this is the ledger"),
        (keys / "us.key", True, "owner-only"),
        (Path("/dev/null"), True, "not a regular file"),
    ):
        args = ["record", "export", "--out", str(target), "--ledger", str(ledger)]
        code, _out, err = run(*args, *(["--force"] if force else []))
        assert code == 2 and says in err, (target, err)
    assert export.read_bytes() == first and size(ledger) == 1
    ok("record", "export", "--out", str(export), "--force", "--ledger", str(ledger))
    head = workspace / "us-head.json"
    signed = ("record", "head", "--key", str(keys / "us.key"), "--ledger", str(ledger))
    ok(*signed, "--out", str(head))
    code, _out, err = run(*signed, "--out", str(head))
    assert code == 2 and "--force" in err  # a kept head is evidence
    ok(*signed, "--out", str(head), "--force")


def test_heads_compare_finds_a_split_view_without_the_ledger(workspace: Path) -> None:
    keys, ledger = workspace / "keys", workspace / "ledger.sqlite"
    other = workspace / "other.sqlite"  # the holder's second history, same keys
    init = ("record", "init", "--treaty", "new-start", "--keys", str(keys))
    ok(*init, "--key", str(keys / "us.key"), "--ledger", str(other))

    def declare_and_sign(book: Path, ref: str, party: str, head: Path, count: int) -> None:
        body = workspace / f"{ref}.json"
        body.write_text(json.dumps(declaration(ref, deployed_icbm=count)))
        ok("record", "declare", str(body), "--key", str(keys / "us.key"), "--ledger", str(book))
        sign = ("record", "head", "--key", str(keys / f"{party}.key"), "--out", str(head))
        ok(*sign, "--ledger", str(book))

    h2, h3, forked = (workspace / name for name in ("h2.json", "h3.json", "forked.json"))
    declare_and_sign(ledger, "us-1", "us", h2, 400)
    declare_and_sign(ledger, "us-2", "ru", h3, 410)
    declare_and_sign(other, "us-1b", "us", forked, 300)
    compare = ("record", "heads", "compare", "--keys", str(keys))
    assert "one history" in ok(*compare, str(h2), str(h3), "--ledger", str(ledger))
    # The proof as the service serves it, checked against the signed roots alone.
    with Ledger.open(ledger) as book:
        path = [node.hex() for node in book.consistency_proof(2, 3)]
    proof = workspace / "proof.json"
    proof.write_text(json.dumps({"old": 2, "size": 3, "path": path}))
    ok(*compare, str(h3), str(h2), "--proof", str(proof))
    code, _out, err = run(*compare, str(h2), str(forked))
    assert code == 2 and "split view" in err and "head by us (size 2" in err
    code, _out, err = run(*compare, str(forked), str(h3), "--proof", str(proof))
    assert code == 2 and "not shown to be one history" in err
    code, _out, err = run(*compare, str(h2), str(h3))
    assert code == 2 and "--proof" in err


def test_verify_fails_closed_on_keys_it_cannot_pin(workspace: Path) -> None:
    ledger = workspace / "ledger.sqlite"
    empty = workspace / "empty"
    empty.mkdir()
    partial = workspace / "partial"
    partial.mkdir()
    shutil.copy(workspace / "keys" / "us.pub", partial / "us.pub")
    for keys, says in (
        (workspace / "missing", "does not exist"),
        (empty, "no public key"),
        (workspace / "keys" / "us.pub", "is not a folder"),
        (partial, "pins no key for party"),
    ):
        code, out, err = run("record", "verify", "--ledger", str(ledger), "--keys", str(keys))
        assert code == 2, (keys, out)
        assert says in err and "ledger verifies" not in out
        assert len(err.strip().splitlines()) == 1


def test_prove_exits_by_its_result(workspace: Path) -> None:
    ledger = workspace / "ledger.sqlite"
    assert "verified" in ok("record", "prove", "0", "--ledger", str(ledger))
    for args, says in (
        (("0", "--size", "5"), "--size"),
        (("3",), "SEQ"),
        (("0", "--size", "0"), "--size"),
    ):
        code, _out, err = run("record", "prove", *args, "--ledger", str(ledger))
        assert code == 2 and says in err, (args, err)


def test_demo_writes_a_verifiable_ledger(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    ok("demo", "--out", str(out), "--runs", "1")  # `make demo` runs the full exercise
    summary = json.loads((out / "demo-summary.json").read_text())
    assert summary["report"]["status"] == "adopted"
    statuses = [f["status"] for f in summary["findings"]]
    assert statuses.count("disputed") == 1 and statuses.count("adopted") == 6
    ok(
        "record",
        "verify",
        "--ledger",
        str(out / "ledger.sqlite"),
        "--keys",
        str(out / "keys"),
        "--head",
        str(out / "heads" / "us.json"),
        "--head",
        str(out / "heads" / "ru.json"),
    )
    ok("demo", "--out", str(out), "--runs", "1")  # a second run replaces the first
    stray = tmp_path / "stray"
    stray.mkdir()
    (stray / "notes.txt").write_text("mine")
    code, _out, _err = run("demo", "--out", str(stray))
    assert code == 2 and (stray / "notes.txt").exists()


def test_python_dash_m_runs_the_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "treatyverify", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.startswith("treatyverify ")
