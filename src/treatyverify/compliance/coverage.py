"""Refuse a specification that states a rule nothing checks.

A rule a treaty states is either read by a named compliance rule or library check
(:func:`~treatyverify.compliance.engine.stated_rules`) or the specification is refused,
so that no stated obligation goes silently unchecked: ``treaty validate`` and
``record init`` call :func:`require_every_rule_checked`.
"""

from __future__ import annotations

from pydantic import BaseModel

from treatyverify.compliance.engine import unchecked
from treatyverify.errors import SpecError
from treatyverify.treaty import TreatySpec
from treatyverify.treaty.loader import Loc, located_where

__all__ = ["require_every_rule_checked"]


def _loc(spec: TreatySpec, field: str) -> Loc:
    """The document path of a stated-rule field (``notifications.launch.conditions.x``
    -> ``("notifications", 0, "conditions", "x")``): the item's id becomes its index."""
    section, name, *rest = field.split(".")
    items = getattr(spec, section, ())
    for index, item in enumerate(items):
        if isinstance(item, BaseModel) and name in (
            getattr(item, "id", None),
            getattr(item, "code", None),
        ):
            return (section, index, *rest)
    return (section, name, *rest)


def require_every_rule_checked(spec: TreatySpec, *, name: str, text: str | None) -> None:
    """Raise :class:`SpecError` at the first stated rule that nothing checks.

    Parameters
    ----------
    spec
        The specification.
    name
        Its file name (or treaty id), for the message.
    text
        The YAML text it was parsed from, to give the line and column; ``None``: none.
    """
    missing = unchecked(spec)
    if not missing:
        return
    first = missing[0]
    message = (
        "no compliance rule or library check reads this; the engine does not know it "
        f"({len(missing)} such in {spec.id}; see docs/compliance.md for what is checked)"
    )
    if text is None:
        raise SpecError(message, where=f"{name}: {first.field}")
    where, message = located_where(name, text, _loc(spec, first.field), message)
    raise SpecError(message, where=where)
