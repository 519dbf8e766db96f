"""Declarations of holdings: validation against the treaty and submission as records.

A declaration states, as of one date, how many items of each accountable class a
party holds at each site. It is checked against the treaty specification (known
declaration schedule, known item classes, non-negative whole counts) before anything
is written; the ledger record is then signed by the declaring party.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from treatyverify.errors import InputError, UnknownNameError
from treatyverify.files import read_json
from treatyverify.records.keys import PartyKey
from treatyverify.records.ledger import Ledger, Record
from treatyverify.treaty import TreatySpec
from treatyverify.treaty.fielddocs import describe_fields

__all__ = [
    "DECLARATION_KIND",
    "Declaration",
    "DeclarationsInEffect",
    "DeclaredHolding",
    "declarations_in_effect",
    "load_declaration",
    "submit_declaration",
]

DECLARATION_KIND = "declaration"


class DeclaredHolding(BaseModel):
    """Items of one class at one site."""

    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_extra=describe_fields)

    item_class: str = Field(description="item class identifier from the treaty")
    site: str = Field(min_length=1, description="declared site or facility")
    count: int = Field(ge=0, description="number of items (whole items)")


class Declaration(BaseModel):
    """A party's declaration of holdings as of one date.

    Attributes
    ----------
    ref
        Unique reference chosen by the declaring party (for example ``"us-2026-09"``).
    schedule
        Identifier of the declaration schedule in the treaty (initial or periodic).
    as_of
        The date the numbers hold for (UTC).
    holdings
        Counts per item class and site.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_extra=describe_fields)

    ref: str = Field(min_length=1, max_length=200)
    schedule: str
    as_of: date
    holdings: list[DeclaredHolding]

    def totals(self) -> dict[str, int]:
        """Total count per item class over all sites."""
        totals: dict[str, int] = defaultdict(int)
        for holding in self.holdings:
            totals[holding.item_class] += holding.count
        return dict(totals)

    def sites(self) -> list[str]:
        """Declared sites, sorted."""
        return sorted({h.site for h in self.holdings})

    def check(self, spec: TreatySpec) -> None:
        """Check names and date against ``spec``: UnknownNameError for an unknown
        schedule or item class, InputError for a date before entry into force."""
        schedules = {s.id for s in spec.declarations}
        if self.schedule not in schedules:
            raise UnknownNameError(
                f"treaty {spec.id} has no declaration schedule {self.schedule!r} "
                f"(known: {', '.join(sorted(schedules)) or 'none'})",
                where=f"declaration {self.ref}: schedule",
            )
        if spec.entered_into_force is not None and self.as_of < spec.entered_into_force:
            raise InputError(
                f"dated {self.as_of}, before treaty {spec.id} entered into force "
                f"({spec.entered_into_force})",
                where=f"declaration {self.ref}: as_of",
            )
        classes = {c.id for c in spec.item_classes}
        seen: set[tuple[str, str]] = set()
        for index, holding in enumerate(self.holdings):
            where = f"declaration {self.ref}: holdings[{index}]"
            if holding.item_class not in classes:
                raise UnknownNameError(
                    f"treaty {spec.id} has no item class {holding.item_class!r}",
                    where=f"{where}.item_class",
                )
            if (holding.item_class, holding.site) in seen:
                raise InputError(
                    f"{holding.item_class} at {holding.site} is declared twice", where=where
                )
            seen.add((holding.item_class, holding.site))


def load_declaration(path: Path) -> Declaration:
    """Read a declaration from a JSON file; InputError naming the file and field."""
    return parse_declaration(read_json(path), where=str(path))


def parse_declaration(document: Any, *, where: str) -> Declaration:
    """Validate a declaration document; InputError naming the first bad field."""
    try:
        return Declaration.model_validate(document)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or "(top level)"
        raise InputError(error["msg"], where=f"{where}: {field}") from None


def submit_declaration(
    ledger: Ledger,
    spec: TreatySpec,
    signer: PartyKey,
    declaration: Declaration,
    *,
    time: datetime | None = None,
) -> Record:
    """Check ``declaration`` against the treaty and append it, signed by ``signer``."""
    spec.party(signer.party)
    declaration.check(spec)
    body = declaration.model_dump(mode="json")
    return ledger.append(DECLARATION_KIND, body, signer, ref=declaration.ref, time=time)


@dataclass(frozen=True)
class DeclarationsInEffect:
    """Each party's declaration in effect on one date, read from the ledger in order.

    Attributes
    ----------
    on
        The date of the evaluation (UTC).
    effective
        Party -> (record, declaration) in effect on ``on``.
    pending
        Declarations dated after ``on``: not yet in effect, not evaluated.
    malformed
        Declaration records that do not parse or break the treaty's names, each with
        the reason (the field, never its value).
    """

    on: date
    effective: dict[str, tuple[Record, Declaration]]
    pending: tuple[tuple[Record, Declaration], ...]
    malformed: tuple[tuple[Record, str], ...]


def declarations_in_effect(
    records: Iterable[Record], on: date, spec: TreatySpec | None = None
) -> DeclarationsInEffect:
    """The declarations in effect on ``on``.

    A party's declaration in effect is the last one in ledger order whose ``as_of`` is
    not after ``on``: a declaration dated ahead takes effect on its date and then gives
    way to every declaration recorded after it, so it can never hide a later one. A
    record that does not parse (or, with ``spec``, names an unknown schedule or item
    class) is set aside with its reason instead of stopping the evaluation.
    """
    effective: dict[str, tuple[Record, Declaration]] = {}
    pending: list[tuple[Record, Declaration]] = []
    malformed: list[tuple[Record, str]] = []
    for record in records:
        if record.kind != DECLARATION_KIND:
            continue
        try:
            declaration = parse_declaration(record.body, where=f"record {record.seq}")
            if spec is not None:
                declaration.check(spec)
        except InputError as exc:
            malformed.append((record, str(exc)))
            continue
        if declaration.as_of > on:
            pending.append((record, declaration))
        else:
            effective[record.party] = (record, declaration)
    return DeclarationsInEffect(on, effective, tuple(pending), tuple(malformed))
