"""Roll-forward of holdings: a baseline declaration plus a stream of notices.

Baseline (and item-level periodic declaration), JSON::

    {"ref": "ru-2026-01", "party": "ru", "as_of": "2026-01-01T00:00:00Z",
     "items": [{"item": "icbm-0001", "item_class": "deployed-icbm", "facility": "base-1"},
               ...]}

A periodic declaration may instead give counts, in the form of
:mod:`treatyverify.exchange.declarations` (``"holdings": [{"item_class", "site",
"count"}]``, with ``as_of`` a date or a UTC time); it is then compared by counts per
class and facility.

Notices are bodies ``{"ref", "code", "event_time", "fields"}`` as in
:mod:`treatyverify.notifications.notices`. The notice *action* is found from its code
through ``actions`` (by default each action's own name is its code, see
:data:`DEFAULT_ACTIONS`); notices of other codes (launches, ...) are ignored. Fields:

============  =============================================  ================================
action        required fields                                effect
============  =============================================  ================================
movement      ``item``, ``from_facility``, ``to_facility``   item moves (must be at ``from``)
conversion    ``item``, ``new_class``                        item changes class
elimination   ``item`` (``facility`` optional, checked)      item is removed
new-item      ``item``, ``item_class``, ``facility``         item is added (must be new)
============  =============================================  ================================

Notices are applied in order of ``event_time`` (ties in stream order); notices whose
event time is not after the baseline's ``as_of`` are already in it and are skipped,
and with ``until`` only notices up to that time are applied. An unknown item, an item
not at ``from_facility``, an item already held (``new-item``), a duplicate notice ref,
a missing or non-text field or a bad time raises :class:`~treatyverify.errors.InputError`
naming the notice and field; the function is pure, so nothing is partially applied.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from treatyverify.errors import InputError, UnknownNameError
from treatyverify.notifications.deadlines import parse_utc
from treatyverify.records.ledger import format_time

__all__ = [
    "ACTIONS",
    "DEFAULT_ACTIONS",
    "Baseline",
    "CountDeclaration",
    "Holdings",
    "parse_declaration",
    "rollforward",
]

ACTIONS = ("movement", "conversion", "elimination", "new-item")
DEFAULT_ACTIONS: dict[str, str] = {action: action for action in ACTIONS}
"""Notification code -> roll-forward action, when a treaty uses the action names."""

_REQUIRED: dict[str, tuple[str, ...]] = {
    "movement": ("item", "from_facility", "to_facility"),
    "conversion": ("item", "new_class"),
    "elimination": ("item",),
    "new-item": ("item", "item_class", "facility"),
}


@dataclass(frozen=True)
class Baseline:
    """Item-level holdings declared as of one time.

    Attributes
    ----------
    ref, party
        Declaration reference and declaring party.
    as_of
        Time the holdings hold for (UTC).
    items
        Item id -> (item class, facility).
    """

    ref: str
    party: str
    as_of: datetime
    items: dict[str, tuple[str, str]]


@dataclass(frozen=True)
class CountDeclaration:
    """Counts per (item class, facility) declared as of one time (UTC)."""

    ref: str
    party: str
    as_of: datetime
    counts: dict[tuple[str, str], int]


@dataclass
class Holdings:
    """Holdings rolled forward from a baseline.

    Attributes
    ----------
    baseline
        The baseline.
    until
        Latest event time applied (UTC), or ``None`` for all.
    items
        Item id -> (item class, facility), now.
    eliminated
        Item id -> ref of the notice that eliminated it.
    touched
        Item id -> refs of the notices that changed it since the baseline.
    facility_touched
        Facility -> refs of the notices that moved items in or out, or changed or
        eliminated an item there.
    applied, skipped, ignored
        Refs applied; refs skipped as already in the baseline (or after ``until``);
        refs of codes that are not holdings notices.
    """

    baseline: Baseline
    until: datetime | None
    items: dict[str, tuple[str, str]]
    eliminated: dict[str, str] = field(default_factory=dict)
    touched: dict[str, list[str]] = field(default_factory=dict)
    facility_touched: dict[str, list[str]] = field(default_factory=dict)
    applied: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    def counts(self) -> dict[tuple[str, str], int]:
        """Number of items per (item class, facility)."""
        counts: dict[tuple[str, str], int] = {}
        for key in self.items.values():
            counts[key] = counts.get(key, 0) + 1
        return counts

    def by_facility(self) -> dict[str, dict[str, int]]:
        """Facility -> item class -> count, sorted."""
        table: dict[str, dict[str, int]] = {}
        for (item_class, facility), count in sorted(self.counts().items()):
            table.setdefault(facility, {})[item_class] = count
        return dict(sorted(table.items()))

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "baseline": self.baseline.ref,
            "party": self.baseline.party,
            "as_of": format_time(self.baseline.as_of),
            "until": None if self.until is None else format_time(self.until),
            "items": len(self.items),
            "holdings": self.by_facility(),
            "eliminated": len(self.eliminated),
            "applied": len(self.applied),
            "skipped": len(self.skipped),
            "ignored": len(self.ignored),
        }


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise InputError("must be non-empty text", where=where)
    return value


def _as_of(value: Any, where: str) -> datetime:
    if isinstance(value, str) and len(value) == 10:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise InputError(f"not an ISO 8601 date: {value!r}", where=where) from None
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    return parse_utc(value, where=where)


def parse_declaration(
    document: Any, *, where: str, item_classes: Collection[str] | None = None
) -> Baseline | CountDeclaration:
    """Validate a baseline or periodic declaration (see the module doc).

    Parameters
    ----------
    document
        The parsed JSON.
    where
        File name or label for error messages.
    item_classes
        The treaty's item-class ids, to check classes against (not checked if None).

    Raises
    ------
    InputError
        A missing or malformed field, a duplicate item, an unknown item class.
    """
    if not isinstance(document, Mapping):
        raise InputError("a declaration is a JSON object", where=where)
    ref = _text(document.get("ref"), f"{where}: ref")
    party = _text(document.get("party"), f"{where}: party")
    as_of = _as_of(document.get("as_of"), f"{where}: as_of")

    def check_class(value: Any, at: str) -> str:
        name = _text(value, at)
        if item_classes is not None and name not in item_classes:
            raise UnknownNameError(
                f"unknown item class {name!r}; item classes: {', '.join(sorted(item_classes))}",
                where=at,
            )
        return name

    if "items" in document and "holdings" not in document:
        rows = document["items"]
        if not isinstance(rows, list):
            raise InputError("'items' is a list", where=f"{where}: items")
        items: dict[str, tuple[str, str]] = {}
        for i, row in enumerate(rows):
            at = f"{where}: items[{i}]"
            if not isinstance(row, Mapping):
                raise InputError("an item is an object", where=at)
            item = _text(row.get("item"), f"{at}.item")
            if item in items:
                raise InputError(f"duplicate item {item!r}", where=f"{at}.item")
            items[item] = (
                check_class(row.get("item_class"), f"{at}.item_class"),
                _text(row.get("facility"), f"{at}.facility"),
            )
        return Baseline(ref, party, as_of, items)
    if "holdings" in document and "items" not in document:
        rows = document["holdings"]
        if not isinstance(rows, list):
            raise InputError("'holdings' is a list", where=f"{where}: holdings")
        counts: dict[tuple[str, str], int] = {}
        for i, row in enumerate(rows):
            at = f"{where}: holdings[{i}]"
            if not isinstance(row, Mapping):
                raise InputError("a holding is an object", where=at)
            key = (
                check_class(row.get("item_class"), f"{at}.item_class"),
                _text(row.get("site"), f"{at}.site"),
            )
            count = row.get("count")
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise InputError("count is a whole number >= 0", where=f"{at}.count")
            counts[key] = counts.get(key, 0) + count
        return CountDeclaration(ref, party, as_of, counts)
    raise InputError("a declaration has either 'items' or 'holdings'", where=where)


def rollforward(
    baseline: Baseline,
    notices: Iterable[Mapping[str, Any]],
    *,
    actions: Mapping[str, str] | None = None,
    until: datetime | None = None,
    item_classes: Collection[str] | None = None,
) -> Holdings:
    """Apply ``notices`` to ``baseline``; see the module doc for the fields.

    Parameters
    ----------
    baseline
        Item-level holdings at ``baseline.as_of``.
    notices
        Notice bodies ``{"ref", "code", "event_time", "fields"}``, any order.
    actions
        Notification code -> action (``movement``, ``conversion``, ``elimination``,
        ``new-item``); :data:`DEFAULT_ACTIONS` by default.
    until
        Apply only notices with event time at or before this (UTC).
    item_classes
        The treaty's item-class ids, to check ``new_class`` and ``item_class``.

    Returns
    -------
    Holdings
        A new object; ``baseline`` is not changed.
    """
    mapping = DEFAULT_ACTIONS if actions is None else dict(actions)
    bad = sorted(set(mapping.values()) - set(ACTIONS))
    if bad:
        raise InputError(f"unknown roll-forward action {bad[0]!r}; actions: {', '.join(ACTIONS)}")
    holdings = Holdings(baseline, until, dict(baseline.items))
    seen: set[str] = set()
    queue: list[tuple[datetime, int, str, str, Mapping[str, Any]]] = []
    for index, notice in enumerate(notices):
        ref = notice.get("ref")
        if not isinstance(ref, str) or not ref:
            raise InputError("a notice needs a non-empty ref", where=f"notice #{index}: ref")
        if ref in seen:
            raise InputError("duplicate notice ref", where=f"notice {ref}: ref")
        seen.add(ref)
        code = notice.get("code")
        action = mapping.get(code) if isinstance(code, str) else None
        if action is None:
            holdings.ignored.append(ref)
            continue
        when = parse_utc(notice.get("event_time"), where=f"notice {ref}: event_time")
        if when <= baseline.as_of or (until is not None and when > until):
            holdings.skipped.append(ref)
            continue
        fields = notice.get("fields")
        if not isinstance(fields, Mapping):
            raise InputError("fields must be an object", where=f"notice {ref}: fields")
        queue.append((when, index, ref, action, fields))
    queue.sort(key=lambda entry: (entry[0], entry[1]))
    for _when, _index, ref, action, fields in queue:
        _apply(holdings, ref, action, fields, item_classes)
    return holdings


def _apply(
    holdings: Holdings,
    ref: str,
    action: str,
    fields: Mapping[str, Any],
    item_classes: Collection[str] | None,
) -> None:
    values: dict[str, str] = {}
    for name in _REQUIRED[action]:
        value = fields.get(name)
        if type(value) is not str or not value:
            raise InputError(
                f"a {action} notice needs {name} as non-empty text",
                where=f"notice {ref}: fields.{name}",
            )
        values[name] = value
    items = holdings.items
    item = values["item"]
    facilities = holdings.facility_touched
    if action == "new-item":
        if item in items or item in holdings.eliminated:
            raise InputError(
                f"item {item!r} already exists or existed", where=f"notice {ref}: fields.item"
            )
        item_class = values["item_class"]
        if item_classes is not None and item_class not in item_classes:
            raise InputError(
                f"unknown item class {item_class!r}", where=f"notice {ref}: fields.item_class"
            )
        facility = values["facility"]
        items[item] = (item_class, facility)
        facilities.setdefault(facility, []).append(ref)
    else:
        current = items.get(item)
        if current is None:
            gone = holdings.eliminated.get(item)
            detail = f" (eliminated by notice {gone})" if gone else ""
            raise InputError(f"unknown item {item!r}{detail}", where=f"notice {ref}: fields.item")
        item_class, facility = current
        if action == "movement":
            source = values["from_facility"]
            if source != facility:
                raise InputError(
                    f"item {item!r} is at {facility!r}, not at {source!r}",
                    where=f"notice {ref}: fields.from_facility",
                )
            target = values["to_facility"]
            items[item] = (item_class, target)
            facilities.setdefault(facility, []).append(ref)
            facilities.setdefault(target, []).append(ref)
        elif action == "conversion":
            new_class = values["new_class"]
            if item_classes is not None and new_class not in item_classes:
                raise InputError(
                    f"unknown item class {new_class!r}", where=f"notice {ref}: fields.new_class"
                )
            items[item] = (new_class, facility)
            facilities.setdefault(facility, []).append(ref)
        else:  # elimination
            stated = fields.get("facility")
            if stated is not None and stated != facility:
                raise InputError(
                    f"item {item!r} is at {facility!r}, not at {stated!r}",
                    where=f"notice {ref}: fields.facility",
                )
            del items[item]
            holdings.eliminated[item] = ref
            facilities.setdefault(facility, []).append(ref)
    holdings.touched.setdefault(item, []).append(ref)
    holdings.applied.append(ref)
