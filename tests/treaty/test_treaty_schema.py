"""Published JSON Schemas: descriptions and units from the docstrings, no drift from the
code, and every shipped file valid against its schema (checked by ``jsonschema``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel, ConfigDict, Field
from treaty_helpers import minimal_spec

from treatyverify.errors import UnknownNameError
from treatyverify.schemas import DIALECT, SCHEMAS, json_schema, schema_text
from treatyverify.treaty import TreatySpec
from treatyverify.treaty.fielddocs import describe_fields, unit_of
from treatyverify.treaty.loader import treaty_skeleton

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema (a test extra) is not installed")

DOCS = Path(__file__).resolve().parents[2] / "docs" / "schemas"
REGENERATE = "regenerate with: python -m treatyverify.schemas docs/schemas"
PACKAGE = resources.files("treatyverify")


def _json(value: Any) -> Any:
    """A YAML document as JSON would carry it: dates and times as ISO 8601 text."""
    return json.loads(json.dumps(value, default=lambda v: v.isoformat()))


def _validator(name: str) -> Any:
    return jsonschema.Draft202012Validator(json_schema(name))


def _errors(name: str, document: Any) -> list[str]:
    return [error.message for error in _validator(name).iter_errors(_json(document))]


def _yaml_files(folder: str) -> list[str]:
    return sorted(e.name for e in (PACKAGE / folder).iterdir() if e.name.endswith(".yaml"))


def _load(folder: str, name: str) -> Any:
    return yaml.safe_load((PACKAGE / folder / name).read_text(encoding="utf-8"))


# Descriptions and units from docstrings ------------------------------------------------


class _Leg(BaseModel):
    """A leg of a flight.

    Parameters
    ----------
    origin, destination
        Airports, by ``IATA`` code.
    length_km
        Great-circle length.
    block_hours
        Gate to gate, hours.
    fuel
        Fuel burnt.
    """

    model_config = ConfigDict(json_schema_extra=describe_fields)

    origin: str
    destination: str
    length_km: float
    block_hours: float
    fuel: float = Field(description="Burnt fuel, as weighed.", json_schema_extra={"unit": "kg"})


def test_docstring_entries_become_descriptions_shared_by_listed_names() -> None:
    schema = _Leg.model_json_schema()
    assert schema["description"] == "A leg of a flight."
    assert schema["properties"]["origin"]["description"] == "Airports, by IATA code."
    assert schema["properties"]["destination"]["description"] == "Airports, by IATA code."


def test_a_unit_suffix_gives_a_unit_named_in_the_description() -> None:
    props = _Leg.model_json_schema()["properties"]
    assert props["length_km"]["unit"] == "km"
    assert props["length_km"]["description"] == "Great-circle length (km)."
    assert props["block_hours"]["unit"] == "h"
    assert props["block_hours"]["description"] == "Gate to gate, hours."  # named already


def test_an_explicit_description_and_unit_win() -> None:
    fuel = _Leg.model_json_schema()["properties"]["fuel"]
    assert fuel["description"] == "Burnt fuel, as weighed (kg)."
    assert fuel["unit"] == "kg"


@pytest.mark.parametrize(
    ("name", "unit"),
    [
        ("notice_hours", "h"),
        ("max_area_km2", "km^2"),
        ("quantity_kg", "kg"),
        ("multiplication_per_kg", "1/kg"),
        ("areal_density_g_cm2", "g/cm^2"),
        ("goal_days", "d"),
        ("die_away_us", "µs"),
        ("hours", "h"),
        ("maximum", None),
        ("status", None),
    ],
)
def test_units_from_name_suffixes(name: str, unit: str | None) -> None:
    assert unit_of(name) == unit


def test_treaty_fields_carry_their_units() -> None:
    defs = TreatySpec.model_json_schema()["$defs"]
    assert defs["InspectionType"]["properties"]["notice_hours"]["unit"] == "h"
    assert defs["SignificantQuantity"]["properties"]["quantity_kg"]["unit"] == "kg"
    assert defs["RangeBand"]["properties"]["lower_km"]["unit"] == "km"
    assert defs["Deadline"]["properties"]["hours"]["unit"] == "h"


def _properties(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for model, body in [("(root)", schema), *schema.get("$defs", {}).items()]:
        for field, prop in body.get("properties", {}).items():
            yield model, field, prop


@pytest.mark.parametrize("name", list(SCHEMAS))
def test_every_field_of_every_schema_is_described(name: str) -> None:
    undescribed = [
        f"{model}.{field}"
        for model, field, prop in _properties(json_schema(name))
        if not str(prop.get("description", "")).strip()
    ]
    assert not undescribed, f"document these fields in their class docstrings: {undescribed}"


@pytest.mark.parametrize("name", list(SCHEMAS))
def test_every_schema_is_valid_draft_2020_12(name: str) -> None:
    schema = json_schema(name)
    assert schema["$schema"] == DIALECT
    jsonschema.Draft202012Validator.check_schema(schema)


def test_an_unknown_schema_name_lists_the_known_ones() -> None:
    with pytest.raises(UnknownNameError) as caught:
        json_schema("treaties")
    assert all(name in caught.value.message for name in SCHEMAS)


# Published copies ----------------------------------------------------------------------


@pytest.mark.parametrize("name", list(SCHEMAS))
def test_committed_schema_matches_generated(name: str) -> None:
    path = DOCS / f"{name}.schema.json"
    assert path.is_file(), f"{path} is missing; {REGENERATE}"
    assert path.read_text(encoding="utf-8") == schema_text(name), f"{path} is stale; {REGENERATE}"


def test_no_stale_schema_file_is_published() -> None:
    published = {p.name for p in DOCS.glob("*.schema.json")}
    assert published == {f"{name}.schema.json" for name in SCHEMAS}


# Shipped files against their schemas ---------------------------------------------------


@pytest.mark.parametrize("file", _yaml_files("treaties"))
def test_shipped_treaty_is_valid_against_the_schema(file: str) -> None:
    assert _errors("treaty", _load("treaties", file)) == []


@pytest.mark.parametrize("file", _yaml_files("exercise/scenarios"))
def test_shipped_exercise_scenario_is_valid_against_the_schema(file: str) -> None:
    assert _errors("scenario", _load("exercise/scenarios", file)) == []


@pytest.mark.parametrize("file", _yaml_files("scenarios"))
def test_shipped_exchange_scenario_is_valid_against_the_schema(file: str) -> None:
    assert _errors("exchange-scenario", _load("scenarios", file)) == []


def test_the_skeleton_is_valid_against_the_schema() -> None:
    assert _errors("treaty", yaml.safe_load(treaty_skeleton())) == []


def test_a_written_facility_file_is_valid_against_the_schema() -> None:
    from treatyverify.methods.accountancy import reprocessing_plant
    from treatyverify.methods.accountancy.io import facility_to_data

    assert _errors("facility", facility_to_data(reprocessing_plant(0))) == []


DECLARATION: dict[str, Any] = {
    "ref": "aa-2026-09",
    "schedule": "six-month-update",
    "as_of": date(2026, 9, 1),
    "holdings": [{"item_class": "widget", "site": "base-1", "count": 12}],
}
NOTICE: dict[str, Any] = {
    "ref": "aa-launch-1",
    "code": "launch",
    "event_time": datetime(2026, 9, 3, 6, 0),
    "fields": {"planned_launch_date": "2026-09-03"},
}


def test_a_declaration_and_a_notice_are_valid_against_their_schemas() -> None:
    assert _errors("declaration", DECLARATION) == []
    assert _errors("notice", NOTICE) == []


# Invalid documents fail ----------------------------------------------------------------


def _changed(document: dict[str, Any], path: tuple[str | int, ...], value: Any) -> Any:
    copy = json.loads(json.dumps(_json(document)))
    node = copy
    for part in path[:-1]:
        node = node[part]
    if value is None:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return copy


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("limits", 0, "maximum"), -1),  # below the minimum
        (("limits", 0, "maximun"), 5),  # a misspelt field
        (("limits", 0, "source"), None),  # a required field left out
        (("parties", 0, "roles", 0), "boss"),  # not one of the roles
        (("inspections", 0, "annual_quota"), "four"),  # not a number
    ],
)
def test_an_invalid_treaty_fails_the_schema(path: tuple[str | int, ...], value: Any) -> None:
    assert _errors("treaty", _changed(minimal_spec(), path, value))


def test_invalid_declaration_notice_and_scenario_fail_their_schemas() -> None:
    assert _errors("declaration", _changed(DECLARATION, ("holdings", 0, "count"), -3))
    assert _errors("notice", _changed(NOTICE, ("code",), None))
    scenario = _load("exercise/scenarios", _yaml_files("exercise/scenarios")[0])
    assert _errors("scenario", _changed(scenario, ("regime",), "arms-race"))
