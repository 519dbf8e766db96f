"""Method plugins the information barrier may run, by the names treaties use.

A treaty specification names a method (``gamma.pu240-pu239-ratio``) for an item class;
the plugin registered under that name does the work. Each plugin declares the inputs
it reads and the outputs it can compute; the barrier releases only those outputs the
treaty lists in ``reveals``.

Code hash
---------
A release names the code that decided it by :attr:`MethodPlugin.code_hash`, a SHA-256
over everything that computes the method's outputs:

- the source of the plugin's ``run`` function (the adapter between the barrier and
  the physics);
- the source files of the plugin's entry modules (``MethodPlugin.modules``, the
  modules of the physics it calls) and of every ``treatyverify`` module they import,
  transitively. The imports are read from the source with :mod:`ast` (every
  ``import`` and ``from ... import`` statement, wherever it stands, relative ones
  resolved), never by importing; a ``from package import name`` counts the package
  and, when ``name`` is a submodule, the submodule;
- the data files (nuclear data tables and other non-Python files) in the folder of
  every package that holds a module of that closure; subfolders that are not
  packages are not read.

Each part enters the hash framed by its kind (``data``, ``function``, ``module``), its
name (a dotted module name, ``package/file`` for data) and its length, in the sorted
order of kind and name, after the domain string ``treatyverify/method-code/v1``. A change
to any physics module or data table a method uses changes its hash; a change to
another method's physics does not. Third-party libraries (numpy, scipy, ...) are not
covered: their versions belong to the installation, not to treatyverify.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from treatyverify.barrier.sensitive import SensitiveData
from treatyverify.errors import InputError, UnknownNameError
from treatyverify.treaty.models import MethodSpec

__all__ = ["MethodPlugin", "MethodRegistry", "OutputValue", "code_manifest", "read_source"]

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
    modules
        The entry modules of the physics ``run`` calls, as dotted names (for example
        ``("treatyverify.methods.gamma.attributes",)``); the code hash covers them,
        what they import and their packages' data. By default the module that
        defines ``run``.
    """

    name: str
    inputs: tuple[str, ...]
    outputs: frozenset[str]
    run: RunFunction = field(repr=False)
    modules: tuple[str, ...] = ()

    @property
    def entry_modules(self) -> tuple[str, ...]:
        """``modules``, or the module that defines ``run`` when none are declared."""
        return self.modules or (self.run.__module__,)

    @cached_property
    def code_hash(self) -> str:
        """Hex SHA-256 over the code and data that compute the method (see the module
        docstring): ``run``, the closure of its entry modules and their packages' data.
        """
        try:
            function = inspect.getsource(self.run).encode("utf-8")
        except (OSError, TypeError):
            raise InputError(
                f"the source of method {self.name}'s run function cannot be read", where=self.name
            ) from None
        parts = [("function", f"{self.run.__module__}.{self.run.__qualname__}", function)]
        for kind, name, path in code_manifest(self.entry_modules, where=self.name):
            parts.append((kind, name, _read(path, self.name)))
        parts.sort(key=lambda part: (part[0], part[1]))
        digest = hashlib.sha256(_CODE_DOMAIN)
        digest.update(len(parts).to_bytes(8, "big"))
        for kind, name, content in parts:
            for piece in (kind.encode(), name.encode(), content):
                digest.update(len(piece).to_bytes(8, "big") + piece)
        return digest.hexdigest()


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


# Code hash ------------------------------------------------------------------------------

_CODE_DOMAIN = b"treatyverify/method-code/v1\x00"
_PACKAGE = "treatyverify"
_NOT_DATA = frozenset({".py", ".pyc", ".pyo", ".pyi"})
_IMPORTS: dict[bytes, tuple[tuple[int, str | None, tuple[str, ...]], ...]] = {}
"""Import statements by the SHA-256 of a module's source, so each source is parsed once."""


def read_source(path: Path) -> bytes:
    """The bytes of a module's source file or of a data file, for the code hash."""
    return path.read_bytes()


def code_manifest(
    entry_modules: Iterable[str], *, where: str = "modules"
) -> list[tuple[str, str, Path]]:
    """What a code hash covers: ``(kind, name, path)``, sorted by kind and name.

    Parameters
    ----------
    entry_modules
        Dotted module names; the closure follows their imports of ``treatyverify``
        modules (an entry module may lie outside the package, a test's module say).
    where
        Names the plugin in errors.

    Returns
    -------
    list of (str, str, Path)
        ``("module", "treatyverify.methods.gamma.attributes", path)`` for every module
        of the closure and ``("data", "treatyverify.methods.nucdata/gamma_lines.yaml",
        path)`` for every data file in the folder of a package of the closure.

    Raises
    ------
    InputError
        When a module of the closure has no source file, or its source does not parse.
    """
    files: dict[str, tuple[Path, bool]] = {}
    pending = list(entry_modules)
    while pending:
        name = pending.pop()
        if name in files:
            continue
        found = _module_file(name)
        if found is None:
            raise InputError(f"the source of module {name} cannot be found", where=where)
        files[name] = found
        path, is_package = found
        package = name if is_package else name.rpartition(".")[0]
        pending.extend(
            m for m in _imported(_read(path, where), package, name, where) if m not in files
        )
    manifest = [("module", name, path) for name, (path, _) in files.items()]
    folders: dict[str, Path] = {}
    for name, (path, is_package) in files.items():
        package = name if is_package else name.rpartition(".")[0]
        if package:
            folders[package] = path.parent
    for package, folder in folders.items():
        for file in folder.iterdir():
            if file.is_file() and file.suffix not in _NOT_DATA and not file.name.startswith("."):
                manifest.append(("data", f"{package}/{file.name}", file))
    return sorted(manifest, key=lambda item: (item[0], item[1]))


def _read(path: Path, where: str) -> bytes:
    """:func:`read_source`, with an unreadable file an :class:`InputError`."""
    try:
        return read_source(path)
    except OSError as exc:
        raise InputError(
            f"cannot read {path.name} for the code hash: {exc.strerror or exc}", where=where
        ) from None


def _module_file(name: str) -> tuple[Path, bool] | None:
    """The source file of module ``name`` and whether it is a package, or None."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
        return None
    return Path(spec.origin), spec.submodule_search_locations is not None


def _imported(source: bytes, package: str, name: str, where: str) -> list[str]:
    """The ``treatyverify`` modules the import statements of ``source`` name."""
    key = hashlib.sha256(source).digest()
    statements = _IMPORTS.get(key)
    if statements is None:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError):
            raise InputError(f"the source of module {name} does not parse", where=where) from None
        found: list[tuple[int, str | None, tuple[str, ...]]] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found += [(0, alias.name, ()) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                found.append((node.level, node.module, tuple(a.name for a in node.names)))
        statements = _IMPORTS[key] = tuple(found)
    modules: list[str] = []
    for level, module, names in statements:
        if level:
            parts = package.split(".")
            if level - 1 > len(parts) - 1:
                continue  # beyond the top-level package: Python refuses it too
            base = ".".join(parts[: len(parts) - (level - 1)])
            module = f"{base}.{module}" if module else base
        if module is None or not (module == _PACKAGE or module.startswith(_PACKAGE + ".")):
            continue
        modules.append(module)
        for imported in names:  # ``from package import submodule``
            if imported != "*" and _module_file(f"{module}.{imported}") is not None:
                modules.append(f"{module}.{imported}")
    return modules
