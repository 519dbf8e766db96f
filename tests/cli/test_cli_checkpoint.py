"""Checkpoints from the command line: ``record head``, ``record heads cosign``,
``record verify --head`` and ``record heads compare`` (in process, Typer's CliRunner)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from treatyverify.cli.app import app
from treatyverify.records.heads import sign_tree_head
from treatyverify.records.keys import load_private_key
from treatyverify.records.ledger import Ledger

runner = CliRunner()
EM_DASH = "\u2014"


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def ok(*args: str) -> str:
    code, out, err = run(*args)
    assert code == 0, f"{args}: exit {code}: {err or out}"
    return out


def fails(*args: str) -> str:
    """Run a command that must exit with status 2 and one line on stderr; the line."""
    code, out, err = run(*args)
    assert code == 2, f"{args}: exit {code}: {out}"
    assert len(err.strip().splitlines()) == 1, err
    return err


def declare(workspace: Path, ledger: Path, ref: str, count: int) -> None:
    body = workspace / f"{ref}.json"
    body.write_text(
        json.dumps(
            {
                "ref": ref,
                "schedule": "six-month-update",
                "as_of": "2022-03-01",
                "holdings": [{"item_class": "deployed-icbm", "site": "base-1", "count": count}],
            }
        )
    )
    key = workspace / "keys" / "us.key"
    ok("record", "declare", str(body), "--key", str(key), "--ledger", str(ledger))


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    keys = tmp_path / "keys"
    ok("party", "keygen", "us", "--treaty", "new-start", "--out", str(keys))
    ok("party", "keygen", "ru", "--treaty", "new-start", "--out", str(keys))
    init = ("record", "init", "--treaty", "new-start", "--keys", str(keys))
    ok(*init, "--key", str(keys / "us.key"), "--ledger", str(tmp_path / "ledger.sqlite"))
    # The holder's second history: one opening record (one origin), then another past.
    shutil.copy(tmp_path / "ledger.sqlite", tmp_path / "fork.sqlite")
    declare(tmp_path, tmp_path / "ledger.sqlite", "us-1", 400)
    declare(tmp_path, tmp_path / "fork.sqlite", "us-1b", 300)
    return tmp_path


def test_a_head_is_a_checkpoint_cosigned_by_the_other_party(workspace: Path) -> None:
    keys, ledger = workspace / "keys", str(workspace / "ledger.sqlite")
    made, cosigned = workspace / "us.checkpoint", workspace / "cosigned.checkpoint"
    answer = json.loads(
        ok(
            "record",
            "head",
            "--key",
            str(keys / "us.key"),
            "--out",
            str(made),
            "-l",
            ledger,
            "--json",
        )
    )
    text = made.read_text(encoding="utf-8")
    assert text == answer["checkpoint"]
    assert answer["tree_size"] == 2 and answer["signers"] == ["us"]
    origin, size, _root, blank, line = text.splitlines()
    assert origin.startswith("treatyverify/new-start/") and size == "2" and blank == ""
    assert line.startswith(f"{EM_DASH} treatyverify/new-start/us ")

    cosign = ("record", "heads", "cosign", str(made), "--key", str(keys / "ru.key"))
    answer = json.loads(ok(*cosign, "--out", str(cosigned), "-l", ledger, "--json"))
    assert answer["signers"] == ["us", "ru"]
    assert cosigned.read_text(encoding="utf-8").startswith(text)  # one line added
    verified = json.loads(
        ok("record", "verify", "--keys", str(keys), "--head", str(cosigned), "-l", ledger, "--json")
    )
    assert verified["heads_checked"] == 1
    # A kept checkpoint is evidence: replaced only with --force.
    assert "--force" in fails(*cosign, "--out", str(cosigned), "-l", ledger)
    ok(*cosign, "--out", str(cosigned), "-l", ledger, "--force")
    # Cosigning one's own checkpoint witnesses nothing.
    own = ("record", "heads", "cosign", str(made), "--key", str(keys / "us.key"))
    assert "nothing to witness" in fails(*own, "--out", str(workspace / "x"), "-l", ledger)
    assert not (workspace / "x").exists()


def test_a_checkpoint_of_another_history_is_refused_naming_its_signer(workspace: Path) -> None:
    keys, ledger, fork = workspace / "keys", workspace / "ledger.sqlite", workspace / "fork.sqlite"
    forked = workspace / "forked.checkpoint"
    ok("record", "head", "--key", str(keys / "us.key"), "--out", str(forked), "-l", str(fork))
    cosign = ("record", "heads", "cosign", str(forked), "--key", str(keys / "ru.key"))
    err = fails(*cosign, "--out", str(workspace / "c"), "-l", str(ledger))
    assert "head by us inconsistent with the ledger" in err
    assert not (workspace / "c").exists()
    err = fails("record", "verify", "--head", str(forked), "-l", str(ledger))
    assert "head by us inconsistent with the ledger" in err


def test_compare_finds_a_split_view_of_checkpoints(workspace: Path) -> None:
    keys, ledger, fork = workspace / "keys", workspace / "ledger.sqlite", workspace / "fork.sqlite"
    mine, theirs, early = (workspace / n for n in ("mine.cp", "theirs.cp", "early.json"))
    ok("record", "head", "--key", str(keys / "ru.key"), "--out", str(mine), "-l", str(ledger))
    ok("record", "head", "--key", str(keys / "us.key"), "--out", str(theirs), "-l", str(fork))
    with Ledger.open(ledger) as book:
        sign_tree_head(book, load_private_key(keys / "us.key"), size=1).save(early)
    compare = ("record", "heads", "compare", "--keys", str(keys))
    err = fails(*compare, str(mine), str(theirs))
    assert "split view" in err and "head by ru (size 2)" in err and "head by us (size 2)" in err
    # A JSON head of earlier versions is still read: by verify, and compared with a checkpoint.
    ok(
        "record",
        "verify",
        "--keys",
        str(keys),
        "--head",
        str(early),
        "--head",
        str(mine),
        "-l",
        str(ledger),
    )
    out = json.loads(ok(*compare, str(early), str(mine), "--ledger", str(ledger), "--json"))
    assert out == {"consistent": True, "sizes": [1, 2], "signers": [["us"], ["ru"]]}
    assert "not shown to be one history" not in ok(
        *compare, str(early), str(theirs), "-l", str(fork)
    )


def test_bad_checkpoint_files_exit_2_naming_the_file(workspace: Path) -> None:
    keys, ledger = workspace / "keys", str(workspace / "ledger.sqlite")
    good = workspace / "good.cp"
    ok("record", "head", "--key", str(keys / "us.key"), "--out", str(good), "-l", ledger)
    text = good.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    for name, bad, says in (
        ("root.cp", text.replace(lines[2], "AAAA" + lines[2][4:]), "signature of us"),
        ("dash.cp", text.replace(EM_DASH, "-"), "em dash"),
        ("empty.cp", "", "newline"),
        ("size.cp", text.replace("\n2\n", "\n02\n"), "leading zeros"),
    ):
        file = workspace / name
        file.write_text(bad, encoding="utf-8")
        err = fails("record", "verify", "--keys", str(keys), "--head", str(file), "-l", ledger)
        assert says in err, (name, err)
        if name != "root.cp":  # a parse error names the file; a bad signature, its signer
            assert str(file) in err, (name, err)
        cosign = ("record", "heads", "cosign", str(file), "--key", str(keys / "ru.key"))
        assert says in fails(*cosign, "--out", str(workspace / "out.cp"), "-l", ledger)
    assert not (workspace / "out.cp").exists()
