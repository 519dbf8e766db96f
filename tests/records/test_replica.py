"""Replicas from the command line: ``record import --keys`` and ``record export --since``.

The origin's and the replica's records are compared as raw SQLite rows, and their Merkle
roots computed with the independent RFC 9162 hash of ``ledger_helpers``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from ledger_helpers import leaf, naive_mth, read_rows
from typer.testing import CliRunner

from treatyverify.cli.app import app
from treatyverify.records.keys import load_private_key
from treatyverify.records.ledger import Ledger

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


def add_notes(ledger: Path, key: Path, texts: list[str]) -> None:
    signer = load_private_key(key)
    with Ledger.open(ledger) as book:
        for text in texts:
            book.append("note", {"text": text}, signer)


def independent_root(ledger: Path) -> bytes:
    rows = read_rows(ledger)
    assert [leaf(r.content, r.signature) for r in rows] == [r.hash for r in rows]
    return naive_mth([r.hash for r in rows])


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    keys = tmp_path / "keys"
    for party in ("us", "ru"):
        ok("party", "keygen", party, "--treaty", "new-start", "--out", str(keys))
    ledger = tmp_path / "origin.sqlite"
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
    add_notes(ledger, keys / "us.key", ["first"])
    add_notes(ledger, keys / "ru.key", ["second", "third"])
    return ledger


def pinned_dir(tmp_path: Path) -> Path:
    """The replica holder's own copy of the public keys (never the private ones)."""
    pinned = tmp_path / "pinned"
    pinned.mkdir()
    for party in ("us", "ru"):
        shutil.copy(tmp_path / "keys" / f"{party}.pub", pinned)
    return pinned


def test_replica_from_export_has_the_origins_records_and_root(origin: Path, tmp_path: Path) -> None:
    export = tmp_path / "all.jsonl"
    ok("record", "export", "--out", str(export), "--ledger", str(origin))
    replica = tmp_path / "replica" / "copy.sqlite"
    ok(
        "record",
        "import",
        str(export),
        "--keys",
        str(pinned_dir(tmp_path)),
        "--ledger",
        str(replica),
    )
    origin_rows, replica_rows = read_rows(origin), read_rows(replica)
    assert len(origin_rows) == 4
    assert [(r.content, r.signature, r.hash) for r in replica_rows] == [
        (r.content, r.signature, r.hash) for r in origin_rows
    ]
    verified = json.loads(
        ok(
            "record",
            "verify",
            "--keys",
            str(tmp_path / "pinned"),
            "--ledger",
            str(replica),
            "--json",
        )
    )
    assert verified["size"] == 4
    assert bytes.fromhex(verified["root"]) == independent_root(origin)
    origin_verified = json.loads(ok("record", "verify", "--ledger", str(origin), "--json"))
    assert origin_verified["root"] == verified["root"]


def test_export_since_brings_a_replica_up_to_date(origin: Path, tmp_path: Path) -> None:
    export = tmp_path / "all.jsonl"
    ok("record", "export", "--out", str(export), "--ledger", str(origin))
    replica = tmp_path / "copy.sqlite"
    ok(
        "record",
        "import",
        str(export),
        "--keys",
        str(pinned_dir(tmp_path)),
        "--ledger",
        str(replica),
    )
    add_notes(origin, tmp_path / "keys" / "ru.key", ["fourth", "fifth"])
    update = tmp_path / "since4.jsonl"
    ok("record", "export", "--since", "4", "--out", str(update), "--ledger", str(origin))
    lines = update.read_text().splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [4, 5]
    assert "2 records imported" in ok("record", "import", str(update), "--ledger", str(replica))
    assert independent_root(replica) == independent_root(origin)
    assert len(read_rows(replica)) == 6
    # Nothing new: an empty export, and importing it adds nothing.
    empty = tmp_path / "since6.jsonl"
    ok("record", "export", "--since", "6", "--out", str(empty), "--ledger", str(origin))
    assert empty.read_text() == ""
    assert "0 records imported" in ok("record", "import", str(empty), "--ledger", str(replica))


def test_export_since_beyond_the_ledger_is_refused(origin: Path) -> None:
    err = refused("record", "export", "--since", "9", "--ledger", str(origin))
    assert "--since" in err and "4 records" in err


def test_an_update_that_skips_records_is_refused(origin: Path, tmp_path: Path) -> None:
    export = tmp_path / "all.jsonl"
    ok("record", "export", "--out", str(export), "--ledger", str(origin))
    replica = tmp_path / "copy.sqlite"
    ok(
        "record",
        "import",
        str(export),
        "--keys",
        str(pinned_dir(tmp_path)),
        "--ledger",
        str(replica),
    )
    add_notes(origin, tmp_path / "keys" / "us.key", ["fourth", "fifth"])
    update = tmp_path / "since5.jsonl"
    ok("record", "export", "--since", "5", "--out", str(update), "--ledger", str(origin))
    err = refused("record", "import", str(update), "--ledger", str(replica))
    assert "record 5" in err and "next record is 4" in err
    assert len(read_rows(replica)) == 4


