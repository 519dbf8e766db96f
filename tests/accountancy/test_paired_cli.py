"""``treatyverify accountancy verify`` from the command line (in-process)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from treatyverify.cli.app import app

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def fuel_plant(seed: int = 1, *, emptied: int = 0) -> dict[str, Any]:
    """Notional LEU fuel fabrication ending inventory: 200 UO2 powder drums of about 44 kg
    U, 30 verified by NDA, and 400 pellet trays of about 10 kg U, 40 verified by DA.
    All errors notional (not ITV values)."""
    rng = np.random.default_rng(seed)
    results = []
    for stratum, n, mass, method, sr, ss in (
        ("drums", 30, 44.0, "nda-u-drum", 0.03, 0.01),
        ("trays", 40, 10.0, "da-u", 0.002, 0.001),
    ):
        s_in = rng.normal(0, ss)
        for k in range(n):
            declared = mass * (1 + rng.normal(0, 0.002))
            true = 0.0 if (stratum == "drums" and k < emptied) else declared
            results.append(
                {
                    "item_id": f"{stratum}-{k:03d}",
                    "stratum": stratum,
                    "method": method,
                    "unit": "kg",
                    "operator_value": round(declared, 4),
                    "inspector_value": round(true * (1 + rng.normal(0, sr) + s_in), 4),
                    "period": "2026-Q4",
                }
            )
    return {
        "strata": [
            {"id": "drums", "items": 200, "operator_method": "drum-weighing",
             "balance_sign": -1, "description": "UO2 powder drums, ending inventory"},
            {"id": "trays", "items": 400, "operator_method": "tray-weighing",
             "balance_sign": -1, "description": "pellet trays, ending inventory"},
        ],
        "methods": [
            {"id": "drum-weighing", "random_rsd": 0.002, "systematic_rsd": 0.001,
             "source": "notional"},
            {"id": "tray-weighing", "random_rsd": 0.002, "systematic_rsd": 0.001,
             "source": "notional"},
            {"id": "nda-u-drum", "random_rsd": 0.03, "systematic_rsd": 0.01,
             "source": "notional"},
            {"id": "da-u", "random_rsd": 0.002, "systematic_rsd": 0.001, "source": "notional"},
        ],
        "results": results,
    }  # fmt: skip


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "paired.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_honest_declarations_pass_with_a_goal(tmp_path: Path) -> None:
    path = write(tmp_path, fuel_plant())
    code, out, err = run(
        "accountancy", "verify", str(path), "--alpha", "0.05", "--beta", "0.2",
        "--goal-kg", "500", "--muf-kg", "2.0", "--sigma-muf-kg", "8.0", "--json",
    )  # fmt: skip
    assert code == 0, err
    found = json.loads(out)
    assert found["decision"] == "pass", found["reasons"]
    assert [s["stratum"] for s in found["strata"]] == ["drums", "trays"]
    assert found["d"]["threshold_kg"] < 0 and not found["d"]["alarm"]
    assert found["muf_minus_d"]["alarm"] is False
    assert set(found["goal_detection_probability"]) == {
        "D, bias defects",
        "drums, gross defects",
        "trays, gross defects",
    }


def test_without_a_goal_the_answer_is_inconclusive(tmp_path: Path) -> None:
    code, out, err = run("accountancy", "verify", str(write(tmp_path, fuel_plant())),
                         "--alpha", "0.05")  # fmt: skip
    assert code == 0, err
    assert "decision: INCONCLUSIVE" in out


def test_an_empty_drum_fails(tmp_path: Path) -> None:
    path = write(tmp_path, fuel_plant(emptied=1))
    code, out, err = run("accountancy", "verify", str(path), "--alpha", "0.05", "--json")
    assert code == 0, err
    found = json.loads(out)
    assert found["decision"] == "fail"
    drums = next(a for a in found["attribute_tests"] if a["stratum"] == "drums")
    assert drums["gross_defects"] == ["drums-000"]


def test_the_treaty_supplies_alpha_beta_and_goal(tmp_path: Path) -> None:
    path = write(tmp_path, fuel_plant())
    code, out, err = run("accountancy", "verify", str(path), "--treaty", "fmct", "--json")
    assert code == 0, err
    found = json.loads(out)
    assert found["goal_kg"] == 8.0  # the treaty's significant quantity of plutonium
    assert 0 < found["alpha"] < 1 and 0 < found["beta"] < 1


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["results"][3].pop("method"),
         "paired.json: results[3] (item drums-003).method: Field required"),
        (lambda d: d["results"][4].pop("unit"),
         "paired.json: results[4] (item drums-004).unit: Field required"),
        (lambda d: d["strata"][0].update(items=20),
         "paired.json: results[20] (item drums-020).stratum: sample larger than its stratum"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_naming_file_entry_and_field(
    tmp_path: Path, edit: Any, message: str
) -> None:
    data = fuel_plant()
    edit(data)
    code, out, err = run("accountancy", "verify", str(write(tmp_path, data)), "--alpha", "0.05")
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"error: {message}")


def test_nan_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "paired.json"
    text = json.dumps(fuel_plant()).replace('"inspector_value": 44', '"inspector_value": NaN', 1)
    path.write_text(text, encoding="utf-8")
    code, out, err = run("accountancy", "verify", str(path), "--alpha", "0.05")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "paired.json" in err and "NaN" in err
    code, out, err = run("accountancy", "verify", str(write(tmp_path, fuel_plant())),
                         "--alpha", "0.05", "--goal-kg", "nan", "--beta", "0.2")  # fmt: skip
    assert code == 2 and err.startswith("error: --goal-kg: must be a finite number")
