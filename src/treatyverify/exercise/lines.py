"""Line numbers of the fields of a YAML document, to point errors at the scenario file."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import yaml

__all__ = ["Path", "field_lines", "line_of"]

Path = tuple[str | int, ...]


def field_lines(text: str) -> dict[Path, int]:
    """Map each field path (keys and list positions) of ``text`` to its 1-based line.

    Parameters
    ----------
    text
        A YAML document (already known to parse).
    """
    lines: dict[Path, int] = {}
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if root is None:
        return lines
    lines[()] = root.start_mark.line + 1
    pending: list[tuple[Path, yaml.Node]] = [((), root)]
    while pending:
        path, node = pending.pop()
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                child = (*path, str(key.value))
                lines[child] = key.start_mark.line + 1
                pending.append((child, value))
        elif isinstance(node, yaml.SequenceNode):
            for index, value in enumerate(node.value):
                child = (*path, index)
                lines[child] = value.start_mark.line + 1
                pending.append((child, value))
    return lines


def line_of(lines: Mapping[Path, int], loc: Sequence[str | int]) -> int | None:
    """The line of the longest prefix of ``loc`` that the document has, if any."""
    path = tuple(loc)
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get(())
