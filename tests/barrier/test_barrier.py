"""The information barrier releases only what the treaty declares, and nothing leaks.

The methods here are test plugins with transparent rules (ratio below a threshold,
mass above one) so that every released value can be checked by hand; the real gamma
and neutron methods plug into the same registry.
"""

from __future__ import annotations

import copy
import hashlib
import json
import pickle
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from treatyverify.barrier.barrier import (
    ERROR_REASONS,
    INCONCLUSIVE_REASONS,
    REFUSAL_REASONS,
    RELEASE_KIND,
    RELEASE_STATUSES,
    InformationBarrier,
    record_releases,
)
from treatyverify.barrier.registry import MethodPlugin, MethodRegistry, OutputValue
from treatyverify.barrier.sensitive import SensitiveData
from treatyverify.errors import (
    InconclusiveError,
    InputError,
    MethodRefusedError,
    UnknownNameError,
)
from treatyverify.records.keys import generate_party_key
from treatyverify.records.ledger import Ledger
from treatyverify.records.verify import verify_ledger
from treatyverify.treaty.loader import load_treaty
from treatyverify.treaty.models import MethodSpec

SPEC = load_treaty("warhead-dismantlement")
ITEM_CLASS = "warhead-in-container"
SECRET_RATIO = 0.0587321
SECRET_MASS_KG = 3.14159


def _ratio(data: SensitiveData, method: MethodSpec) -> Mapping[str, OutputValue]:
    ratio = float(data["isotopics"]["ratio"])
    return {"pass": ratio < method.number("max_ratio"), "ratio": ratio}


def _mass(data: SensitiveData, method: MethodSpec) -> Mapping[str, OutputValue]:
    mass = float(data["neutron"]["mass_kg"])
    return {"pass": mass >= method.number("min_mass_kg"), "mass_kg": mass}


def _presence(data: SensitiveData, method: MethodSpec) -> Mapping[str, OutputValue]:
    counts = data["spectrum"]
    return {"pass": float(counts.sum()) > 0.0}


def _age(data: SensitiveData, method: MethodSpec) -> Mapping[str, OutputValue]:
    return {"pass": float(data["isotopics"]["age_years"]) >= method.number("min_age_years")}


def _oxide(data: SensitiveData, method: MethodSpec) -> Mapping[str, OutputValue]:
    raise ValueError(f"oxide line fit failed at ratio {data['isotopics']['ratio']}")


def _identifier(data: SensitiveData, method: MethodSpec) -> Mapping[str, OutputValue]:
    return {"identifier-match": data["tag"] == "TAG-0001"}


def registry() -> MethodRegistry:
    methods = MethodRegistry()
    methods.register(
        MethodPlugin("gamma.pu-presence", ("spectrum",), frozenset({"pass"}), _presence)
    )
    methods.register(
        MethodPlugin(
            "gamma.pu240-pu239-ratio", ("isotopics",), frozenset({"pass", "ratio"}), _ratio
        )
    )
    methods.register(
        MethodPlugin(
            "neutron.multiplicity-mass", ("neutron",), frozenset({"pass", "mass_kg"}), _mass
        )
    )
    methods.register(MethodPlugin("gamma.pu-age", ("isotopics",), frozenset({"pass"}), _age))
    methods.register(
        MethodPlugin("gamma.oxide-absence", ("isotopics",), frozenset({"pass"}), _oxide)
    )
    methods.register(
        MethodPlugin("unique-identifier", ("tag",), frozenset({"identifier-match"}), _identifier)
    )
    return methods


def item(salt: bytes = bytes(32), **changes: object) -> SensitiveData:
    values: dict[str, object] = {
        "spectrum": np.arange(16, dtype=np.float64),
        "isotopics": {"ratio": SECRET_RATIO, "age_years": 25.0},
        "neutron": {"mass_kg": SECRET_MASS_KG},
        "tag": "TAG-0001",
    }
    values.update(changes)
    return SensitiveData(values, salt=salt)


def test_only_the_declared_outputs_leave_the_barrier() -> None:
    releases = InformationBarrier(SPEC, ITEM_CLASS, registry()).evaluate(item())
    by_id = {r.method_id: r for r in releases}
    assert [r.method_id for r in releases] == [m.id for m in SPEC.methods_for(ITEM_CLASS)]
    # max_ratio 0.1 and min_mass_kg 0.5 come from the specification.
    assert by_id["pu-isotopic-ratio"].outputs == {"pass": True}
    assert by_id["pu-mass"].outputs == {"pass": True}
    assert by_id["pu-age"].outputs == {"pass": True}
    assert by_id["uid-warhead-container"].outputs == {"identifier-match": True}
    for release in releases:
        assert set(release.outputs) <= set(
            next(m for m in SPEC.methods if m.id == release.method_id).reveals
        )


