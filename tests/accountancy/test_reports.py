"""Accounting reports (ICR, PIL, MBR): forms, the balance they give, bad input.

The worked case is a notional month (March 2025) at an LEU fuel fabrication plant,
material balance area FFP-1; every number is invented for the test, and the balance is
worked out by hand below.
"""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from treatyverify.compliance.material_balance import material_balance_finding, require_closed
from treatyverify.errors import InputError
from treatyverify.methods.accountancy.balance import material_balance
from treatyverify.methods.accountancy.measurement_errors import ErrorModel, MethodErrors
from treatyverify.methods.accountancy.reports import (
    InventoryChangeReport,
    MaterialBalanceReport,
    PhysicalInventoryListing,
    change_types,
    closure_errors,
    load_report,
    material_balance_report,
    parse_report,
    reports_to_facility,
    write_report,
)

# Beginning PIL, 2025-03-01:   U (kg)     U-235 (kg)
#   P-001 UO2 powder          1200.000    48.000
#   PEL-01 pellets             800.000    32.000
#   SCR-01 scrap                50.000     2.000
#   total                     2050.000    82.000
BEGIN: dict[str, Any] = {
    "report": "PIL",
    "mba": "FFP-1",
    "date": "2025-03-01",
    "items": [
        {"batch": "P-001", "element": "U", "element_weight": 1200.0, "isotope": "U-235",
         "isotope_weight": 48.0, "unit": "kg", "method": "weighing", "kmp": "KMP-D"},
        {"batch": "PEL-01", "element": "U", "element_weight": 800.0, "isotope": "U-235",
         "isotope_weight": 32.0, "unit": "kg", "method": "weighing", "kmp": "KMP-D"},
        {"batch": "SCR-01", "element": "U", "element_weight": 50.0, "isotope": "U-235",
         "isotope_weight": 2.0, "unit": "kg", "method": "scrap-nda", "kmp": "KMP-D"},
    ],
}  # fmt: skip

# ICR, March 2025:                      U (kg)     U-235 (kg)
#   R-101 domestic receipt  03-03      2000.000    80.000    +
#   R-102 import            03-10      1000.000    44.000    +
#   FA-01 domestic shipment 03-20      2400.000    96.000    -
#   W-01  measured discard  03-25     2500 g = 2.500   100 g = 0.100   -
#   FA-02 export            03-28       450.000    19.800    -
# increases: U 2000 + 1000 = 3000.000            U-235 80 + 44 = 124.000
# decreases: U 2400 + 2.5 + 450 = 2852.500       U-235 96 + 0.1 + 19.8 = 115.900
ICR: dict[str, Any] = {
    "report": "ICR",
    "mba": "FFP-1",
    "period_start": "2025-03-01",
    "period_end": "2025-04-01",
    "entries": [
        {"batch": "R-101", "date": "2025-03-03", "type": "domestic-receipt", "element": "U",
         "element_weight": 2000.0, "isotope": "U-235", "isotope_weight": 80.0, "unit": "kg",
         "method": "weighing", "kmp": "KMP-A"},
        {"batch": "R-102", "date": "2025-03-10", "type": "import", "element": "U",
         "element_weight": 1000.0, "isotope": "U-235", "isotope_weight": 44.0, "unit": "kg",
         "method": "weighing", "kmp": "KMP-A"},
        {"batch": "FA-01", "date": "2025-03-20", "type": "domestic-shipment", "element": "U",
         "element_weight": 2400.0, "isotope": "U-235", "isotope_weight": 96.0, "unit": "kg",
         "method": "weighing", "kmp": "KMP-B"},
        {"batch": "W-01", "date": "2025-03-25", "type": "measured-discard", "element": "U",
         "element_weight": 2500.0, "isotope": "U-235", "isotope_weight": 100.0, "unit": "g",
         "method": "scrap-nda", "kmp": "KMP-C"},
        {"batch": "FA-02", "date": "2025-03-28", "type": "export", "element": "U",
         "element_weight": 450.0, "isotope": "U-235", "isotope_weight": 19.8, "unit": "kg",
         "method": "weighing", "kmp": "KMP-B"},
    ],
}  # fmt: skip

