"""``treatyverify accountancy reports`` from the command line (in-process)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from test_reports import BEGIN, END, ICR
from typer.testing import CliRunner

from treatyverify.cli.app import app

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def files(tmp_path: Path, icr: dict[str, object] | None = None) -> tuple[Path, Path, Path]:
    paths = (tmp_path / "icr.json", tmp_path / "end.json", tmp_path / "begin.json")
    for path, data in zip(paths, (icr or ICR, END, BEGIN), strict=True):
        path.write_text(json.dumps(data))
    return paths


def test_balance_prints_the_hand_muf_and_writes_a_closing_mbr(tmp_path: Path) -> None:
    icr, end, begin = files(tmp_path)
    mbr = tmp_path / "mbr.csv"
    code, out, err = run(
        "accountancy", "reports", "balance", "--icr", str(icr), "--pil", str(end),
        "--previous-pil", str(begin), "--json", "--out", str(mbr),
    )  # fmt: skip
    assert code == 0, err
    found = json.loads(out)
    assert found["muf"] == pytest.approx(1.5) and found["ending_book_inventory"] == 2197.5
    code, out, err = run("accountancy", "reports", "check", str(mbr), str(icr), "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert rows[0]["closes"] is True and rows[1]["entries"] == len(ICR["entries"])  # type: ignore[arg-type]


def test_balance_of_an_isotope_in_a_table(tmp_path: Path) -> None:
    icr, end, begin = files(tmp_path)
    code, out, err = run(
        "accountancy", "reports", "balance", "--icr", str(icr), "--pil", str(end),
        "--previous-pil", str(begin), "--isotope", "U-235",
    )  # fmt: skip
    assert code == 0, err
    assert "0.800" in out and "U (U-235)" in out


def test_an_mbr_that_does_not_close_is_one_error_line(tmp_path: Path) -> None:
    icr, end, begin = files(tmp_path)
    mbr = tmp_path / "mbr.json"
    assert run(
        "accountancy", "reports", "balance", "--icr", str(icr), "--pil", str(end),
        "--previous-pil", str(begin), "--out", str(mbr),
    )[0] == 0  # fmt: skip
    data = json.loads(mbr.read_text()) | {"muf": 1.4}
    mbr.write_text(json.dumps(data))
    code, _out, err = run("accountancy", "reports", "check", str(mbr))
    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith("error: mbr.json: muf: the balance does not close")


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"type": "RD"}, "icr.json: entries[1] (batch R-102).type"),
        ({"element_weight": float("nan")}, "icr.json"),
        ({"element_weight": -3.0}, "icr.json: entries[1] (batch R-102).element_weight"),
    ],
)
def test_bad_input_writes_nothing(tmp_path: Path, change: dict[str, object], where: str) -> None:
    data = copy.deepcopy(ICR)
    data["entries"][1] |= change
    icr, end, begin = files(tmp_path, data)
    mbr = tmp_path / "mbr.json"
    code, _out, err = run(
        "accountancy", "reports", "balance", "--icr", str(icr), "--pil", str(end),
        "--previous-pil", str(begin), "--out", str(mbr),
    )  # fmt: skip
    assert code == 2
    assert err.startswith(f"error: {where}") and err.count("\n") == 1
    assert not mbr.exists()


def test_an_entry_without_its_unit_is_refused(tmp_path: Path) -> None:
    data = copy.deepcopy(ICR)
    del data["entries"][0]["unit"]
    icr, _, _ = files(tmp_path, data)
    code, _out, err = run("accountancy", "reports", "check", str(icr))
    assert code == 2
    assert err.strip() == (
        "error: icr.json: entries[0] (batch R-101).unit: missing: every entry needs it"
    )


def test_the_element_must_be_named_when_the_reports_hold_several(tmp_path: Path) -> None:
    data = copy.deepcopy(ICR)
    data["entries"].append(
        {"batch": "PU-1", "date": "2025-03-04", "type": "import", "element": "Pu",
         "element_weight": 1.0, "unit": "kg"}
    )  # fmt: skip
    icr, end, _begin = files(tmp_path, data)
    code, _out, err = run(
        "accountancy", "reports", "balance", "--icr", str(icr), "--pil", str(end),
    )  # fmt: skip
    assert code == 2 and "--element" in err


def test_an_existing_mbr_is_replaced_only_with_force(tmp_path: Path) -> None:
    icr, end, begin = files(tmp_path)
    mbr = tmp_path / "mbr.json"
    mbr.write_text("an earlier result")
    args = ["accountancy", "reports", "balance", "--icr", str(icr), "--pil", str(end),
            "--previous-pil", str(begin), "--out", str(mbr)]  # fmt: skip
    code, _out, err = run(*args)
    assert code == 2 and "--force" in err and str(mbr) in err
    assert mbr.read_text() == "an earlier result"
    code, _out, err = run(*args, "--force")
    assert code == 0, err
    assert json.loads(mbr.read_text())["report"] == "MBR"