def test_a_failing_item_fails_by_the_thresholds_of_the_specification() -> None:
    data = item(isotopics={"ratio": 0.12, "age_years": 3.0}, neutron={"mass_kg": 0.4})
    by_id = {
        r.method_id: r for r in InformationBarrier(SPEC, ITEM_CLASS, registry()).evaluate(data)
    }
    assert by_id["pu-isotopic-ratio"].outputs == {"pass": False}
    assert by_id["pu-mass"].outputs == {"pass": False}
    assert by_id["pu-age"].outputs == {"pass": False}


def test_a_method_error_releases_a_fixed_reason_and_no_text() -> None:
    releases = InformationBarrier(SPEC, ITEM_CLASS, registry()).evaluate(item())
    oxide = next(r for r in releases if r.method_id == "oxide-absence")
    assert oxide.status == "error"
    assert oxide.reason == "method-failed"
    assert oxide.outputs == {}
    text = json.dumps([r.to_body() for r in releases])
    for secret in (str(SECRET_RATIO), str(SECRET_MASS_KG), "0.0587", "3.1415"):
        assert secret not in text


def _raising(error: Exception) -> MethodRegistry:
    """The test registry, with the ratio method replaced by one that raises ``error``."""

    def run(data: SensitiveData, method: MethodSpec) -> Mapping[str, OutputValue]:
        raise error

    methods = MethodRegistry()
    for name in registry().names():
        plugin = registry().get(name)
        if name == "gamma.pu240-pu239-ratio":
            plugin = MethodPlugin(name, plugin.inputs, plugin.outputs, run)
        methods.register(plugin)
    return methods


def _ratio_release(error: Exception) -> tuple[str, str | None, dict[str, OutputValue], str]:
    releases = InformationBarrier(SPEC, ITEM_CLASS, _raising(error)).evaluate(item())
    ratio = next(r for r in releases if r.method_id == "pu-isotopic-ratio")
    others = [r for r in releases if r.method_id not in ("pu-isotopic-ratio", "oxide-absence")]
    assert {r.status for r in others} == {"ok"}  # one method's trouble stays its own
    return ratio.status, ratio.reason, ratio.outputs, json.dumps([r.to_body() for r in releases])


@pytest.mark.parametrize("code", sorted(REFUSAL_REASONS))
def test_a_refusal_releases_its_code_as_the_reason_of_an_error(code: str) -> None:
    error = MethodRefusedError(code, f"ratio {SECRET_RATIO} in bad.spe", where="bad.spe")
    status, reason, outputs, text = _ratio_release(error)
    assert (status, reason, outputs) == ("error", code, {})
    assert str(SECRET_RATIO) not in text and "bad.spe" not in text


@pytest.mark.parametrize("code", sorted(INCONCLUSIVE_REASONS))
def test_an_inconclusive_attribute_releases_its_code_and_no_outputs(code: str) -> None:
    status, reason, outputs, text = _ratio_release(
        InconclusiveError(code, f"ratio {SECRET_RATIO} +- 0.004 against 0.06")
    )
    assert (status, reason, outputs) == ("inconclusive", code, {})
    assert str(SECRET_RATIO) not in text and "0.004" not in text


@pytest.mark.parametrize(
    "error",
    [
        MethodRefusedError("ratio-was-0.0587", "made-up code"),
        MethodRefusedError("bound-straddles-threshold", "an inconclusive code as a refusal"),
        MethodRefusedError(["needs-high-resolution"], "not a string"),  # type: ignore[arg-type]
        InconclusiveError("needs-high-resolution", "a refusal code as inconclusive"),
        InconclusiveError(f"ratio {SECRET_RATIO}", "made-up code"),
        InputError(f"ratio {SECRET_RATIO}", where="isotopics"),
        ZeroDivisionError(f"ratio {SECRET_RATIO}"),
    ],
    ids=repr,
)
def test_an_unknown_code_or_any_other_exception_is_method_failed(error: Exception) -> None:
    status, reason, outputs, text = _ratio_release(error)
    assert (status, reason, outputs) == ("error", "method-failed", {})
    assert "0.0587" not in text


def test_the_vocabulary_is_small_fixed_and_free_of_digits() -> None:
    assert RELEASE_STATUSES == ("ok", "inconclusive", "error")
    assert REFUSAL_REASONS < ERROR_REASONS
    assert not ERROR_REASONS & INCONCLUSIVE_REASONS
    for reason in ERROR_REASONS | INCONCLUSIVE_REASONS:
        assert reason == reason.lower() and not any(c.isdigit() or c.isspace() for c in reason)


def test_a_missing_input_is_an_error_release() -> None:
    data = SensitiveData({"spectrum": np.ones(4), "isotopics": {"ratio": 0.05, "age_years": 20.0}})
    by_id = {
        r.method_id: r for r in InformationBarrier(SPEC, ITEM_CLASS, registry()).evaluate(data)
    }
    assert by_id["pu-mass"].status == "error"
    assert by_id["pu-mass"].reason == "missing-input"
    assert by_id["pu-isotopic-ratio"].status == "ok"