# Ending PIL, 2025-04-01:      U (kg)     U-235 (kg)
#   P-002                     1300.000    53.000
#   PEL-02                     850.000    34.000
#   SCR-02                      46.000     2.300
#   total                     2196.000    89.300
END: dict[str, Any] = {
    "report": "PIL",
    "mba": "FFP-1",
    "date": "2025-04-01",
    "items": [
        {"batch": "P-002", "element": "U", "element_weight": 1300.0, "isotope": "U-235",
         "isotope_weight": 53.0, "unit": "kg", "method": "weighing", "kmp": "KMP-D"},
        {"batch": "PEL-02", "element": "U", "element_weight": 850.0, "isotope": "U-235",
         "isotope_weight": 34.0, "unit": "kg", "method": "weighing", "kmp": "KMP-D"},
        {"batch": "SCR-02", "element": "U", "element_weight": 46.0, "isotope": "U-235",
         "isotope_weight": 2.3, "unit": "kg", "method": "scrap-nda", "kmp": "KMP-D"},
    ],
}  # fmt: skip

# Ending book U     = 2050 + 3000 - 2852.5 = 2197.500 kg;  MUF U     = 2197.5 - 2196.0 = 1.500 kg
# Ending book U-235 = 82 + 124 - 115.9     =   90.100 kg;  MUF U-235 = 90.1 - 89.3     = 0.800 kg
HAND = {
    None: {"begin": 2050.0, "inc": 3000.0, "dec": 2852.5, "book": 2197.5, "end": 2196.0,
           "muf": 1.5},
    "U-235": {"begin": 82.0, "inc": 124.0, "dec": 115.9, "book": 90.1, "end": 89.3,
              "muf": 0.8},
}  # fmt: skip

ERRORS = ErrorModel(
    methods=(
        MethodErrors(id="weighing", random_rsd=0.0005, systematic_rsd=0.0005, source="notional"),
        MethodErrors(id="scrap-nda", random_rsd=0.05, systematic_rsd=0.05, source="notional"),
    )
)


def reports() -> tuple[InventoryChangeReport, PhysicalInventoryListing, PhysicalInventoryListing]:
    icr, end, begin = parse_report(ICR), parse_report(END), parse_report(BEGIN)
    assert isinstance(icr, InventoryChangeReport)
    assert isinstance(end, PhysicalInventoryListing)
    assert isinstance(begin, PhysicalInventoryListing)
    return icr, end, begin


@pytest.mark.parametrize("isotope", [None, "U-235"])
def test_the_hand_balance_of_a_month(isotope: str | None) -> None:
    icr, end, begin = reports()
    mbr = material_balance_report(icr, end, begin, element="U", isotope=isotope)
    hand = HAND[isotope]
    assert mbr.beginning_physical_inventory == pytest.approx(hand["begin"], abs=1e-9)
    assert mbr.total_increases == pytest.approx(hand["inc"], abs=1e-9)
    assert mbr.total_decreases == pytest.approx(hand["dec"], abs=1e-9)
    assert mbr.ending_book_inventory == pytest.approx(hand["book"], abs=1e-9)
    assert mbr.ending_physical_inventory == pytest.approx(hand["end"], abs=1e-9)
    assert mbr.muf == pytest.approx(hand["muf"], abs=1e-9)
    assert set(mbr.increases) == {"domestic-receipt", "import"}
    assert set(mbr.decreases) == {"domestic-shipment", "measured-discard", "export"}
    assert closure_errors(mbr) == []
    assert material_balance_finding(mbr).compliant


def test_the_reports_feed_balance_py_and_give_the_hand_muf() -> None:
    icr, end, begin = reports()
    facility = reports_to_facility([begin, end], [icr], error_model=ERRORS)
    for isotope, hand in HAND.items():
        balance = material_balance(facility, "U", isotope)
        assert balance.muf_kg[0] == pytest.approx(hand["muf"], abs=1e-9)
        assert balance.beginning_kg[0] == pytest.approx(hand["begin"], abs=1e-9)
        assert balance.receipts_kg[0] == pytest.approx(hand["inc"], abs=1e-9)
        assert balance.removals_kg[0] == pytest.approx(hand["dec"], abs=1e-9)
        assert balance.ending_kg[0] == pytest.approx(hand["end"], abs=1e-9)
        assert balance.sigma_muf_kg[0] > 0
    mbr = material_balance_report(icr, end, begin, element="U")
    assert material_balance(facility, "U").muf_kg[0] == pytest.approx(mbr.muf, abs=1e-9)


