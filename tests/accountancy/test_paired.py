"""Paired operator-inspector data: reading, bad input, and the gross/partial defect tests."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from treatyverify.errors import InputError
from treatyverify.methods.accountancy.paired import (
    CellErrors,
    attribute_detection_probability,
    attribute_false_alarm_probability,
    attribute_sample_size,
    attribute_tests,
    attribute_threshold,
    load_paired,
    parse_paired,
    read_paired_csv,
)

METHODS = [
    {"id": "drum-weighing", "random_rsd": 0.001, "systematic_rsd": 0.0005, "source": "notional"},
    {"id": "nda-u", "random_rsd": 0.02, "systematic_rsd": 0.01, "source": "notional"},
]


def _document(results: list[dict[str, Any]] | str, items: int = 10) -> dict[str, Any]:
    return {
        "strata": [
            {
                "id": "drums",
                "items": items,
                "operator_method": "drum-weighing",
                "balance_sign": -1,
            }
        ],
        "methods": METHODS,
        "results": results,
    }


def _result(item: str, x: float, y: float, **extra: Any) -> dict[str, Any]:
    return {
        "item_id": item,
        "stratum": "drums",
        "method": "nda-u",
        "unit": "kg",
        "operator_value": x,
        "inspector_value": y,
        "period": "2026-Q1",
    } | extra


def test_values_in_grams_are_converted_to_kg() -> None:
    data, model = parse_paired(_document([_result("D1", 2500.0, 2490.0, unit="g")]))
    assert data.results[0].operator_kg == 2.5
    assert data.results[0].inspector_kg == 2.49
    assert model.get("nda-u").random_rsd == 0.02


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"method": None}, "results[1] (item D2).method"),
        ({"unit": None}, "results[1] (item D2).unit"),
        ({"unit": "lb"}, "results[1] (item D2).unit"),
        ({"operator_value": math.nan}, "results[1] (item D2).operator_value"),
        ({"inspector_value": math.inf}, "results[1] (item D2).inspector_value"),
        ({"method": "hrgs"}, "results[1] (item D2).method"),
        ({"stratum": "pellets"}, "results[1] (item D2).stratum"),
    ],
)
def test_a_bad_result_names_the_file_entry_and_field(change: dict[str, Any], field: str) -> None:
    bad = _result("D2", 5.0, 5.0)
    for key, value in change.items():
        if value is None:
            del bad[key]
        else:
            bad[key] = value
    with pytest.raises(InputError) as caught:
        parse_paired(_document([_result("D1", 5.0, 5.0), bad]), "plant.json")
    assert str(caught.value).startswith(f"plant.json: {field}:")
    assert "\n" not in str(caught.value)


def test_a_sample_larger_than_its_stratum_is_refused() -> None:
    results = [_result(f"D{i}", 5.0, 5.0) for i in range(4)]
    with pytest.raises(InputError, match=r"plant.json: results\[3\] \(item D3\).stratum: sample"):
        parse_paired(_document(results, items=3), "plant.json")


def test_json_nan_and_a_csv_results_file(tmp_path: Path) -> None:
    path = tmp_path / "paired.json"
    path.write_text('{"strata": [], "results": [{"operator_value": NaN}]}', encoding="utf-8")
    with pytest.raises(InputError, match=r"paired\.json: NaN is not a number"):
        load_paired(path)
    csv_path = tmp_path / "results.csv"
    csv_path.write_text(
        "item_id,stratum,method,unit,operator_value,inspector_value,period\n"
        "D1,drums,nda-u,kg,5.0,4.98,2026-Q1\n"
        "D2,drums,nda-u,g,5000,5010,2026-Q1\n",
        encoding="utf-8",
    )
    path.write_text(json.dumps(_document("results.csv")), encoding="utf-8")
    data, _ = load_paired(path)
    assert [r.inspector_kg for r in data.results] == [4.98, 5.01]
    csv_path.write_text(
        "item_id,stratum,method,unit,operator_value,inspector_value,period\n"
        "D1,drums,nda-u,kg,nan,4.98,2026-Q1\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"results.csv: row 2 \(item D1\).operator_value"):
        load_paired(path)
    csv_path.write_text("item_id,stratum,unit\nD1,drums,kg\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"results\.csv: row 1: CSV header lacks column 'method'"):
        load_paired(path)


def test_threshold_without_systematic_error_is_the_sidak_quantile() -> None:
    # n = 10, alpha = 0.05: per item 1 - 0.95^(1/10) = 0.0051162; z = 2.5683;
    # sr = 0.01: t = 0.025683.
    errors = CellErrors(random_rsd=0.01, systematic_rsd=0.0)
    t = attribute_threshold(0.05, 10, errors)
    per_item = 1.0 - 0.95**0.1
    assert per_item == pytest.approx(0.0051162, abs=1e-7)
    assert t == pytest.approx(0.01 * stats.norm.isf(per_item), rel=1e-9)
    assert t == pytest.approx(0.025683, abs=1e-5)
    assert attribute_false_alarm_probability(t, 10, errors) == pytest.approx(0.05, abs=1e-10)


def test_without_measurement_error_detection_is_hypergeometric() -> None:
    # 200 items, 7 emptied, 25 verified: P(at least one in the sample) = 1 - hyp(0).
    exact = 1.0 - stats.hypergeom.pmf(0, 200, 7, 25)
    none = CellErrors(0.0, 0.0)
    assert attribute_detection_probability(200, 7, 25, 1.0, none, 0.5) == pytest.approx(
        exact, abs=1e-12
    )
    # a 30 % partial defect below a 50 % threshold is never seen
    assert attribute_detection_probability(200, 7, 25, 0.3, none, 0.5) == 0.0


def test_attribute_detection_against_an_independent_monte_carlo() -> None:
    # N = 120 items of 4 kg, r = 8 with 6 % removed, n = 20 verified; operator 1 %/0.5 %,
    # inspector 2 %/1 % (random/systematic): simulated with the exact multiplicative model.
    n_items, r, n, phi = 120, 8, 20, 0.06
    sro, sso, sri, ssi = 0.01, 0.005, 0.02, 0.01
    errors = CellErrors(math.hypot(sro, sri), math.hypot(sso, ssi))
    t = attribute_threshold(0.05, n, errors)
    formula = attribute_detection_probability(n_items, r, n, phi, errors, t)
    rng = np.random.default_rng(20261208)
    trials = 40_000
    picked = np.argsort(rng.random((trials, n_items)), axis=1)[:, :n]  # random n of N
    defective = picked < r  # items 0..r-1 are falsified
    so = rng.normal(0, sso, (trials, 1))
    si = rng.normal(0, ssi, (trials, 1))
    declared = 4.0 * (1 + rng.normal(0, sro, (trials, n)) + so)
    true = 4.0 * np.where(defective, 1 - phi, 1.0)
    measured = true * (1 + rng.normal(0, sri, (trials, n)) + si)
    hiding = (declared - measured) / declared  # ending inventory: sign -1
    alarms = np.any(hiding > t, axis=1)
    p = alarms.mean()
    se = math.sqrt(p * (1 - p) / trials)
    assert abs(p - formula) < 4 * se
    # and without defects the false-alarm rate is alpha
    assert attribute_detection_probability(n_items, 0, n, phi, errors, t) == pytest.approx(0.05)


def test_attribute_sample_sizes_by_hand_and_exact() -> None:
    # 100 items of 2 kg, 8 kg goal, beta = 0.1: gross defects M = 4, n = ceil(43.77) = 44.
    assert attribute_sample_size(100, 2.0, 8.0, 0.1) == 44
    # half-emptied items: M = 8, 100 (1 - 0.1^(1/8)) = 25.01 -> 26.
    assert attribute_sample_size(100, 2.0, 8.0, 0.1, defect_fraction=0.5) == 26
    exact = attribute_sample_size(100, 2.0, 8.0, 0.1, defect_fraction=0.5, method="exact")
    smallest = next(n for n in range(101) if stats.hypergeom.pmf(0, 100, 8, n) <= 0.1)
    assert exact == smallest
    with pytest.raises(InputError, match="goal_kg"):
        attribute_sample_size(3, 2.0, 8.0, 0.1)


def test_attribute_tests_flag_an_empty_and_a_partly_emptied_drum() -> None:
    results = [_result(f"D{i}", 5.0, 5.0) for i in range(8)]
    results[2]["inspector_value"] = 0.0  # empty drum: gross defect
    results[5]["inspector_value"] = 3.5  # 30 % removed: partial defect
    data, model = parse_paired(_document(results, items=40))
    (cell,) = attribute_tests(data, model, 0.05)
    assert cell.sample == 8
    assert cell.flagged == ("D2", "D5")
    assert cell.gross == ("D2",)
    assert cell.alarm
    assert 0.0 < cell.threshold < 0.2


_text = (
    st.text(
        alphabet=st.characters(whitelist_categories=("L", "N"), whitelist_characters="-_. "),
        min_size=1,
        max_size=12,
    )
    .map(str.strip)
    .filter(bool)
)
_mass = st.floats(min_value=1e-6, max_value=1e6, allow_nan=False, allow_infinity=False)


@given(
    rows=st.lists(
        st.tuples(_text, _text, st.sampled_from(["kg", "g"]), _mass, _mass, _text),
        min_size=1,
        max_size=8,
    )
)
def test_csv_rows_read_back_as_written(rows: list[tuple[str, str, str, float, float, str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["item_id", "stratum", "method", "unit", "operator_value", "inspector_value", "period"]
    )
    for item, stratum, unit, x, y, period in rows:
        writer.writerow([item, stratum, "nda-u", unit, repr(x), repr(y), period])
    read = read_paired_csv(buffer.getvalue(), "r.csv")
    assert [
        (r["item_id"], r["stratum"], r["unit"], r["operator_value"], r["inspector_value"],
         r["period"])
        for r in read
    ] == list(rows)  # fmt: skip


def test_a_csv_row_longer_than_its_header_is_refused() -> None:
    text = (
        "item_id,stratum,method,unit,operator_value,inspector_value,period\n"
        "D1,drums,nda-u,kg,5.0,4.9,Q1,extra\n"
    )
    with pytest.raises(InputError, match=r"r\.csv: row 2 \(item D1\): more values"):
        read_paired_csv(text, "r.csv")
