"""The code hash of a method covers the physics it runs and the nuclear data it reads.

Changes are simulated by replacing the source reader (``registry.read_source``); no
real file is edited.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from treatyverify.barrier import registry as registry_module
from treatyverify.barrier.catalog import default_registry
from treatyverify.barrier.registry import MethodPlugin, OutputValue, code_manifest
from treatyverify.barrier.sensitive import SensitiveData
from treatyverify.errors import InputError
from treatyverify.treaty.models import MethodSpec

GAMMA = "gamma.pu240-pu239-ratio"
NEUTRON = "neutron.multiplicity-mass"
BALANCE = "accountancy.mass-balance"


def hashes() -> dict[str, str]:
    """Every catalog method's code hash, from a fresh registry (no cached value)."""
    methods = default_registry()
    return {name: methods.get(name).code_hash for name in methods.names()}


def changed(
    monkeypatch: pytest.MonkeyPatch, file_name: str, edit: Callable[[bytes], bytes]
) -> None:
    """Make the source reader return ``edit(bytes)`` for files called ``file_name``."""
    read = registry_module.read_source

    def fake(path: Path) -> bytes:
        content = read(path)
        return edit(content) if path.name == file_name else content

    monkeypatch.setattr(registry_module, "read_source", fake)


def names(method: str) -> set[str]:
    return {name for _, name, _ in code_manifest(default_registry().get(method).entry_modules)}


def test_the_hash_is_stable_between_calls_and_registries() -> None:
    first = hashes()
    assert hashes() == first
    plugin = default_registry().get(GAMMA)
    assert plugin.code_hash == plugin.code_hash == first[GAMMA]
    assert all(len(h) == 64 for h in first.values())


def test_methods_with_different_physics_have_different_hashes() -> None:
    values = hashes()
    assert len(set(values.values())) == len(values)  # the adapter functions differ too
    assert names(GAMMA) != names(NEUTRON) != names(BALANCE)


def test_the_hash_covers_the_physics_closure_and_its_data_not_the_catalog() -> None:
    gamma = names(GAMMA)
    assert {
        "treatyverify.methods.gamma.isotopic_attributes",
        "treatyverify.methods.gamma.isotopics",  # the fit, imported through item_isotopics
        "treatyverify.methods.gamma.lineshape",  # imported by isotopics
        "treatyverify.methods.nucdata.tables",
        "treatyverify.methods.nucdata/gamma_lines.yaml",  # read by tables
        "treatyverify.methods.nucdata/hpge_efficiency.yaml",  # read by releff
    } <= gamma
    assert "treatyverify.barrier.catalog" not in gamma
    assert not any(name.startswith("treatyverify.methods.neutron") for name in gamma)
    assert "treatyverify.methods.accountancy/itv.yaml" in names(BALANCE)
    manifest = code_manifest(["treatyverify.methods.gamma.attributes"])
    assert manifest == sorted(manifest, key=lambda item: (item[0], item[1]))


def test_changing_a_physics_module_changes_the_hash_of_the_methods_using_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = hashes()
    changed(monkeypatch, "lineshape.py", lambda source: source + b"\n# a changed peak\n")
    after = hashes()
    for name in before:
        uses_it = "treatyverify.methods.gamma.lineshape" in names(name)
        assert (after[name] != before[name]) == uses_it, name
    assert after[GAMMA] != before[GAMMA] and after[NEUTRON] == before[NEUTRON]


def test_changing_nuclear_data_changes_the_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    before = hashes()
    changed(monkeypatch, "gamma_lines.yaml", lambda text: text + b"\n# a revised line\n")
    after = hashes()
    assert after[GAMMA] != before[GAMMA]
    assert after[NEUTRON] == before[NEUTRON] and after[BALANCE] == before[BALANCE]


def test_a_new_import_extends_the_closure(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "treatyverify.methods.nucdata.tables" not in names(NEUTRON)
    before = hashes()[NEUTRON]
    changed(
        monkeypatch,
        "attribute.py",
        lambda source: source + b"\ndef _later() -> None:\n    from ..nucdata import tables\n",
    )
    assert "treatyverify.methods.nucdata.tables" in names(NEUTRON)
    assert "treatyverify.methods.nucdata/gamma_lines.yaml" in names(NEUTRON)
    assert hashes()[NEUTRON] != before


def test_relative_and_package_imports_are_resolved() -> None:
    source = (
        b"import numpy\n"
        b"from . import peaks\n"
        b"from ..nucdata import tables\n"
        b"from treatyverify.methods.neutron import constants, attribute as a\n"
        b"from ....outside import x\n"
    )
    found = registry_module._imported(source, "treatyverify.methods.gamma", "probe", "probe")
    assert set(found) == {
        "treatyverify.methods.gamma",
        "treatyverify.methods.gamma.peaks",
        "treatyverify.methods.nucdata",
        "treatyverify.methods.nucdata.tables",
        "treatyverify.methods.neutron",
        "treatyverify.methods.neutron.constants",
        "treatyverify.methods.neutron.attribute",
    }


def test_the_hash_is_the_documented_encoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module_file = tmp_path / "code_hash_probe.py"
    module_file.write_text(
        "import json\n\ndef run(data, method):\n    return {'pass': True}\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    probe = importlib.import_module("code_hash_probe")
    plugin = MethodPlugin("probe", ("x",), frozenset({"pass"}), probe.run)
    assert code_manifest(plugin.entry_modules) == [("module", "code_hash_probe", module_file)]
    parts = [
        (b"function", b"code_hash_probe.run", inspect.getsource(probe.run).encode()),
        (b"module", b"code_hash_probe", module_file.read_bytes()),
    ]
    digest = hashlib.sha256(b"treatyverify/method-code/v1\x00" + (2).to_bytes(8, "big"))
    for part in parts:
        for piece in part:
            digest.update(len(piece).to_bytes(8, "big") + piece)
    assert plugin.code_hash == digest.hexdigest()


def _nothing(data: SensitiveData, method: MethodSpec) -> Mapping[str, OutputValue]:
    return {"pass": True}


def test_an_entry_module_that_cannot_be_found_is_an_input_error() -> None:
    plugin = MethodPlugin(
        "gamma.missing", ("x",), frozenset({"pass"}), _nothing, ("treatyverify.no_such",)
    )
    with pytest.raises(InputError) as caught:
        _ = plugin.code_hash
    assert caught.value.where == "gamma.missing" and "treatyverify.no_such" in caught.value.message