def test_a_year_of_reports_gives_one_muf_per_month() -> None:
    """Two months with the same changes: the second opens with the first's ending PIL."""
    icr, end, begin = reports()
    april = copy.deepcopy(ICR)
    april["period_start"], april["period_end"] = "2025-04-01", "2025-05-01"
    for entry in april["entries"]:
        entry["date"] = entry["date"].replace("2025-03", "2025-04")
    may_pil = copy.deepcopy(END) | {"date": "2025-05-01"}
    facility = reports_to_facility(
        [begin, end, parse_report(may_pil)],  # type: ignore[list-item]
        [icr, parse_report(april)],  # type: ignore[list-item]
        error_model=ERRORS,
    )
    balance = material_balance(facility, "U")
    # April: book 2196 + 3000 - 2852.5 = 2343.5; ending 2196 -> MUF 147.5 kg
    np.testing.assert_allclose(balance.muf_kg, [1.5, 147.5], atol=1e-9)
    # the shared inventory (2196 kg) makes consecutive MUFs negatively correlated
    assert balance.covariance_kg2[0, 1] < 0


def test_a_shipper_receiver_difference_adjusts_the_book() -> None:
    data = copy.deepcopy(ICR)
    # receiver measured 0.2 kg U (0.008 kg U-235) less than the shipper stated
    data["entries"].append(
        {"batch": "R-101", "date": "2025-03-05", "type": "shipper-receiver-difference",
         "element": "U", "element_weight": -0.2, "isotope": "U-235", "isotope_weight": -0.008,
         "unit": "kg", "method": "weighing", "kmp": "KMP-A"}
    )  # fmt: skip
    icr = parse_report(data)
    _, end, begin = reports()
    assert isinstance(icr, InventoryChangeReport)
    mbr = material_balance_report(icr, end, begin, element="U")
    # adjusted book 2197.5 - 0.2 = 2197.3; MUF 2197.3 - 2196 = 1.3
    assert mbr.shipper_receiver_difference == pytest.approx(-0.2)
    assert mbr.adjusted_ending_book_inventory == pytest.approx(2197.3)
    assert mbr.muf == pytest.approx(1.3)
    facility = reports_to_facility([begin, end], [icr], error_model=ERRORS)
    assert material_balance(facility, "U").muf_kg[0] == pytest.approx(1.3)


def test_without_a_previous_pil_the_area_starts_empty() -> None:
    icr, end, _ = reports()
    mbr = material_balance_report(icr, end, None, element="U")
    # 0 + 3000 - 2852.5 - 2196 = -2048.5
    assert mbr.muf == pytest.approx(-2048.5)


@pytest.mark.parametrize("suffix", [".json", ".csv"])
@pytest.mark.parametrize("which", ["icr", "pil", "mbr"])
def test_round_trip(tmp_path: Path, suffix: str, which: str) -> None:
    icr, end, begin = reports()
    report = {
        "icr": icr,
        "pil": begin,
        "mbr": material_balance_report(icr, end, begin, element="U", isotope="U-235"),
    }[which]
    path = write_report(tmp_path / f"{which}{suffix}", report)
    again = load_report(path)
    assert again == report


def test_the_json_form_is_the_documented_one(tmp_path: Path) -> None:
    icr, _, _ = reports()
    data = json.loads(write_report(tmp_path / "icr.json", icr).read_text())
    assert data["report"] == "ICR" and data["mba"] == "FFP-1"
    assert data["entries"][3] == ICR["entries"][3] | {"method": ["scrap-nda"]}


def test_the_csv_form_has_one_row_per_entry(tmp_path: Path) -> None:
    icr, _, _ = reports()
    lines = write_report(tmp_path / "icr.csv", icr).read_text().splitlines()
    assert lines[0].startswith("report,mba,period_start,period_end,batch,date,type,element")
    assert len(lines) == 1 + len(ICR["entries"])
    assert lines[4].split(",")[4:12] == [
        "W-01", "2025-03-25", "measured-discard", "U", "2500.0", "U-235", "100.0", "g",
    ]  # fmt: skip


# --------------------------------------------------------------------- not closing


def closed_mbr() -> dict[str, Any]:
    icr, end, begin = reports()
    return material_balance_report(icr, end, begin, element="U").model_dump(mode="json")


