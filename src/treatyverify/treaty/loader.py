"""Load and validate treaty specifications from YAML.

Shipped specifications live in ``src/treatyverify/treaties/<id>.yaml`` and are found
through :mod:`importlib.resources`, so they work from a wheel as well as from a
checkout. Every failure is one :class:`~treatyverify.errors.InputError` (usually a
:class:`~treatyverify.errors.SpecError`) whose text names the file and the line or
field, never a traceback.
"""

from __future__ import annotations

import functools
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from treatyverify.errors import InputError, SpecError, UnknownNameError
from treatyverify.files import load_yaml
from treatyverify.treaty.models import TreatySpec

__all__ = ["list_treaties", "load_treaty", "parse_treaty_yaml", "validate_treaty_file"]

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


def _format_loc(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc)


def _first_error(exc: ValidationError, name: str) -> SpecError:
    """One-line :class:`SpecError` from the first error pydantic reports."""
    err = exc.errors(include_url=False)[0]
    message = str(err["msg"])
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    loc = _format_loc(tuple(err["loc"]))
    return SpecError(message, where=f"{name}: {loc}" if loc else name)


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
        raise _first_error(exc, name) from None
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
