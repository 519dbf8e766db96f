"""Writing output files so that a crash never leaves one half-written."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from treatyverify.errors import InputError

__all__ = ["write_atomically"]


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
