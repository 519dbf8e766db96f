"""What the service holds while it runs: the ledger, its treaty, the members and their roles."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import Engine

from treatyverify.errors import InputError
from treatyverify.records.keys import PublicPartyKey, load_public_key
from treatyverify.records.ledger import Ledger
from treatyverify.records.pinned import ledger_spec
from treatyverify.service.config import ServiceConfig
from treatyverify.service.statedb import open_state
from treatyverify.treaty import TreatySpec

__all__ = ["ROLES", "Member", "Role", "ServiceContext", "members_of", "open_context"]

Role = Literal["party", "secretariat", "observer"]
ROLES: tuple[Role, ...] = ("party", "secretariat", "observer")
WRITING_ROLES: frozenset[Role] = frozenset({"party", "secretariat"})


@dataclass(frozen=True)
class Member:
    """Someone the service knows: a party delegate, the technical secretariat or an observer.

    Attributes
    ----------
    id
        The party identifier of the ledger, or the observer's identifier.
    role
        ``"party"`` (a consensus party of the treaty), ``"secretariat"`` (a
        ``technical-secretariat`` of the specification) or ``"observer"``.
    key
        The Ed25519 public key its requests are signed with (for a party or the
        secretariat, the key the ledger pins).
    """

    id: str
    role: Role
    key: PublicPartyKey

    @property
    def writes(self) -> bool:
        """Whether the member may submit records (observers only read)."""
        return self.role in WRITING_ROLES


def _role(spec: TreatySpec, party: str) -> Role:
    roles = set(spec.party(party).roles)
    if "technical-secretariat" in roles:
        return "secretariat"
    if roles <= {"observer"}:
        return "observer"
    return "party"


def members_of(
    spec: TreatySpec, ledger: Ledger, observers: dict[str, PublicPartyKey]
) -> dict[str, Member]:
    """Every member with its role: the ledger's parties by their roles in the treaty, then
    the configured observers (refused when one repeats a ledger party)."""
    members = {
        party: Member(party, _role(spec, party), key) for party, key in sorted(ledger.keys.items())
    }
    for observer, key in observers.items():
        if observer in members:
            raise InputError(
                f"observer {observer!r} is a party of the ledger", where=f"observers.{observer}"
            )
        members[observer] = Member(observer, "observer", key)
    return members


@dataclass
class ServiceContext:
    """The open ledger and state store, the treaty and the members, for one server process."""

    config: ServiceConfig
    ledger: Ledger
    spec: TreatySpec
    state: Engine
    members: dict[str, Member]
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def now(self) -> datetime:
        """The server's clock (UTC)."""
        return self.clock()

    def close(self) -> None:
        """Release the ledger and state connections."""
        self.ledger.close()
        self.state.dispose()


def _observer_keys(config: ServiceConfig) -> dict[str, PublicPartyKey]:
    keys: dict[str, PublicPartyKey] = {}
    for entry in config.observers:
        if entry.id in keys:
            raise InputError("observer listed twice", where=f"observers.{entry.id}")
        key = load_public_key(entry.key)
        if key.party != entry.id:
            raise InputError(
                f"the key file {entry.key.name} is for {key.party!r}, not {entry.id!r}",
                where=f"observers.{entry.id}",
            )
        keys[entry.id] = key
    return keys


def open_context(
    config: ServiceConfig, *, clock: Callable[[], datetime] | None = None
) -> ServiceContext:
    """Open the ledger (which must exist) and the state store, and list the members."""
    observers = _observer_keys(config)
    ledger = Ledger.open(config.ledger)
    try:
        spec = ledger_spec(ledger, config.treaty)
        members = members_of(spec, ledger, observers)
        state = open_state(config.state_location())
    except BaseException:
        ledger.close()
        raise
    context = ServiceContext(config, ledger, spec, state, members)
    if clock is not None:
        context.clock = clock
    return context
