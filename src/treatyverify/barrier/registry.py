"""Method plugins the information barrier may run, by the names treaties use.

A treaty specification names a method (``gamma.pu240-pu239-ratio``) for an item class;
the plugin registered under that name does the work. Each plugin declares the inputs
it reads and the outputs it can compute; the barrier releases only those outputs the
treaty lists in ``reveals``. The code hash of a plugin is the SHA-256 of the source of
the module that defines it, so a release record says exactly which code decided.
"""

from __future__ import annotations

import hashlib
import inspect
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from treatyverify.barrier.sensitive import SensitiveData
from treatyverify.errors import InputError, UnknownNameError
from treatyverify.treaty.models import MethodSpec

__all__ = ["MethodPlugin", "MethodRegistry", "OutputValue"]

OutputValue = bool | int | float | str
"""A released output is one scalar: a decision, a count or a declared figure."""

RunFunction = Callable[[SensitiveData, MethodSpec], Mapping[str, OutputValue]]


@dataclass(frozen=True)
class MethodPlugin:
    """A verification method behind the barrier.

    Attributes
    ----------
    name
        The name treaty specifications use, e.g. ``"gamma.pu240-pu239-ratio"``.
    inputs
        Names of the sensitive inputs the method reads (e.g. ``("spectrum",)``).
    outputs
        Every output name ``run`` returns (e.g. ``{"pass", "ratio"}``).
    run
        ``run(data, method_spec) -> {output: value}``; thresholds come from
        ``method_spec.parameters``, never from defaults in the code.
    """

    name: str
    inputs: tuple[str, ...]
    outputs: frozenset[str]
    run: RunFunction = field(repr=False)

    @cached_property
    def code_hash(self) -> str:
        """Hex SHA-256 of the source of the module that defines ``run``."""
        module = sys.modules.get(self.run.__module__)
        if module is None:
            raise InputError(f"the code of method {self.name} cannot be found", where=self.name)
        source = inspect.getsource(module)
        return hashlib.sha256(source.encode("utf-8")).hexdigest()


class MethodRegistry:
    """Plugins by name."""

    def __init__(self) -> None:
        self._plugins: dict[str, MethodPlugin] = {}

    def register(self, plugin: MethodPlugin) -> MethodPlugin:
        """Add a plugin; a second plugin of the same name is an error."""
        if plugin.name in self._plugins:
            raise InputError(f"method {plugin.name} is registered twice", where=plugin.name)
        if not plugin.outputs:
            raise InputError("a method declares at least one output", where=plugin.name)
        self._plugins[plugin.name] = plugin
        return plugin

    def get(self, name: str) -> MethodPlugin:
        """The plugin called ``name``; UnknownNameError naming the known ones."""
        try:
            return self._plugins[name]
        except KeyError:
            known = ", ".join(sorted(self._plugins)) or "none"
            raise UnknownNameError(
                f"no implementation of method {name!r} (implemented: {known})", where=name
            ) from None

    def names(self) -> list[str]:
        """Registered method names, sorted."""
        return sorted(self._plugins)
