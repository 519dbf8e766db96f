"""Load a scenario file: parse, validate against its regime and treaty, point errors at lines.

Every problem is one :class:`~treatyverify.errors.InputError` whose ``where`` names the
file, the line, the column and the field, for example
``dismantlement.yaml:41:5: strategy.hoax_items[0]``.
"""

from __future__ import annotations

import copy
import functools
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from treatyverify.errors import InputError, TreatyVerifyError
from treatyverify.exercise.regime import Regime
from treatyverify.exercise.regimes import get_regime
from treatyverify.exercise.scenario import ScenarioBase, ScenarioError
from treatyverify.files import load_yaml
from treatyverify.treaty import TreatySpec, load_treaty
from treatyverify.treaty.loader import located_where

__all__ = ["LoadedScenario", "load_scenario", "parse_scenario", "shipped_scenarios"]

_SUFFIX = ".yaml"


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario with everything needed to run it.

    Attributes
    ----------
    name
        File name used in messages.
    text
        The scenario file's text (workers re-load from it).
    base
        Folder that relative paths in the scenario (a treaty file) are read from.
    scenario
        The validated scenario.
    spec
        The treaty specification it names.
    regime
        The regime that runs it.
    points
        The sweep points: ``(value, scenario)``; one point ``(None, scenario)`` without
        a sweep.
    """

    name: str
    text: str
    base: Path | None
    scenario: ScenarioBase
    spec: TreatySpec
    regime: Regime = field(repr=False)
    points: tuple[tuple[int | float | str | None, ScenarioBase], ...] = field(repr=False)

    @property
    def digest(self) -> str:
        """Hex SHA-256 of the scenario file's text."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def shipped_scenarios() -> list[str]:
    """Identifiers of the scenarios shipped with treatyverify."""
    folder = resources.files("treatyverify.exercise") / "scenarios"
    return sorted(
        entry.name[: -len(_SUFFIX)] for entry in folder.iterdir() if entry.name.endswith(_SUFFIX)
    )


