"""Every shipped specification validates, and its key numbers match the treaty texts.

The numbers below are written out independently of the YAML files, from the treaty
texts cited in each specification, so that an edit to a file that changes a treaty
number fails here.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from treatyverify.errors import SpecError
from treatyverify.treaty import TreatySpec, list_treaties, load_treaty

SHIPPED = [
    "china-russia-launch-notification-2009",
    "ctbt",
    "fmct",
    "inf",
    "new-start",
    "us-ussr-launch-notification-1988",
    "warhead-dismantlement",
]


def test_list_treaties_names_the_shipped_files() -> None:
    assert list_treaties() == SHIPPED


@pytest.mark.parametrize("treaty_id", SHIPPED)
def test_shipped_treaty_loads_and_is_cached(treaty_id: str) -> None:
    spec = load_treaty(treaty_id)
    assert isinstance(spec, TreatySpec)
    assert spec.id == treaty_id
    assert load_treaty(treaty_id) is spec
    assert len(spec.digest()) == 64


@pytest.mark.parametrize("treaty_id", SHIPPED)
def test_every_entry_with_numbers_names_a_source(treaty_id: str) -> None:
    spec = load_treaty(treaty_id)
    entries: list[Any] = [
        *spec.item_classes,
        *spec.limits,
        *spec.declarations,
        *spec.notifications,
        *spec.inspections,
        *spec.methods,
        *spec.significant_quantities,
        *spec.dismantlement_steps,
    ]
    if spec.monitoring is not None:
        entries += [*spec.monitoring.networks, *spec.monitoring.screening]
    for entry in entries:
        assert entry.source.strip()
    for inspection in spec.inspections:
        for period in inspection.quota_by_period:
            assert period.source.strip()


def test_new_start_central_limits() -> None:
    spec = load_treaty("new-start")
    assert spec.limit("delivery-vehicles").maximum == 700
    assert spec.limit("warheads").maximum == 1550
    assert spec.limit("launchers").maximum == 800
    assert set(spec.limit("delivery-vehicles").counts) == {
        "deployed-icbm",
        "deployed-slbm",
        "deployed-heavy-bomber",
    }
    assert set(spec.limit("warheads").counts) == {
        "warheads-deployed-icbm",
        "warheads-deployed-slbm",
        "warheads-heavy-bomber",
    }
    assert len(spec.limit("launchers").counts) == 6
    # Seven years after entry into force on 5 February 2011.
    assert spec.limit_effective_date("warheads") == date(2018, 2, 5)


def test_new_start_inspections_and_data_exchange() -> None:
    spec = load_treaty("new-start")
    assert spec.inspection("type-one").quota_for_year(1) == 10
    assert spec.inspection("type-two").quota_for_year(5) == 8
    assert spec.declaration("initial-database").due.days_after_entry_into_force == 45
    assert spec.declaration("six-month-update").due.interval_months == 6
    launch = spec.notification("launch")
    assert launch.deadline.relation == "before"
    assert launch.deadline.hours == 24
    assert spec.signed == date(2010, 4, 8)
    assert spec.entered_into_force == date(2011, 2, 5)


def test_new_start_has_no_sampling_and_says_so() -> None:
    spec = load_treaty("new-start")
    with pytest.raises(SpecError) as info:
        spec.require_sampling()
    assert "new-start" in str(info.value)
    assert "sampling" in str(info.value)


def test_inf_short_notice_quotas_by_period() -> None:
    inspection = load_treaty("inf").inspection("short-notice")
    assert [inspection.quota_for_year(y) for y in range(1, 14)] == [20] * 3 + [15] * 5 + [10] * 5
    assert sum(inspection.quota_for_year(y) for y in range(1, 14)) == 185
    with pytest.raises(SpecError, match="14"):
        inspection.quota_for_year(14)


def test_inf_ranges_and_elimination_deadlines() -> None:
    spec = load_treaty("inf")
    irm = spec.item_class("intermediate-range-missile").range_km
    srm = spec.item_class("shorter-range-missile").range_km
    assert irm is not None and srm is not None
    assert not irm.contains(1000) and irm.contains(1000.1) and irm.contains(5500)
    assert not irm.contains(5500.1)
    assert srm.contains(500) and srm.contains(1000) and not srm.contains(499.9)
    assert all(limit.maximum == 0 for limit in spec.limits)
    # Three years and 18 months after entry into force on 1 June 1988.
    assert spec.limit_effective_date("intermediate-range-missiles") == date(1991, 6, 1)
    assert spec.limit_effective_date("shorter-range-missiles") == date(1989, 12, 1)


def test_us_ussr_launch_notification_24_hours() -> None:
    spec = load_treaty("us-ussr-launch-notification-1988")
    launch = spec.notification("launch")
    assert (launch.deadline.relation, launch.deadline.hours) == ("before", 24)
    assert set(launch.applies_to) == {"icbm", "slbm"}
    assert {"planned_launch_date", "launch_area", "impact_area"} <= set(launch.required_fields)
    assert spec.limits == ()


def test_china_russia_2000_km_and_24_hours() -> None:
    spec = load_treaty("china-russia-launch-notification-2009")
    band = spec.item_class("ballistic-missile").range_km
    assert band is not None
    assert band.lower_km == 2000
    assert not band.contains(2000) and band.contains(2001)
    note = spec.notification("ballistic-missile-launch")
    assert note.deadline.hours == 24
    assert note.conditions["min_range_km_exclusive"] == 2000
    assert spec.notification("space-launch").deadline.hours == 24
    assert {p.id for p in spec.parties} == {"cn", "ru"}


def test_ctbt_monitoring_station_counts() -> None:
    spec = load_treaty("ctbt")
    counts = {n.id: n.count for n in spec.require_monitoring().networks}
    assert counts == {
        "seismic-primary": 50,
        "seismic-auxiliary": 120,
        "radionuclide-stations": 80,
        "radionuclide-laboratories": 16,
        "hydroacoustic": 11,
        "infrasound": 60,
    }
    stations = sum(n.count for n in spec.require_monitoring().networks if n.unit == "station")
    assert stations == 321
    assert sum(counts.values()) == 337


def test_ctbt_on_site_inspection_limits() -> None:
    osi = load_treaty("ctbt").inspection("on-site-inspection")
    assert osi.max_area_km2 == 1000
    assert osi.max_linear_extent_km == 50
    assert osi.team_size == 40
    assert osi.duration_hours == 60 * 24
    assert osi.extension_hours == 70 * 24
    with pytest.raises(SpecError, match="ctbt"):
        osi.quota_for_year(1)


def test_ctbt_screening_parameters() -> None:
    spec = load_treaty("ctbt")
    assert spec.screening("ms-mb").parameter("mb_coefficient") == 1.25
    assert spec.screening("depth").parameter("min_depth_km") == 10.0
    assert spec.screening("depth").parameter("confidence") == 0.975
    with pytest.raises(SpecError, match=r"monitoring\.screening\.depth\.parameters\.nope"):
        spec.screening("depth").parameter("nope")


def test_dismantlement_regime() -> None:
    spec = load_treaty("warhead-dismantlement")
    assert [s.number for s in spec.dismantlement_steps] == list(range(1, 15))
    sampling = spec.require_sampling()
    assert sampling.false_alarm_probability == 0.05
    assert sampling.non_detection_probability == 0.10
    assert "notional" in sampling.source
    assert spec.method("pu-isotopic-ratio").number("max_ratio") == 0.1
    assert spec.method("pu-mass").number("min_mass_kg") == 0.5
    for method in spec.methods:
        assert set(method.reveals) <= {"pass", "identifier-match"}
    sq = {q.material: q.quantity_kg for q in spec.significant_quantities}
    assert sq == {
        "plutonium": 8,
        "uranium-233": 8,
        "heu": 25,
        "leu": 75,
        "natural-uranium": 10_000,
        "depleted-uranium": 20_000,
        "thorium": 20_000,
    }


def test_fmct_significant_quantities_and_timeliness_goals() -> None:
    # IAEA Safeguards Glossary: SQ 8 kg Pu, 25 kg U-235 in HEU; timeliness goals one month
    # for unirradiated direct-use material, three months irradiated, one year indirect use.
    spec = load_treaty("fmct")
    assert spec.significant_quantity("plutonium").quantity_kg == 8
    assert spec.significant_quantity("heu").quantity_kg == 25
    assert spec.timeliness_goal("plutonium").goal_days == 30
    assert spec.timeliness_goal("heu").goal_days == 30
    assert spec.timeliness_goal("leu").goal_days == 365
    with pytest.raises(SpecError, match="timeliness goal"):
        spec.timeliness_goal("thorium")


def test_timeliness_goal_must_name_a_material_with_a_significant_quantity() -> None:
    data = load_treaty("fmct").model_dump(mode="json", exclude_defaults=True)
    data["timeliness_goals"][0]["materials"] = ["unobtainium"]
    with pytest.raises(ValueError, match="unobtainium"):
        TreatySpec.model_validate(data)


def test_digest_ignores_sections_left_at_their_defaults() -> None:
    spec = load_treaty("ctbt")
    assert "timeliness_goals" not in spec.canonical_json()
    assert spec.model_copy(update={"dismantlement_steps": ()}).digest() == spec.digest()
