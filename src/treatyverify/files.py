"""Reading input files with one clear error, and writing output files so that a crash
never leaves one half-written."""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import json
import math
import os
import re
import secrets
import shutil
import socket
import stat
import tempfile
from collections.abc import Iterable, Iterator, Sequence
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
    "check_output_dir",
    "check_output_folder",
    "foreign_entries",
    "is_staging_name",
    "load_yaml",
    "move_into_place",
    "owner_tag",
    "parse_json",
    "process_gone",
    "publish_folder",
    "read_json",
    "read_text",
    "remove_stale_staging",
    "staging_folder",
    "sync_folder",
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


def write_atomically(
    path: str | Path, data: bytes, *, mode: int = 0o644, replace: bool = True
) -> Path:
    """Write ``data`` to ``path`` through a synced temporary file in the same folder.

    The temporary file is moved into place (:func:`os.replace`, or a hard link when
    ``replace`` is false), so readers see the old file or the whole new one, never part
    of it; the folder is synced after the move, and the temporary file is removed on any
    failure. Temporary files that killed runs left beside ``path`` are removed first.

    Parameters
    ----------
    path
        The file to write.
    data
        Its whole content.
    mode
        Permission bits of the file (``0o600`` for a key or a secret).
    replace
        False for a file that must never replace another (a private key, a draw
        secret): the move fails if ``path`` exists by then.

    Raises
    ------
    InputError
        The folder does not exist, the path is a folder, it exists and ``replace`` is
        false, or the write fails; ``where`` is the path.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise InputError("the output folder does not exist", where=str(target))
    if target.is_dir():
        raise InputError("the output path is a folder", where=str(target))
    if target.exists() and not target.is_file():
        raise InputError("not a regular file; refusing to write to it", where=str(target))
    remove_stale_staging(target)
    temporary: str | None = None
    try:
        descriptor, temporary = tempfile.mkstemp(
            dir=folder, prefix=f".{target.name}.{_owner_tag()}.", suffix=".tmp"
        )
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)  # mkstemp creates 0600
        move_into_place(Path(temporary), target, replace=replace)
        temporary = None
    except FileExistsError:
        raise InputError(_EXISTS, where=str(target)) from None
    except OSError as exc:
        raise InputError(
            f"cannot write the file ({exc.strerror or exc})", where=str(target)
        ) from None
    finally:
        if temporary is not None and os.path.lexists(temporary):
            os.unlink(temporary)
    return target


_EXISTS = "the file exists; refusing to replace it"


def move_into_place(source: Path, target: Path, *, replace: bool) -> None:
    """Move the file ``source`` to ``target`` (same file system) in one step and sync
    the folder; OSError as the system reports it.

    Without ``replace`` the move is a hard link, which fails with FileExistsError if
    ``target`` exists however late it appeared; on a file system without hard links,
    a rename after a last look.
    """
    if replace:
        os.replace(source, target)
    else:
        try:
            os.link(source, target, follow_symlinks=False)
        except FileExistsError:
            raise
        except OSError:  # no hard links here (some network and FAT file systems)
            if os.path.lexists(target):
                raise FileExistsError(target) from None
            os.replace(source, target)
        else:
            os.unlink(source)
    sync_folder(target.parent)


def sync_folder(folder: str | Path) -> None:
    """Flush a folder's entries to disk so that a file moved into it survives a crash
    (best effort: some file systems cannot sync a folder)."""
    try:
        descriptor = os.open(folder if str(folder) else ".", os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


# Staging: what a run writes before it is complete -----------------------------------
#
# A temporary file or folder is named after its target, the machine and the process
# that made it: ``.<target>.<host>-<pid>.<random>.tmp`` (a file being written),
# ``.partial`` (a folder being filled) or ``.old`` (an earlier folder being replaced).
# A run removes them when it ends, even on an error, Ctrl-C or SIGTERM; only SIGKILL
# or a crash leaves them, and the next write to the same target removes those whose
# process is gone.

_STAGING = re.compile(
    r"\.(?P<target>.+)\.(?P<host>[0-9a-f]{8})-(?P<pid>[0-9]{1,10})\.[A-Za-z0-9_]+"
    r"\.(?P<role>tmp|partial|old)"
)


def _host_tag() -> str:
    return hashlib.sha256(socket.gethostname().encode("utf-8")).hexdigest()[:8]


def _owner_tag() -> str:
    """``<host>-<pid>``: the machine (a hash of its name) and this process."""
    return f"{_host_tag()}-{os.getpid()}"


def owner_tag() -> str:
    """``<host>-<pid>`` of this process, as staging names carry it (see
    :func:`process_gone`)."""
    return _owner_tag()


def process_gone(host: str, pid: int) -> bool:
    """True only when process ``pid`` of the machine tagged ``host`` (as in
    :func:`owner_tag`) is of this machine and no longer exists."""
    return _process_gone(host, pid)


def is_staging_name(name: str) -> bool:
    """Whether ``name`` is that of a temporary file or staging folder of this module."""
    return _STAGING.fullmatch(name) is not None


def _process_gone(host: str, pid: int) -> bool:
    """True only when the process ``pid`` of this machine no longer exists."""
    if host != _host_tag() or pid == os.getpid() or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # it exists (another user's) or cannot be asked about
        return False
    return False


def remove_stale_staging(target: str | Path) -> list[Path]:
    """Remove what killed runs left beside ``target``: its temporary files and staging
    folders made on this machine by a process that no longer exists, owned by this
    user. Anything else is left alone. Returns the paths removed."""
    path = Path(target)
    folder = path.parent if str(path.parent) else Path(".")
    prefix = f".{path.name}."
    removed: list[Path] = []
    try:
        entries = [e for e in os.scandir(folder) if e.name.startswith(prefix)]
    except OSError:
        return removed
    for entry in entries:
        match = _STAGING.fullmatch(entry.name)
        if match is None or match["target"] != path.name:
            continue
        if not _process_gone(match["host"], int(match["pid"])):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            if info.st_uid != os.getuid():
                continue
            if match["role"] == "tmp" and stat.S_ISREG(info.st_mode):
                os.unlink(entry.path)
            elif match["role"] != "tmp" and stat.S_ISDIR(info.st_mode):
                shutil.rmtree(entry.path)
            else:
                continue
        except OSError:
            continue
        removed.append(Path(entry.path))
    return removed


@contextlib.contextmanager
def staging_folder(target: str | Path, *, mode: int = 0o777) -> Iterator[Path]:
    """A new hidden folder beside ``target`` to build it in, removed when the block
    ends unless it has been moved into place (:func:`publish_folder`).

    Stale staging of ``target`` that killed runs left is removed first. ``mode`` is
    the new folder's permission bits (less the umask): ``0o700`` for key files.
    """
    path = Path(target)
    folder = path.parent if str(path.parent) else Path(".")
    remove_stale_staging(path)
    staging = folder / f".{path.name}.{_owner_tag()}.{secrets.token_hex(6)}.partial"
    staging.mkdir(mode=mode)
    try:
        yield staging
    finally:
        if os.path.lexists(staging):
            shutil.rmtree(staging, ignore_errors=True)


def publish_folder(staging: Path, target: Path) -> None:
    """Move the folder ``staging`` to ``target``, replacing the folder there (checked
    by the caller): the old folder is first moved aside, then removed."""
    if not os.path.lexists(target):
        os.replace(staging, target)
        sync_folder(target.parent)
        return
    trash = target.parent / f".{target.name}.{_owner_tag()}.{secrets.token_hex(6)}.old"
    trash.mkdir(mode=0o700)
    try:
        os.replace(target, trash / "old")
        os.replace(staging, target)
        sync_folder(target.parent)
    finally:
        shutil.rmtree(trash, ignore_errors=True)


# Output folders ------------------------------------------------------------------------


def foreign_entries(folder: Path, layout: Iterable[str]) -> list[str]:
    """Paths under ``folder`` (relative, with ``/``) that ``layout`` does not describe.

    ``layout`` holds the relative paths of the files an output folder may hold, each
    part a glob pattern (``figures/*.png``); a folder is described when a pattern runs
    through it. Symbolic links, devices and FIFOs are never described, and the
    temporary files and staging folders of this module are always (they are ours).
    """
    patterns = [tuple(p.split("/")) for p in layout]
    foreign: list[str] = []

    def walk(here: Path, parts: tuple[str, ...]) -> None:
        for entry in sorted(os.scandir(here), key=lambda e: e.name):
            relative = (*parts, entry.name)
            name = "/".join(relative)
            if is_staging_name(entry.name):
                continue
            if entry.is_dir(follow_symlinks=False):
                deeper = [p for p in patterns if len(p) > len(relative) and _matches(relative, p)]
                if deeper:
                    walk(Path(entry.path), relative)
                else:
                    foreign.append(name + "/")
            elif not entry.is_file(follow_symlinks=False) or not any(
                len(p) == len(relative) and _matches(relative, p) for p in patterns
            ):
                foreign.append(name)

    walk(folder, ())
    return foreign


def _matches(parts: tuple[str, ...], pattern: tuple[str, ...]) -> bool:
    return all(fnmatch.fnmatchcase(p, q) for p, q in zip(parts, pattern, strict=False))


def check_output_dir(path: str | Path) -> Path:
    """A folder that files are to be written into: one already, or one that can be made
    (its nearest existing parent is a folder); InputError naming it otherwise."""
    target = Path(path)
    try:
        if target.exists() or target.is_symlink():
            if not target.is_dir():
                raise InputError("not a folder", where=str(target))
            return target
        ancestor = next(p for p in target.absolute().parents if p.exists())
        if not ancestor.is_dir():
            raise InputError(f"cannot make the folder: {ancestor} is a file", where=str(target))
    except OSError as exc:
        raise InputError(f"unusable path ({exc.strerror or exc})", where=str(target)) from None
    return target


def check_output_folder(
    path: str | Path,
    *,
    marker: str,
    layout: Iterable[str],
    what: str,
    protected: Sequence[str | Path] = (),
) -> Path:
    """Refuse a folder output that would destroy something; InputError naming it.

    The folder may be new, empty, or one this kind of output wrote earlier: it holds
    ``marker`` and nothing that ``layout`` does not describe (see
    :func:`foreign_entries`). Never a file, a symbolic link or another non-folder, a
    folder that holds one of the ``protected`` paths (the ledger), or one that holds
    the current folder. ``what`` names the output in messages ("an exercise report").
    """
    target = Path(path)
    try:
        if target.is_symlink():
            raise InputError("a symbolic link; refusing to replace it", where=str(target))
        if not target.exists():
            return check_output_dir(target)
        if not target.is_dir():
            raise InputError("not a folder; refusing to replace it", where=str(target))
        resolved = target.resolve()
        if Path.cwd().resolve().is_relative_to(resolved):
            raise InputError("holds the current folder; refusing to replace it", where=str(target))
        for other in protected:
            if Path(other).exists() and Path(other).resolve().is_relative_to(resolved):
                raise InputError("holds the ledger; refusing to replace it", where=str(target))
        if not any(target.iterdir()):
            return target
        if not (target / marker).is_file():
            raise InputError(
                f"the folder holds files and is not {what}; choose another folder",
                where=str(target),
            )
        foreign = foreign_entries(target, [*layout, marker])
    except OSError as exc:
        raise InputError(f"unusable path ({exc.strerror or exc})", where=str(target)) from None
    if foreign:
        shown = ", ".join(foreign[:3]) + (
            f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        )
        raise InputError(
            f"the folder holds files that {what} does not ({shown}); move them or choose "
            "another folder",
            where=str(target),
        )
    return target
