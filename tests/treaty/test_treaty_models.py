"""Validation rules and accessors of the treaty specification models."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError
from treaty_helpers import dump, minimal_spec

from treatyverify.errors import InputError, SpecError, UnknownNameError
from treatyverify.treaty import InspectionType, TreatySpec, parse_treaty_yaml


def _spec(data: dict[str, Any]) -> TreatySpec:
    return parse_treaty_yaml(dump(data), "test.yaml")


def _error(data: dict[str, Any]) -> SpecError:
    with pytest.raises(SpecError) as info:
        _spec(data)
    return info.value


def test_minimal_spec_is_valid() -> None:
    spec = _spec(minimal_spec())
    assert spec.limit("total").maximum == 100
    assert spec.party("aa").name == "State A"


def test_models_are_frozen() -> None:
    spec = _spec(minimal_spec())
    with pytest.raises(ValidationError):
        spec.id = "other"  # type: ignore[misc]


def test_negative_maximum_names_the_field_path() -> None:
    data = minimal_spec()
    data["limits"][0]["maximum"] = -1
    err = _error(data)
    line = dump(data).splitlines().index("  maximum: -1") + 1
    assert str(err) == (
        f"test.yaml:{line}:3: limits[0].maximum: Input should be greater than or equal to 0"
    )


def test_wrong_type_names_the_field_path() -> None:
    data = minimal_spec()
    data["limits"][0]["maximum"] = "seven hundred"
    err = _error(data)
    assert (err.where or "").endswith(": limits[0].maximum")
    assert "number" in err.message


def test_bool_is_not_a_number() -> None:
    data = minimal_spec()
    data["inspections"][0]["annual_quota"] = True
    assert "inspections[0].annual_quota" in str(_error(data))


def test_extra_field_is_an_error() -> None:
    data = minimal_spec()
    data["limits"][0]["maximun"] = 5
    err = _error(data)
    assert "limits[0].maximun" in str(err)
    assert "Extra inputs are not permitted" in str(err)


def test_extra_top_level_field_is_an_error() -> None:
    data = minimal_spec()
    data["defaults"] = {"maximum": 1}
    assert "defaults" in str(_error(data))


def test_limit_counting_an_undeclared_item_class_names_it() -> None:
    data = minimal_spec()
    data["limits"][0]["counts"] = ["widget", "sprocket"]
    err = _error(data)
    assert "'sprocket'" in err.message
    assert (err.where or "").endswith(": limits[0].counts[1]")


def test_method_for_undeclared_item_class() -> None:
    data = minimal_spec()
    data["methods"][0]["item_class"] = "sprocket"
    assert "methods[0].item_class" in str(_error(data))


def test_stage_referring_to_unknown_measure() -> None:
    data = minimal_spec()
    data["stages"][0]["measures"].append("nowhere")
    assert "'nowhere'" in str(_error(data))


def test_duplicate_ids_are_errors() -> None:
    data = minimal_spec()
    data["item_classes"].append(dict(data["item_classes"][0]))
    assert "duplicate id 'widget'" in str(_error(data))


def test_measure_ids_unique_across_sections() -> None:
    data = minimal_spec()
    data["methods"][0]["id"] = "routine"
    data["stages"][0]["measures"] = ["routine"]
    assert "more than one section" in str(_error(data))


@pytest.mark.parametrize("value", [0, 1, 1.5, -0.1])
def test_probabilities_must_lie_strictly_between_0_and_1(value: float) -> None:
    data = minimal_spec()
    data["sampling"] = {
        "false_alarm_probability": value,
        "non_detection_probability": 0.1,
        "source": "test",
    }
    assert "sampling.false_alarm_probability" in str(_error(data))


def test_source_must_not_be_empty() -> None:
    data = minimal_spec()
    data["limits"][0]["source"] = "   "
    assert "limits[0].source" in str(_error(data))


def test_source_is_required() -> None:
    data = minimal_spec()
    del data["inspections"][0]["source"]
    assert "inspections[0].source" in str(_error(data))


def test_quota_and_periods_exclusive_and_non_overlapping() -> None:
    data = minimal_spec()
    data["inspections"][0]["quota_by_period"] = [
        {"from_year": 1, "to_year": 3, "per_year": 2, "source": "test"}
    ]
    assert "not both" in str(_error(data))
    del data["inspections"][0]["annual_quota"]
    data["inspections"][0]["quota_by_period"].append(
        {"from_year": 3, "to_year": 5, "per_year": 1, "source": "test"}
    )
    assert "overlap" in str(_error(data))


def test_effective_rule_must_be_readable() -> None:
    data = minimal_spec()
    data["limits"][0]["effective"] = "soon"
    assert "limits[0].effective" in str(_error(data))


def test_in_force_needs_entry_into_force() -> None:
    data = minimal_spec()
    del data["entered_into_force"]
    assert "entered_into_force" in str(_error(data))


def test_dismantlement_steps_numbered_without_gaps() -> None:
    data = minimal_spec()
    step = {
        "name": "x",
        "description": "x",
        "verification_objective": "x",
        "source": "test",
    }
    data["dismantlement_steps"] = [{"number": 1, **step}, {"number": 3, **step}]
    assert "without gaps" in str(_error(data))


def test_missing_parameters_raise_spec_error_naming_treaty_and_field() -> None:
    spec = _spec(minimal_spec())
    cases: list[tuple[Callable[[], object], str]] = [
        (lambda: spec.limit("x"), "treaty test-treaty: limits.x"),
        (lambda: spec.inspection("x"), "treaty test-treaty: inspections.x"),
        (lambda: spec.notification("x"), "treaty test-treaty: notifications.x"),
        (lambda: spec.declaration("x"), "treaty test-treaty: declarations.x"),
        (lambda: spec.method("x"), "treaty test-treaty: methods.x"),
        (lambda: spec.stage("x"), "treaty test-treaty: stages.x"),
        (spec.require_sampling, "treaty test-treaty: sampling"),
        (spec.require_monitoring, "treaty test-treaty: monitoring"),
        (lambda: spec.significant_quantity("x"), "treaty test-treaty: significant_quantities.x"),
        (lambda: spec.dismantlement_step(1), "treaty test-treaty: dismantlement_steps.1"),
        (lambda: spec.methods_for("gadget"), "treaty test-treaty: methods"),
        (
            lambda: spec.method("ratio").parameter("min_mass_kg"),
            "treaty test-treaty: methods.ratio.parameters.min_mass_kg",
        ),
        (
            lambda: spec.inspection("routine").require("team_size"),
            "treaty test-treaty: inspections.routine.team_size",
        ),
    ]
    for call, where in cases:
        with pytest.raises(SpecError) as info:
            call()
        assert info.value.where is not None
        assert info.value.where.startswith(where), (info.value.where, where)


def test_unknown_user_names_raise_unknown_name_error() -> None:
    spec = _spec(minimal_spec())
    with pytest.raises(UnknownNameError, match="'zz'"):
        spec.party("zz")
    with pytest.raises(UnknownNameError, match="'sprocket'"):
        spec.item_class("sprocket")
    with pytest.raises(UnknownNameError):
        spec.methods_for("sprocket")
    assert issubclass(UnknownNameError, InputError)
    assert issubclass(SpecError, InputError)


def test_accessors_find_entries() -> None:
    spec = _spec(minimal_spec())
    assert spec.methods_for("widget")[0].number("max_ratio") == 0.1
    assert spec.measure("routine") is spec.inspection("routine")
    assert spec.inspection("routine").quota_for_year(7) == 4
    assert str(spec.limit_effective_date("total")) == "2022-07-01"


def test_quota_for_year_without_quota_or_treaty() -> None:
    inspection = InspectionType(id="x", name="X", purpose="test", source="test")
    with pytest.raises(SpecError, match=r"inspections\.x\.annual_quota"):
        inspection.quota_for_year(1)
    with pytest.raises(SpecError):
        inspection.quota_for_year(0)


def test_digest_is_stable_and_changes_with_a_number() -> None:
    a = _spec(minimal_spec())
    b = _spec(minimal_spec())
    assert a.digest() == b.digest()
    assert len(a.digest()) == 64
    changed = minimal_spec()
    changed["limits"][0]["maximum"] = 101
    assert _spec(changed).digest() != a.digest()
    reordered = minimal_spec()
    reordered = dict(reversed(list(reordered.items())))
    assert _spec(reordered).digest() == a.digest()


def test_consensus_parties_exclude_secretariat_and_observers() -> None:
    data = minimal_spec()
    data["parties"].append({"id": "ts", "name": "Secretariat", "roles": ["technical-secretariat"]})
    data["parties"].append({"id": "ob", "name": "Observer", "roles": ["observer"]})
    assert _spec(data).consensus_parties() == ("aa", "bb")