def test_sensitive_data_shows_no_values_and_cannot_be_pickled_or_copied() -> None:
    data = item()
    for text in (repr(data), str(data), f"{data}", f"{data!r}"):
        assert "0.0587" not in text and "3.14" not in text and "TAG-0001" not in text
        assert "withheld" in text
    with pytest.raises(TypeError):
        pickle.dumps(data)
    with pytest.raises(TypeError):
        copy.copy(data)
    with pytest.raises(TypeError):
        copy.deepcopy(data)
    with pytest.raises(InputError) as caught:
        data["absent"]
    assert "0.0587" not in str(caught.value)


def test_the_input_commitment_binds_data_and_salt() -> None:
    base = item().commitment()
    assert item().commitment() == base
    assert item(salt=bytes([1]) * 32).commitment() != base
    assert item(tag="TAG-0002").commitment() != base
    assert item(spectrum=np.arange(16, dtype=np.float32)).commitment() != base
    assert (
        SensitiveData({"a": 1}).commitment() != SensitiveData({"a": 1}).commitment()
    )  # fresh salts
    # Independent recomputation for a one-input item.
    salt = bytes(range(32))
    value = SensitiveData({"n": 7}, salt=salt).commitment()
    expected = hashlib.sha256(
        b"treatyverify/barrier-input/v1\x00"
        + salt
        + b"n\x00"
        + b"s"
        + (1).to_bytes(8, "big")
        + b"7"
    ).hexdigest()
    assert value == expected


def test_a_treaty_revealing_what_a_method_cannot_compute_is_refused() -> None:
    methods = MethodRegistry()
    for plugin in registry().names():
        source = registry().get(plugin)
        outputs = frozenset({"ratio"}) if plugin == "gamma.pu240-pu239-ratio" else source.outputs
        methods.register(MethodPlugin(plugin, source.inputs, outputs, source.run))
    with pytest.raises(InputError) as caught:
        InformationBarrier(SPEC, ITEM_CLASS, methods)
    assert caught.value.where == "warhead-dismantlement: methods.pu-isotopic-ratio.reveals"


def test_an_unimplemented_method_is_named() -> None:
    methods = MethodRegistry()
    with pytest.raises(UnknownNameError) as caught:
        InformationBarrier(SPEC, ITEM_CLASS, methods)
    assert "gamma.pu-presence" in str(caught.value)


def test_registering_a_method_twice_is_refused() -> None:
    methods = registry()
    with pytest.raises(InputError):
        methods.register(MethodPlugin("gamma.pu-age", ("isotopics",), frozenset({"pass"}), _age))


def test_releases_become_a_signed_record_naming_the_code(tmp_path: Path) -> None:
    keys = {party.id: generate_party_key(party.id) for party in SPEC.parties}
    ledger = Ledger.create(
        tmp_path / "ledger.db",
        treaty=SPEC.id,
        spec_digest=SPEC.digest(),
        keys={p: k.public for p, k in keys.items()},
        consensus_parties=SPEC.consensus_parties(),
        opener=keys["host"],
        time=datetime(2026, 1, 1, tzinfo=UTC),
    )
    releases = InformationBarrier(SPEC, ITEM_CLASS, registry()).evaluate(item())
    record = record_releases(
        ledger,
        keys["inspector-1"],
        item="W-17",
        item_class=ITEM_CLASS,
        releases=releases,
        ref="W-17",
    )
    assert record.kind == RELEASE_KIND
    # Release 1 is pu-isotopic-ratio; the hash of its code is in the record.
    stored_hash = record.body["releases"][1]["code_hash"]
    assert stored_hash == registry().get("gamma.pu240-pu239-ratio").code_hash
    assert len(stored_hash) == 64 and int(stored_hash, 16) >= 0
    stored = json.dumps(ledger.get(record.seq).body)
    assert str(SECRET_RATIO) not in stored and str(SECRET_MASS_KG) not in stored
    verify_ledger(ledger)
    ledger.close()


def test_a_subset_of_the_methods_can_run() -> None:
    methods = MethodRegistry()
    source = registry()
    methods.register(source.get("gamma.pu240-pu239-ratio"))
    barrier = InformationBarrier(SPEC, ITEM_CLASS, methods, method_ids=["pu-isotopic-ratio"])
    releases = barrier.evaluate(item())
    assert [r.method_id for r in releases] == ["pu-isotopic-ratio"]
    with pytest.raises(UnknownNameError) as caught:
        InformationBarrier(SPEC, ITEM_CLASS, methods, method_ids=["no-such-method"])
    assert "no-such-method" in str(caught.value)
