"""Load and validate treaty specifications from YAML.

Shipped specifications live in ``src/treatyverify/treaties/<id>.yaml`` and are found
through :mod:`importlib.resources`, so they work from a wheel as well as from a
checkout. Every failure is one :class:`~treatyverify.errors.InputError` (usually a
:class:`~treatyverify.errors.SpecError`) whose text names the file and the line or
field, never a traceback.
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from treatyverify.errors import InputError, SpecError, UnknownNameError
from treatyverify.files import load_yaml
from treatyverify.treaty.models import TreatySpec

__all__ = [
    "Loc",
    "format_path",
    "list_treaties",
    "load_treaty",
    "locate",
    "located_where",
    "parse_treaty_yaml",
    "treaty_skeleton",
    "validate_treaty_file",
]

_SUFFIX = ".yaml"


def _shipped_dir() -> Traversable:
    return resources.files("treatyverify") / "treaties"


def list_treaties() -> list[str]:
    """Ids of the shipped treaty specifications, sorted.

    Returns
    -------
    list of str
        E.g. ``["ctbt", "inf", "new-start", ...]``.
    """
    return sorted(
        entry.name[: -len(_SUFFIX)]
        for entry in _shipped_dir().iterdir()
        if entry.name.endswith(_SUFFIX) and entry.is_file()
    )


Loc = tuple[str | int, ...]
"""Keys and list positions leading to a field, as pydantic reports them."""

_MESSAGE_PATH = re.compile(r"^([a-z_][a-z0-9_]*(?:\.(?:[a-z_][a-z0-9_]*|\d+))*): (.+)$", re.S)


def format_path(loc: Loc) -> str:
    """A field path as written in messages: ``limits[1].counts[0]``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Node, yaml.Mark] | None:
    """The value under key or position ``part`` of ``node``, and where it is written."""
    if isinstance(node, yaml.MappingNode):
        found = None
        for key, value in node.value:  # the last of duplicate keys wins, as when loading
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                found = (value, key.start_mark)
        return found
    if (
        isinstance(node, yaml.SequenceNode)
        and isinstance(part, int)
        and 0 <= part < len(node.value)
    ):
        return node.value[part], node.value[part].start_mark
    return None


_TYPE_NAMES = frozenset({"bool", "date", "datetime", "float", "int", "none", "str"})


def _is_tag(node: yaml.MappingNode, part: str) -> bool:
    """Whether ``part``, not a key of ``node``, is a name pydantic gives a member of a
    union: a type (``date``, ``function-after[...]``, a class name) or the value of the
    entry that selects the member (``kind: attribution``)."""
    if part in _TYPE_NAMES or re.fullmatch(r"[a-z_][a-z0-9_]*", part) is None:
        return True
    return any(
        isinstance(value, yaml.ScalarNode) and value.value == part for _, value in node.value
    )


def _walk(root: yaml.Node, loc: Loc) -> tuple[Loc, yaml.Node | None, yaml.Mark]:
    """Follow ``loc`` through the document: the path as the file has it, the node it
    ends at (``None`` past the document) and the mark of the deepest field found.

    A name pydantic adds for a member of a union (``date``, ``bool``) is dropped; a
    missing field stays in the path and the mark is its parent's."""
    node: yaml.Node | None = root
    mark = root.start_mark
    path: list[str | int] = []
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        found = None if node is None else _child(node, part)
        if found is not None:
            node, mark = found
            path.append(part)
        elif (
            node is not None
            and isinstance(part, str)
            and (not isinstance(node, yaml.MappingNode) or (not last and _is_tag(node, part)))
        ):
            continue  # the name of a union member, not a key of the file
        else:
            path.append(part)
            node = None
    return tuple(path), node, mark


