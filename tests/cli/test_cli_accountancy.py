"""``treatyverify accountancy`` and ``treatyverify sampling`` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from treatyverify.cli.app import app

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_a_diverted_month_fails_the_fmct_mass_balance(tmp_path: Path) -> None:
    year = tmp_path / "plant.json"
    code, out, err = run(
        "accountancy", "scenario", "reprocessing", "--out", str(year), "--seed", "2",
        "--divert", "40", "--month", "4",
    )  # fmt: skip
    assert code == 0, err
    assert year.is_file()
    code, out, err = run("accountancy", "evaluate", str(year), "--json")
    assert code == 0, err
    found = json.loads(out)
    assert found["treaty"] == "fmct" and found["method"] == "pu-mass-balance"
    assert found["pass"] is False and found["page"]["alarm_period"] == 4
    assert found["significant_quantity_kg"] == 8
    assert len(found["by_period"]) == 12


def test_a_compliant_year_passes(tmp_path: Path) -> None:
    year = tmp_path / "plant.yaml"
    assert (
        run("accountancy", "scenario", "reprocessing", "--out", str(year), "--seed", "11")[0] == 0
    )
    code, out, err = run("accountancy", "evaluate", str(year))
    assert code == 0, err
    assert "no alarm: PASS" in out


def test_bad_facility_file_is_one_line_naming_the_field(tmp_path: Path) -> None:
    year = tmp_path / "plant.json"
    run("accountancy", "scenario", "reprocessing", "--out", str(year))
    data = json.loads(year.read_text())
    data["periods"][2]["changes"][1]["mass"] = -5.0
    year.write_text(json.dumps(data))
    code, _out, err = run("accountancy", "evaluate", str(year))
    assert code == 2 and err.count("\n") == 1
    assert "plant.json: periods[2].changes[1].mass" in err


def test_a_method_that_is_not_a_mass_balance_is_refused(tmp_path: Path) -> None:
    year = tmp_path / "plant.json"
    run("accountancy", "scenario", "reprocessing", "--out", str(year))
    code, _out, err = run(
        "accountancy", "evaluate", str(year), "--treaty", "warhead-dismantlement",
        "--method", "pu-presence",
    )  # fmt: skip
    assert code == 2 and "not accountancy.mass-balance" in err


def test_scenario_refuses_an_unknown_plant(tmp_path: Path) -> None:
    code, _out, err = run("accountancy", "scenario", "mine", "--out", str(tmp_path / "x.json"))
    assert code == 2 and "PLANT" in err
    assert not (tmp_path / "x.json").exists()


def test_sampling_plan_of_the_worked_example() -> None:
    # N = 100 items of 2 kg Pu, goal 8 kg (r = 4), beta = 0.10: n = 100(1 - 0.1^(1/4)) = 43.8 -> 44
    code, out, err = run(
        "sampling", "plan", "--items", "100", "--item-mass", "2", "--goal", "8", "--beta", "0.1",
        "--json",
    )  # fmt: skip
    assert code == 0, err
    found = json.loads(out)
    assert found["sample_iaea_formula"] == 44 and found["defects_to_divert_goal"] == 4


def test_sampling_plan_takes_goal_and_beta_from_the_treaty() -> None:
    code, out, err = run(
        "sampling", "plan", "--items", "100", "--item-mass", "2", "--treaty", "fmct", "--json"
    )
    assert code == 0, err
    found = json.loads(out)
    assert found["goal_kg"] == 8 and found["beta"] == 0.1


def test_sampling_plan_without_a_goal_is_one_line() -> None:
    code, _out, err = run("sampling", "plan", "--items", "100", "--item-mass", "2", "--beta", "0.1")
    assert code == 2 and "--goal" in err


def test_sampling_detect_by_hand() -> None:
    # N = 50, n = 10, k = 1: 10/50 = 0.20
    code, out, _err = run(
        "sampling", "detect", "--sites", "50", "--inspections", "10", "--violations", "1", "--json"
    )
    assert code == 0
    assert json.loads(out)["detection_probability"] == pytest.approx(0.2, abs=1e-12)
