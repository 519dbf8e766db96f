"""Reading input files with one clear error, and writing output files so that a crash
never leaves one half-written."""

from __future__ import annotations

import json
import math
import os
import re
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from treatyverify.errors import InputError

__all__ = [
    "MAX_INPUT_BYTES",
    "MAX_JSON_DEPTH",
    "MAX_YAML_DEPTH",
    "MAX_YAML_NODES",
    "YAMLLimitError",
    "check_output",
    "load_yaml",
    "parse_json",
    "read_json",
    "read_text",
    "write_atomically",
]

MAX_INPUT_BYTES = 256 * 1024 * 1024
"""Largest text or JSON input file read whole (bytes)."""
MAX_JSON_DEPTH = 200
"""Deepest nesting of arrays and objects accepted in a JSON input."""
MAX_YAML_DEPTH = 100
"""Deepest nesting of sequences and mappings accepted in a YAML input."""
MAX_YAML_NODES = 1_000_000
"""Most nodes a YAML document may hold once its aliases are expanded: a few lines of
anchors and aliases can otherwise stand for billions of nodes (the "billion laughs")."""


class YAMLLimitError(yaml.YAMLError):
    """A YAML document nested too deeply or too large once its aliases are expanded."""


def load_yaml(text: str) -> Any:
    """Like ``yaml.safe_load``, refusing, before any Python object is built, a document
    nested more than :data:`MAX_YAML_DEPTH` deep or of more than
    :data:`MAX_YAML_NODES` nodes with its aliases expanded. Every problem is a
    ``yaml.YAMLError`` (``YAMLLimitError`` for the limits), which callers report."""
    loader = yaml.SafeLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:
            raise YAMLLimitError(f"nested more than {MAX_YAML_DEPTH} deep") from None
        if node is None:
            return None
        _expanded_size(node, 0, {})
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _expanded_size(node: yaml.Node, depth: int, sizes: dict[int, int]) -> int:
    """Nodes under ``node`` with aliases expanded (each shared node counted per use)."""
    if depth > MAX_YAML_DEPTH:
        raise YAMLLimitError(f"nested more than {MAX_YAML_DEPTH} deep")
    known = sizes.get(id(node))
    if known is not None:
        return known
    size = 1
    if isinstance(node, yaml.SequenceNode):
        size += sum(_expanded_size(child, depth + 1, sizes) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            size += _expanded_size(key, depth + 1, sizes)
            size += _expanded_size(value, depth + 1, sizes)
    if size > MAX_YAML_NODES:
        raise YAMLLimitError(f"more than {MAX_YAML_NODES} nodes once its aliases are expanded")
    sizes[id(node)] = size
    return size


def read_text(path: str | Path) -> str:
    """The UTF-8 text of ``path``; InputError naming the path for a missing file, a
    folder or another non-regular file, one too large, or bytes that are not UTF-8."""
    target = Path(path)
    try:
        if not target.is_file():
            what = "no such file" if not target.exists() else "not a regular file"
            raise InputError(what, where=str(target))
        if target.stat().st_size > MAX_INPUT_BYTES:
            raise InputError(f"larger than {MAX_INPUT_BYTES} bytes", where=str(target))
        return target.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", where=str(target)) from None
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "unusable path"
        raise InputError(f"cannot read: {reason}", where=str(target)) from None


def parse_json(text: str, *, where: str) -> Any:
    """Parse JSON text strictly: no NaN or Infinity, no number that overflows a float,
    nesting at most :data:`MAX_JSON_DEPTH` deep; InputError naming ``where``."""
    _check_depth(text, where)

    def finite(literal: str) -> float:
        value = float(literal)
        if not math.isfinite(value):  # the literal is not echoed: it may be a measurement
            raise InputError("a number is out of range", where=where)
        return value

    def refuse(literal: str) -> Any:
        raise InputError(f"{literal} is not a JSON number", where=where)

    try:
        return json.loads(text, parse_float=finite, parse_constant=refuse)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg} (line {exc.lineno})", where=where) from None
    except ValueError:  # an integer literal past Python's digit limit
        raise InputError("a number is out of range", where=where) from None


def read_json(path: str | Path) -> Any:
    """:func:`read_text` then :func:`parse_json`, errors naming the path."""
    return parse_json(read_text(path), where=str(path))


def _check_depth(text: str, where: str) -> None:
    """Refuse nesting deeper than :data:`MAX_JSON_DEPTH` before the parser recurses."""
    depth = 0
    for match in _BRACKETS.finditer(_STRINGS.sub("", text)):
        depth += 1 if match.group() in "[{" else -1
        if depth > MAX_JSON_DEPTH:
            raise InputError(f"nested more than {MAX_JSON_DEPTH} deep", where=where)


_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(r"[\[\]{}]")


def check_output(
    path: str | Path, *, force: bool = False, protected: Sequence[str | Path] = ()
) -> Path:
    """Refuse an output path that would destroy something: an existing file unless
    ``force``; never a folder or another non-regular file (a device, a FIFO), a file
    readable by its owner only (private keys and draw secrets are written so), or any
    of the ``protected`` paths (the ledger); InputError naming the path."""
    target = Path(path)
    try:
        exists = target.exists() or target.is_symlink()
        if not exists:
            return target
        if not target.is_file():
            raise InputError("not a regular file; refusing to write to it", where=str(target))
        if stat.S_IMODE(target.stat().st_mode) & 0o077 == 0:
            raise InputError(
                "an owner-only file (a key or a secret); refusing to write over it",
                where=str(target),
            )
        for other in protected:
            if Path(other).exists() and target.samefile(other):
                raise InputError("this is the ledger; refusing to write over it", where=str(target))
    except OSError as exc:
        raise InputError(f"unusable path ({exc.strerror or exc})", where=str(target)) from None
    if not force:
        raise InputError("the file exists; give --force to replace it", where=str(target))
    return target


def write_atomically(path: str | Path, data: bytes, *, mode: int = 0o644) -> Path:
    """Write ``data`` to ``path`` through a synced temporary file in the same folder.

    The temporary file is moved into place with :func:`os.replace`, so readers see the
    old file or the whole new one, never part of it; on any failure it is removed.

    Raises
    ------
    InputError
        The folder does not exist, the path is a folder, or the write fails; ``where``
        is the path.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise InputError("the output folder does not exist", where=str(target))
    if target.is_dir():
        raise InputError("the output path is a folder", where=str(target))
    if target.exists() and not target.is_file():
        raise InputError("not a regular file; refusing to write to it", where=str(target))
    temporary: str | None = None
    try:
        descriptor, temporary = tempfile.mkstemp(
            dir=folder, prefix=f".{target.name}.", suffix=".tmp"
        )
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)  # mkstemp creates 0600
        os.replace(temporary, target)
        temporary = None
    except OSError as exc:
        raise InputError(
            f"cannot write the file ({exc.strerror or exc})", where=str(target)
        ) from None
    finally:
        if temporary is not None and os.path.exists(temporary):
            os.unlink(temporary)
    return target