def test_a_key_other_than_the_pinned_one_is_refused_and_nothing_written(
    origin: Path, tmp_path: Path
) -> None:
    export = tmp_path / "all.jsonl"
    ok("record", "export", "--out", str(export), "--ledger", str(origin))
    pinned = pinned_dir(tmp_path)
    other = tmp_path / "other"
    ok("party", "keygen", "ru", "--treaty", "new-start", "--out", str(other))
    shutil.copy(other / "ru.pub", pinned / "ru.pub")
    replica = tmp_path / "copy.sqlite"
    err = refused("record", "import", str(export), "--keys", str(pinned), "--ledger", str(replica))
    assert "party ru" in err and "pinned" in err
    assert not replica.exists()


def test_a_party_without_a_pinned_key_is_refused(origin: Path, tmp_path: Path) -> None:
    export = tmp_path / "all.jsonl"
    ok("record", "export", "--out", str(export), "--ledger", str(origin))
    pinned = pinned_dir(tmp_path)
    (pinned / "ru.pub").unlink()
    replica = tmp_path / "copy.sqlite"
    err = refused("record", "import", str(export), "--keys", str(pinned), "--ledger", str(replica))
    assert "party ru" in err
    assert not replica.exists()


def test_no_ledger_and_no_keys_is_one_clear_line(origin: Path, tmp_path: Path) -> None:
    export = tmp_path / "all.jsonl"
    ok("record", "export", "--out", str(export), "--ledger", str(origin))
    replica = tmp_path / "copy.sqlite"
    err = refused("record", "import", str(export), "--ledger", str(replica))
    assert "--keys" in err and "no ledger" in err
    assert not replica.exists()


def test_a_replica_cannot_start_from_a_partial_export(origin: Path, tmp_path: Path) -> None:
    update = tmp_path / "since2.jsonl"
    ok("record", "export", "--since", "2", "--out", str(update), "--ledger", str(origin))
    replica = tmp_path / "copy.sqlite"
    err = refused(
        "record",
        "import",
        str(update),
        "--keys",
        str(pinned_dir(tmp_path)),
        "--ledger",
        str(replica),
    )
    assert "record 0" in err
    assert not replica.exists()


def test_a_forged_later_record_leaves_nothing_behind(origin: Path, tmp_path: Path) -> None:
    export = tmp_path / "all.jsonl"
    ok("record", "export", "--out", str(export), "--ledger", str(origin))
    lines = export.read_text().splitlines()
    forged = json.loads(lines[2])
    forged["envelope"]["body"]["text"] = "altered"
    lines[2] = json.dumps(forged)
    export.write_text("\n".join(lines) + "\n")
    replica = tmp_path / "copy.sqlite"
    err = refused(
        "record",
        "import",
        str(export),
        "--keys",
        str(pinned_dir(tmp_path)),
        "--ledger",
        str(replica),
    )
    assert "record 2" in err
    assert not replica.exists()


def test_import_into_a_ledger_checks_its_keys_when_given(origin: Path, tmp_path: Path) -> None:
    export = tmp_path / "all.jsonl"
    ok("record", "export", "--out", str(export), "--ledger", str(origin))
    pinned = pinned_dir(tmp_path)
    other = tmp_path / "other"
    ok("party", "keygen", "us", "--treaty", "new-start", "--out", str(other))
    shutil.copy(other / "us.pub", pinned / "us.pub")
    err = refused("record", "import", str(export), "--keys", str(pinned), "--ledger", str(origin))
    assert "party us" in err


def test_a_record_zero_whose_signature_fails_is_refused(origin: Path, tmp_path: Path) -> None:
    export = tmp_path / "all.jsonl"
    ok("record", "export", "--out", str(export), "--ledger", str(origin))
    lines = export.read_text().splitlines()
    genesis = json.loads(lines[0])
    signature = bytearray.fromhex(genesis["signature"])
    signature[0] ^= 0x01
    genesis["signature"] = signature.hex()
    lines[0] = json.dumps(genesis)
    export.write_text("\n".join(lines) + "\n")
    replica = tmp_path / "copy.sqlite"
    err = refused(
        "record",
        "import",
        str(export),
        "--keys",
        str(pinned_dir(tmp_path)),
        "--ledger",
        str(replica),
    )
    assert "record 0" in err and "signature" in err
    assert not replica.exists()