def test_an_mbr_whose_ending_book_is_wrong_is_a_finding_naming_its_lines(tmp_path: Path) -> None:
    data = closed_mbr() | {"ending_book_inventory": 2197.4}
    mbr = parse_report(data, "mbr.json")
    assert isinstance(mbr, MaterialBalanceReport)
    finding = material_balance_finding(mbr)
    assert not finding.compliant
    assert finding.rule == "accountancy:material-balance-closes" and finding.subject == "FFP-1"
    assert "ending_book_inventory is stated as 2197.4 kg" in finding.statement
    assert "beginning_physical_inventory + total_increases - total_decreases give 2197.5 kg" in (
        finding.statement
    )
    # the adjusted book (2197.5) no longer equals the stated ending book either
    lines = [e["line"] for e in finding.values["not_closing"]]
    assert lines == ["ending_book_inventory", "adjusted_ending_book_inventory"]
    with pytest.raises(InputError, match=r"^mbr\.json: ending_book_inventory: the balance"):
        require_closed(mbr, "mbr.json")


def test_an_mbr_whose_total_is_not_the_sum_names_the_entries() -> None:
    data = closed_mbr() | {"total_increases": 3001.0}
    mbr = parse_report(data)
    assert isinstance(mbr, MaterialBalanceReport)
    errors = closure_errors(mbr)
    assert errors[0].line == "total_increases"
    assert errors[0].from_lines == ("increases.domestic-receipt", "increases.import")
    assert errors[0].difference_kg == pytest.approx(1.0)
    assert (
        "increases.domestic-receipt + increases.import" in material_balance_finding(mbr).statement
    )


def test_a_closing_mbr_in_grams_closes() -> None:
    data = closed_mbr()
    for key in ("beginning_physical_inventory", "total_increases", "total_decreases",
                "ending_book_inventory", "adjusted_ending_book_inventory",
                "ending_physical_inventory", "muf"):  # fmt: skip
        data[key] *= 1000.0
    for group in ("increases", "decreases"):
        data[group] = {k: v * 1000.0 for k, v in data[group].items()}
    data["unit"] = "g"
    mbr = parse_report(data)
    assert isinstance(mbr, MaterialBalanceReport)
    assert closure_errors(mbr) == []
    assert material_balance_finding(mbr).values["muf_kg"] == pytest.approx(1.5)


# ----------------------------------------------------------------------- bad input


def bad_icr(change: dict[str, Any], *, drop: str | None = None) -> dict[str, Any]:
    data = copy.deepcopy(ICR)
    data["entries"][1] |= change
    if drop:
        del data["entries"][1][drop]
    return data


@pytest.mark.parametrize(
    ("data", "where", "message"),
    [
        (bad_icr({"type": "RD"}), "icr.json: entries[1] (batch R-102).type",
         "unknown inventory change type 'RD'"),
        (bad_icr({"type": "category-change"}), "icr.json: entries[1] (batch R-102).type",
         "unknown inventory change type"),
        (bad_icr({}, drop="unit"), "icr.json: entries[1] (batch R-102).unit", "missing"),
        (bad_icr({}, drop="element_weight"), "icr.json: entries[1] (batch R-102).element_weight",
         "missing"),
        (bad_icr({"unit": "lb"}), "icr.json: entries[1] (batch R-102).unit", "'kg' or 'g'"),
        (bad_icr({"element_weight": -1000.0}),
         "icr.json: entries[1] (batch R-102).element_weight", "cannot be negative"),
        (bad_icr({"isotope_weight": -4.0}),
         "icr.json: entries[1] (batch R-102).isotope_weight", "cannot be negative"),
        (bad_icr({}, drop="isotope_weight"),
         "icr.json: entries[1] (batch R-102).isotope_weight", "without its weight"),
        (bad_icr({"isotope_weight": 1001.0}),
         "icr.json: entries[1] (batch R-102).isotope_weight", "exceeds the element weight"),
        (bad_icr({"date": "2025-04-02"}), "icr.json: entries[1] (batch R-102).date",
         "outside the period"),
        (bad_icr({"element": "Np"}), "icr.json: entries[1] (batch R-102).element", "'U'"),
        (bad_icr({"colour": "blue"}), "icr.json: entries[1] (batch R-102).colour",
         "not permitted"),
        (ICR | {"report": "XYZ"}, "icr.json: report", "must be ICR, PIL or MBR"),
    ],
)  # fmt: skip
def test_bad_entries_name_the_file_entry_and_field(
    data: dict[str, Any], where: str, message: str
) -> None:
    with pytest.raises(InputError, match=message) as caught:
        parse_report(data, "icr.json")
    assert caught.value.where == where


