"""Facility files: a good file loads; each bad input is one InputError naming file and field."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from treatyverify.errors import InputError
from treatyverify.methods.accountancy import load_facility, material_balance

GOOD: dict[str, Any] = {
    "mba": {
        "id": "MBA-1",
        "name": "test area",
        "kmps": [{"id": "KMP-A", "kind": "flow"}, {"id": "KMP-D", "kind": "inventory"}],
    },
    "methods": [
        {"id": "vol", "random_rsd": 0.01, "systematic_rsd": 0.0, "source": "test"},
        {"id": "conc", "random_rsd": 0.0, "systematic_rsd": 0.02, "source": "test"},
    ],
    "inventories": [
        {
            "time": "2025-01-01T00:00:00Z",
            "items": [
                {
                    "id": "I0",
                    "element": "Pu",
                    "mass": 10.0,
                    "unit": "kg",
                    "method": "vol",
                    "kmp": "KMP-D",
                }
            ],
        },
        {
            "time": "2025-02-01T00:00:00Z",
            "items": [
                {
                    "id": "I1",
                    "element": "Pu",
                    "mass": 12000.0,
                    "unit": "g",
                    "method": "vol",
                    "kmp": "KMP-D",
                }
            ],
        },
    ],
    "periods": [
        {
            "id": "2025-01",
            "start": "2025-01-01T00:00:00Z",
            "end": "2025-02-01T00:00:00Z",
            "changes": [
                {
                    "kind": "receipt",
                    "time": "2025-01-10T00:00:00Z",
                    "id": "R1",
                    "element": "Pu",
                    "mass": 5.0,
                    "unit": "kg",
                    "method": ["vol", "conc"],
                    "kmp": "KMP-A",
                }
            ],
        },
    ],
}


def write(tmp_path: Path, data: object, name: str = "facility.yaml") -> Path:
    path = tmp_path / name
    text = json.dumps(data) if name.endswith(".json") else yaml.safe_dump(data)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", ["facility.yaml", "facility.json"])
def test_good_file_loads_and_balances(tmp_path: Path, name: str) -> None:
    facility = load_facility(write(tmp_path, GOOD, name))
    result = material_balance(facility, "Pu")
    # MUF = 10 + 5 - 12 (12000 g) = 3 kg.
    # var: random (10*0.01)^2 + (12*0.01)^2 + (5*0.01)^2 = 0.01 + 0.0144 + 0.0025 = 0.0269;
    # systematic of "conc" on the receipt: (5*0.02)^2 = 0.01 -> 0.0369 kg^2.
    assert result.muf_kg[0] == pytest.approx(3.0)
    assert result.covariance_kg2[0, 0] == pytest.approx(0.0369)


def mutate(path: tuple[str | int, ...], value: object) -> dict[str, Any]:
    data = copy.deepcopy(GOOD)
    target: Any = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "where"),
    [
        (("periods", 0, "changes", 0, "mass"), -1.0, "periods[0].changes[0].mass"),
        (("periods", 0, "changes", 0, "unit"), "lb", "periods[0].changes[0].unit"),
        (("inventories", 1, "items", 0, "unit"), "tonne", "inventories[1].items[0].unit"),
        (("periods", 0, "changes", 0, "method"), "xrf", "periods[0].changes[0].method"),
        (
            ("periods", 0, "changes", 0, "time"),
            "2025-03-01T00:00:00Z",
            "periods[0].changes[0].time",
        ),
        (("periods", 0, "changes", 0, "colour"), "red", "periods[0].changes[0].colour"),
        (("periods", 0, "changes", 0, "kmp"), "KMP-Z", "periods[0].changes[0].kmp"),
        (("periods", 0, "changes", 0, "kind"), "gift", "periods[0].changes[0].kind"),
        (("methods", 0, "random_rsd"), 2.0, "methods[0].random_rsd"),
        (("mba", "kmps", 1, "id"), "KMP-A", "mba.kmps[1].id"),
        (("extra",), 1, "extra"),
    ],
)
def test_bad_input_names_file_and_field(
    tmp_path: Path, path: tuple[str | int, ...], value: object, where: str
) -> None:
    with pytest.raises(InputError) as info:
        load_facility(write(tmp_path, mutate(path, value)))
    assert info.value.where == f"facility.yaml: {where}"


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        load_facility(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("mba: [unclosed", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_facility(bad)
    assert info.value.where == "bad.yaml"
    other = tmp_path / "facility.txt"
    other.write_text("{}", encoding="utf-8")
    with pytest.raises(InputError):
        load_facility(other)