def locate(text: str, loc: Loc, message: str) -> tuple[str, int | None, int | None, str]:
    """Where in the YAML ``text`` an error at ``loc`` is, as a person reads the file.

    A model validator names the field it rejects at the start of its message
    (``"limits.0.counts.1: 'foo' is not ..."``); when that field is in the document the
    path is followed further and taken out of the message.

    Parameters
    ----------
    text
        The YAML document, already known to load.
    loc
        The error's location as pydantic gives it.
    message
        The error's message.

    Returns
    -------
    tuple
        ``(path, line, column, message)``: the field path (``limits[1].counts[0]``),
        its 1-based line and column (``None`` if the text does not compose) and the
        message without the path it began with.
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError):
        root = None
    if root is None:
        return format_path(loc), None, None, message
    path, node, mark = _walk(root, tuple(loc))
    match = _MESSAGE_PATH.match(message)
    if match is not None and node is not None:
        parts: Loc = tuple(int(p) if p.isdigit() else p for p in match[1].split("."))
        if _child(node, parts[0]) is not None:
            path, node, mark = _walk(root, path + parts)
            message = match[2]
    return format_path(path), mark.line + 1, mark.column + 1, message


def located_where(name: str, text: str, loc: Loc, message: str) -> tuple[str, str]:
    """``(where, message)`` of an error at ``loc`` of the YAML file ``name``: ``where``
    is ``"name:line:column: path"`` (see :func:`locate`)."""
    path, line, column, message = locate(text, loc, message)
    where = name if line is None else f"{name}:{line}:{column}"
    return (f"{where}: {path}" if path else where), message


def _first_error(exc: ValidationError, name: str, text: str) -> SpecError:
    """One-line :class:`SpecError` from the first error pydantic reports."""
    err = exc.errors(include_url=False)[0]
    message = str(err["msg"]).removeprefix("Value error, ")
    where, message = located_where(name, text, tuple(err["loc"]), message)
    return SpecError(message, where=where)


def parse_treaty_yaml(
    text: str, name: str = "<string>", *, base_dir: Path | None = None
) -> TreatySpec:
    """Parse and validate a treaty specification given as YAML text.

    Parameters
    ----------
    text
        The YAML document.
    name
        File name to use in error messages.
    base_dir
        Folder that relative file names in the document (an instrument's efficiency
        CSV) are read from; the working directory when ``None``.

    Returns
    -------
    TreatySpec
        The validated specification.

    Raises
    ------
    SpecError
        Malformed YAML (naming line and column), a top level that is not a mapping,
        or a field that fails validation (naming the field path).
    """
    try:
        data: Any = load_yaml(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "malformed YAML"
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark is not None else name
        raise SpecError(f"malformed YAML: {problem}", where=where) from None
    except yaml.YAMLError as exc:
        raise SpecError(f"malformed YAML: {exc}", where=name) from None
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        # PyYAML raises these for impossible timestamps and similar scalars.
        raise SpecError(f"malformed YAML value: {exc}", where=name) from None
    if not isinstance(data, dict):
        kind = "empty" if data is None else type(data).__name__
        raise SpecError(f"the top level must be a mapping of fields, not {kind}", where=name)
    try:
        return TreatySpec.model_validate(data, context={"base_dir": base_dir})
    except ValidationError as exc:
        raise _first_error(exc, name, text) from None
    except SpecError as exc:  # raised by a validator, naming its own field
        where = f"{name}: {exc.where}" if exc.where else name
        raise SpecError(exc.message, where=where) from None
    except RecursionError:
        raise SpecError(
            "the document is nested too deeply (recursive aliases?)", where=name
        ) from None


def _read_path(path: Path) -> TreatySpec:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(
            f"cannot read treaty file: {exc.strerror or exc}", where=str(path)
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(f"not UTF-8 text: {exc.reason}", where=path.name) from None
    return parse_treaty_yaml(text, path.name, base_dir=path.parent)


@functools.cache
def _load_shipped(treaty_id: str) -> TreatySpec:
    entry = _shipped_dir() / f"{treaty_id}{_SUFFIX}"
    name = f"{treaty_id}{_SUFFIX}"
    folder = _shipped_dir()
    base_dir = Path(str(folder)) if isinstance(folder, Path) else None
    spec = parse_treaty_yaml(entry.read_text(encoding="utf-8"), name, base_dir=base_dir)
    if spec.id != treaty_id:
        raise SpecError(f"id {spec.id!r} does not match the file name", where=f"{name}: id")
    return spec


def _looks_like_path(name: str) -> bool:
    return "/" in name or "\\" in name or name.endswith((".yaml", ".yml"))


def load_treaty(name_or_path: str | Path) -> TreatySpec:
    """Load a shipped treaty by id, or a specification from a YAML file.

    Parameters
    ----------
    name_or_path
        A shipped id such as ``"new-start"`` (see :func:`list_treaties`), or a
        :class:`~pathlib.Path` or a string containing a path separator or ending in
        ``.yaml``/``.yml``.

    Returns
    -------
    TreatySpec
        The validated specification. Shipped specifications are cached; the
        models are frozen, so the shared object is safe to hand out.

    Raises
    ------
    UnknownNameError
        An id that is not shipped (the message lists the known ids).
    SpecError
        A malformed or invalid specification.
    InputError
        A file that cannot be read.
    """
    if isinstance(name_or_path, Path) or _looks_like_path(name_or_path):
        return _read_path(Path(name_or_path))
    known = list_treaties()
    if name_or_path not in known:
        raise UnknownNameError(
            f"unknown treaty {name_or_path!r}; known treaties: {', '.join(known)}",
            where="treaty",
        )
    return _load_shipped(name_or_path)


def validate_treaty_file(path: str | Path) -> TreatySpec:
    """Validate the specification in the YAML file ``path`` (``treaty validate FILE``).

    Parameters
    ----------
    path
        File to read; always taken as a path, never as a shipped id.

    Returns
    -------
    TreatySpec
        The validated specification.

    Raises
    ------
    SpecError, InputError
        As for :func:`load_treaty`.
    """
    return _read_path(Path(path))


def treaty_skeleton() -> str:
    """A commented specification with every section, each field explained with its
    unit, that validates as written (``treatyverify treaty new``)."""
    return (resources.files("treatyverify.treaty") / "skeleton.yaml").read_text(encoding="utf-8")
