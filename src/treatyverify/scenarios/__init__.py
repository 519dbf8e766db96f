"""Data-exchange scenarios: the YAML files the demonstration plays (``treatyverify demo``).

A scenario names a treaty, the parties' published aggregates and their holdings per
site, one notification, one inspection and one dissent. :class:`ExchangeScenario` is
its schema (published as ``docs/schemas/exchange-scenario.schema.json``);
:func:`parse_exchange_scenario` checks a document against it, naming the file, the line
and the field of the first problem.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError

from treatyverify.errors import InputError
from treatyverify.files import load_yaml
from treatyverify.treaty.fielddocs import describe_fields
from treatyverify.treaty.loader import located_where

__all__ = [
    "ExchangeDissent",
    "ExchangeNotice",
    "ExchangeScenario",
    "parse_exchange_scenario",
]

Count = Annotated[StrictInt, Field(ge=0)]


class _Strict(BaseModel):
    """Frozen, and unknown fields are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=describe_fields)


class ExchangeNotice(_Strict):
    """The notification one party gives during the exchange.

    Attributes
    ----------
    party
        The notifying party.
    code
        Notification type code from the treaty, e.g. ``launch``.
    fields
        The type's required fields and any others, by name.
    event_time
        When the notified event happens (UTC, ISO 8601).
    """

    party: str
    code: str
    fields: dict[str, Any] = Field(default_factory=dict)
    event_time: datetime


class ExchangeDissent(_Strict):
    """A party's recorded dissent from one finding.

    Attributes
    ----------
    party
        The dissenting party.
    rule
        The finding's rule, e.g. ``limit:launchers``.
    subject
        The party the finding is about.
    reason
        The reason, as the dissenting party states it.
    """

    party: str
    rule: str
    subject: str
    reason: str = Field(min_length=1)


class ExchangeScenario(_Strict):
    """A data exchange between the parties of one treaty, played end to end.

    Attributes
    ----------
    treaty
        Treaty id (a shipped specification) or path of a specification file.
    as_of
        The date the declared numbers hold for (UTC).
    schedule
        The treaty's declaration schedule the declarations answer.
    start
        When the exchange starts (UTC, ISO 8601); the scenario's clock runs from it.
    opener
        The party that opens the ledger.
    inspecting_party, inspected_party
        The parties of the one inspection.
    inspection_type
        The treaty's inspection type.
    inspection_team
        Inspectors in the team (persons).
    treaty_year
        Treaty year of the inspection, 1 for the first year after entry into force.
    aggregates
        Published totals per party and limit id (in the limit's unit); each party's
        holdings must add up to them.
    holdings
        Declared counts per party, site and item class (items).
    notice
        The notification given during the exchange.
    dissent
        The dissent recorded on one finding.
    """

    treaty: str
    as_of: date
    schedule: str
    start: datetime
    opener: str
    inspecting_party: str
    inspected_party: str
    inspection_type: str
    inspection_team: Annotated[StrictInt, Field(ge=1)]
    treaty_year: Annotated[StrictInt, Field(ge=1)]
    aggregates: dict[str, dict[str, Count]]
    holdings: dict[str, dict[str, dict[str, Count]]]
    notice: ExchangeNotice
    dissent: ExchangeDissent


def parse_exchange_scenario(text: str, name: str) -> dict[str, Any]:
    """The scenario document in ``text``, once it is valid against :class:`ExchangeScenario`.

    Raises
    ------
    InputError
        Malformed YAML, or the first field that fails, as ``name:line:column: path``.
    """
    try:
        document = load_yaml(text)
    except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise InputError(f"malformed YAML: {exc}", where=name) from None
    if not isinstance(document, dict):
        raise InputError("a scenario is a mapping of fields", where=name)
    try:
        ExchangeScenario.model_validate(document)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        message = str(error["msg"]).removeprefix("Value error, ")
        where, message = located_where(name, text, tuple(error["loc"]), message)
        raise InputError(message, where=where) from None
    return document