def load_scenario(name_or_path: str | Path) -> LoadedScenario:
    """Load a shipped scenario by id, or a scenario file by path."""
    text_name = str(name_or_path)
    if isinstance(name_or_path, Path) or text_name.endswith((".yaml", ".yml")) or "/" in text_name:
        path = Path(name_or_path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(
                f"cannot read scenario file: {exc.strerror or exc}", where=str(path)
            ) from None
        except UnicodeDecodeError as exc:
            raise InputError(f"not UTF-8 text: {exc.reason}", where=str(path)) from None
        return parse_scenario(text, name=path.name, base=path.parent)
    known = shipped_scenarios()
    if text_name not in known:
        raise InputError(
            f"no shipped scenario {text_name!r} (shipped: {', '.join(known)}); "
            "give a path to load a file",
            where="scenario",
        )
    entry = resources.files("treatyverify.exercise") / "scenarios" / f"{text_name}{_SUFFIX}"
    return parse_scenario(entry.read_text(encoding="utf-8"), name=f"{text_name}{_SUFFIX}")


@functools.lru_cache(maxsize=16)
def cached_scenario(text: str, name: str, base: str | None) -> LoadedScenario:
    """:func:`parse_scenario`, memoised per process (workers parse each scenario once)."""
    return parse_scenario(text, name=name, base=Path(base) if base is not None else None)


def parse_scenario(
    text: str, *, name: str = "<scenario>", base: Path | None = None
) -> LoadedScenario:
    """Parse and validate a scenario given as YAML text.

    Parameters
    ----------
    text
        The scenario document.
    name
        File name for messages.
    base
        Folder relative treaty paths are read from.
    """
    try:
        document = load_yaml(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark is not None else name
        raise InputError(f"malformed YAML: {exc.problem or exc.context}", where=where) from None
    except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise InputError(f"malformed YAML: {exc}", where=name) from None
    if not isinstance(document, dict):
        raise InputError("a scenario is a mapping of fields", where=name)

    def fail(error: ScenarioError, prefix: str = "") -> InputError:
        where, message = located_where(name, text, error.loc, error.message)
        return InputError(prefix + message, where=where)

    try:
        regime = get_regime(str(document.get("regime", "")))
        scenario, spec = _validate(document, regime, base)
    except ScenarioError as error:
        raise fail(error) from None
    points: list[tuple[int | float | str | None, ScenarioBase]] = []
    if scenario.sweep is None:
        points.append((None, scenario))
    else:
        for index, value in enumerate(scenario.sweep.values):
            try:
                changed = _with_value(document, scenario.sweep.parameter, value)
            except ScenarioError as error:
                raise fail(error) from None
            try:
                point, _ = _validate(changed, regime, base, spec=spec)
            except ScenarioError as error:
                located = ScenarioError(error.message, loc=("sweep", "values", index))
                raise fail(located, f"with {scenario.sweep.parameter} = {value}: ") from None
            points.append((value, point))
    return LoadedScenario(name, text, base, scenario, spec, regime, tuple(points))


def _validate(
    document: Mapping[str, Any],
    regime: Regime,
    base: Path | None,
    *,
    spec: TreatySpec | None = None,
) -> tuple[ScenarioBase, TreatySpec]:
    """Validate one scenario document (one sweep point) against its regime and treaty."""
    strategy = document.get("strategy")
    kind = strategy.get("kind") if isinstance(strategy, dict) else None
    if isinstance(kind, str) and kind not in regime.strategies:
        raise ScenarioError(
            f"the {regime.name} regime cannot express the strategy {kind!r} "
            f"(it runs: {', '.join(sorted(regime.strategies))})",
            loc=("strategy", "kind"),
        )
    try:
        scenario = regime.model.model_validate(document)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        message = str(error["msg"]).removeprefix("Value error, ")
        loc = tuple(error["loc"])
        if len(loc) > 1 and loc[0] == "strategy" and loc[1] == kind:
            loc = loc[:1] + loc[2:]  # pydantic names the union member; the file does not
        raise ScenarioError(message, loc=loc) from None
    if spec is None:
        spec = _treaty(scenario.treaty, base)
    _check_common(scenario, spec)
    regime.check(scenario, spec)
    return scenario, spec


def _treaty(name: str, base: Path | None) -> TreatySpec:
    target: str | Path = name
    if base is not None and name.endswith((".yaml", ".yml")) and not Path(name).is_absolute():
        target = base / name
    try:
        return load_treaty(target)
    except TreatyVerifyError as exc:
        raise ScenarioError(f"treaty: {exc}", loc=("treaty",)) from None


def _check_common(scenario: ScenarioBase, spec: TreatySpec) -> None:
    parties = {party.id for party in spec.parties}
    if scenario.host not in parties:
        raise ScenarioError(
            f"{scenario.host!r} is not a party of {spec.id} "
            f"(parties: {', '.join(sorted(parties))})",
            loc=("host",),
        )
    for index, inspector in enumerate(scenario.inspectors):
        if inspector not in parties:
            raise ScenarioError(
                f"{inspector!r} is not a party of {spec.id} "
                f"(parties: {', '.join(sorted(parties))})",
                loc=("inspectors", index),
            )
        if inspector == scenario.host:
            raise ScenarioError("the host does not inspect itself", loc=("inspectors", index))
    known = {method.id for method in spec.methods}
    for index, method in enumerate(scenario.inspector.methods):
        if method not in known:
            raise ScenarioError(
                f"{spec.id} lists no method {method!r} "
                f"(methods: {', '.join(sorted(known)) or 'none'})",
                loc=("inspector", "methods", index),
            )


def _with_value(document: Mapping[str, Any], parameter: str, value: object) -> dict[str, Any]:
    """A copy of ``document`` with the field at dotted ``parameter`` set to ``value``."""
    changed = copy.deepcopy(dict(document))
    parts: list[str | int] = [int(p) if p.isdigit() else p for p in parameter.split(".")]
    node: Any = changed
    for depth, part in enumerate(parts[:-1]):
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            loc = ("sweep", "parameter")
            shown = ".".join(str(p) for p in parts[: depth + 1])
            raise ScenarioError(f"the scenario has no field {shown}", loc=loc) from None
    last = parts[-1]
    in_list = isinstance(node, list) and isinstance(last, int) and 0 <= last < len(node)
    if isinstance(node, dict) or in_list:
        node[last] = value
    else:
        raise ScenarioError(f"the scenario has no field {parameter}", loc=("sweep", "parameter"))
    return changed