def test_nan_weights_are_refused_in_json_and_csv(tmp_path: Path) -> None:
    (tmp_path / "icr.json").write_text(json.dumps(ICR).replace("1000.0", "NaN"))
    with pytest.raises(InputError, match="NaN"):
        load_report(tmp_path / "icr.json")
    icr, _, _ = reports()
    text = write_report(tmp_path / "icr.csv", icr).read_text().replace(",1000.0,", ",nan,")
    (tmp_path / "icr.csv").write_text(text)
    with pytest.raises(InputError, match="finite") as caught:
        load_report(tmp_path / "icr.csv")
    assert caught.value.where == "icr.csv: entries[1] (batch R-102).element_weight"


def test_a_csv_report_holds_one_report(tmp_path: Path) -> None:
    icr, _, _ = reports()
    text = write_report(tmp_path / "icr.csv", icr).read_text()
    lines = text.splitlines()
    lines[3] = lines[3].replace("FFP-1", "FFP-2", 1)
    (tmp_path / "icr.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match="differs from row 2") as caught:
        load_report(tmp_path / "icr.csv")
    assert caught.value.where == "icr.csv: row 4.mba"


def test_an_entry_of_the_element_without_the_isotope_weight_is_refused_for_the_isotope() -> None:
    data = copy.deepcopy(ICR)
    del data["entries"][2]["isotope"], data["entries"][2]["isotope_weight"]
    icr = parse_report(data, "icr.json")
    _, end, begin = reports()
    assert isinstance(icr, InventoryChangeReport)
    with pytest.raises(InputError, match="gives no U-235 weight") as caught:
        material_balance_report(
            icr, end, begin, element="U", isotope="U-235", names=("icr.json", "e", "b")
        )
    assert caught.value.where == "icr.json: entries[2] (batch FA-01).isotope_weight"


def test_reports_of_another_period_or_area_are_refused() -> None:
    icr, _end, begin = reports()
    with pytest.raises(InputError, match="period end") as caught:
        material_balance_report(icr, begin, None, element="U", names=("i", "end.json", "b"))
    assert caught.value.where == "end.json: date"
    other = parse_report(END | {"mba": "FFP-2"})
    assert isinstance(other, PhysicalInventoryListing)
    with pytest.raises(InputError, match="FFP-2"):
        material_balance_report(icr, other, begin, element="U")


def test_the_facility_needs_methods_and_kmps() -> None:
    data = copy.deepcopy(ICR)
    del data["entries"][0]["method"]
    icr = parse_report(data)
    _, end, begin = reports()
    assert isinstance(icr, InventoryChangeReport)
    with pytest.raises(InputError, match="no measurement method") as caught:
        reports_to_facility([begin, end], [icr], error_model=ERRORS, names=(["b", "e"], ["i"]))
    assert caught.value.where == "i: entries[0] (batch R-101).method"


# --------------------------------------------------------------------------- table


def test_every_type_has_a_sign_and_a_source_and_no_unread_code() -> None:
    table = change_types()
    assert {t.sign for t in table.values()} == {+1, -1, 0}
    for name, kind in table.items():
        assert kind.source.startswith("Nuclear Safeguards Education Portal"), name
        assert name == name.lower() and len(name) > 2, "two-letter codes are left out"
    assert table["nuclear-production"].sign == +1
    assert table["nuclear-loss"].sign == -1
    assert table["shipper-receiver-difference"].sign == 0


# ------------------------------------------------------------------ property tests

_weights = st.floats(min_value=0.0, max_value=1.0e6, allow_nan=False, allow_infinity=False)
_entries = st.lists(
    st.fixed_dictionaries(
        {
            "batch": st.text(alphabet="ABCDEFXYZ-0123456789", min_size=1, max_size=8),
            "date": st.dates(min_value=date(2025, 3, 1), max_value=date(2025, 4, 1)),
            "type": st.sampled_from(sorted(k for k, v in change_types().items() if v.sign != 0)),
            "element": st.sampled_from(["U", "Pu", "Th"]),
            "element_weight": _weights,
            "unit": st.sampled_from(["kg", "g"]),
            "method": st.lists(st.sampled_from(["weighing", "nda"]), max_size=2),
        }
    ),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(entries=_entries, suffix=st.sampled_from([".json", ".csv"]))
def test_any_icr_round_trips(tmp_path: Path, entries: list[dict[str, Any]], suffix: str) -> None:
    data = {"report": "ICR", "mba": "MBA-9", "period_start": "2025-03-01",
            "period_end": "2025-04-01", "entries": entries}  # fmt: skip
    report = parse_report(data)
    again = load_report(write_report(tmp_path / f"icr{suffix}", report))
    assert again == report
