"""``treatyverify zk``: commit, prove, record, verify, open the drawn sites, compare counts."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from typer.testing import CliRunner

from treatyverify.cli.app import app

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def ok(*args: str) -> str:
    code, out, err = run(*args)
    assert code == 0, err
    return out


def _ledger(tmp_path: Path) -> tuple[Path, Path]:
    keys = tmp_path / "keys"
    ok("party", "keygen", "us", "--treaty", "new-start", "--out", str(keys))
    ok("party", "keygen", "ru", "--treaty", "new-start", "--out", str(keys))
    ledger = tmp_path / "ledger.sqlite"
    ok(
        "record", "init", "--treaty", "new-start", "--keys", str(keys),
        "--key", str(keys / "us.key"), "--ledger", str(ledger),
    )  # fmt: skip
    return keys, ledger


def _commit(tmp_path: Path, counts: dict[str, int]) -> Path:
    counts_file = tmp_path / "counts.json"
    counts_file.write_text(json.dumps(counts))
    secret = tmp_path / "us.secret.json"
    ok(
        "zk", "commit", str(counts_file), "--treaty", "new-start",
        "--declaration", "deployed-warheads", "--party", "us", "--period", "2026-H1",
        "--secret", str(secret),
    )  # fmt: skip
    return secret


def test_the_whole_flow(tmp_path: Path) -> None:
    keys, ledger = _ledger(tmp_path)
    counts = {f"base-{i:02d}": 31 for i in range(50)}  # 1,550 over 50 sites
    secret = _commit(tmp_path, counts)
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    public = tmp_path / "declaration.json"
    out = ok(
        "zk", "prove", str(secret), "--out", str(public), "--key", str(keys / "us.key"),
        "--ledger", str(ledger), "--json",
    )  # fmt: skip
    seq = json.loads(out)["seq"]
    published = json.loads(public.read_text())
    assert all(set(site) == {"id", "commitment"} for site in published["sites"]), "no counts"
    found = json.loads(ok("zk", "verify", "--record", str(seq), "--ledger", str(ledger), "--json"))
    assert found["valid"] and found["limit"] == 1550 and found["sites"] == 50
    assert json.loads(ok("zk", "verify", str(public), "--json"))["valid"]
    ok(
        "zk", "open", "--secret", str(secret), "--record", str(seq), "--sites", "base-03,base-17",
        "--key", str(keys / "us.key"), "--ledger", str(ledger),
    )  # fmt: skip
    counted = tmp_path / "counted.json"
    counted.write_text(json.dumps({"base-03": 31, "base-17": 30, "base-20": 31}))
    verdicts = json.loads(
        ok(
            "zk",
            "open",
            "--record",
            str(seq),
            "--counted",
            str(counted),
            "--ledger",
            str(ledger),
            "--json",
        )
    )
    assert verdicts == {
        "base-03": "agrees",
        "base-17": "declared 31, counted 30",
        "base-20": "not opened",
    }
    ok("record", "verify", "--ledger", str(ledger))


def test_a_total_over_the_limit_cannot_be_proven(tmp_path: Path) -> None:
    secret = _commit(tmp_path, {"a": 1000, "b": 551})  # 1,551 > 1,550
    code, _out, err = run("zk", "prove", str(secret), "--out", str(tmp_path / "d.json"))
    assert code == 2 and "exceeds the limit" in err
    assert not (tmp_path / "d.json").exists()


def test_a_declaration_for_another_limit_fails_verification(tmp_path: Path) -> None:
    secret = _commit(tmp_path, {"a": 10, "b": 20})
    public = tmp_path / "d.json"
    ok("zk", "prove", str(secret), "--out", str(public))
    data = json.loads(public.read_text())
    data["limit"] = 2000
    public.write_text(json.dumps(data))
    code, _out, err = run("zk", "verify", str(public))
    assert code == 2 and err.count("\n") == 1


def test_another_party_cannot_record_the_declaration(tmp_path: Path) -> None:
    keys, ledger = _ledger(tmp_path)
    secret = _commit(tmp_path, {"a": 10})
    code, _out, err = run(
        "zk", "prove", str(secret), "--out", str(tmp_path / "d.json"),
        "--key", str(keys / "ru.key"), "--ledger", str(ledger),
    )  # fmt: skip
    assert code == 2 and "cannot record a declaration of us" in err


def test_commit_refuses_a_negative_count(tmp_path: Path) -> None:
    counts_file = tmp_path / "counts.json"
    counts_file.write_text(json.dumps({"a": -1}))
    code, _out, err = run(
        "zk", "commit", str(counts_file), "--treaty", "new-start",
        "--declaration", "deployed-warheads", "--party", "us", "--period", "p",
        "--secret", str(tmp_path / "s.json"),
    )  # fmt: skip
    assert code == 2 and "counts.json: a" in err
    assert not (tmp_path / "s.json").exists()
