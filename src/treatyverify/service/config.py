"""The service's configuration file (YAML): ledger, state store, observers and limits.

Example (paths are relative to the file)::

    ledger: ledger.sqlite            # a SQLite path or a SQLAlchemy URL
    state: service.sqlite            # optional; see ServiceConfig.state_location
    treaty: new-start                # optional: an id or a specification YAML file
    observers:
      - {id: observer-1, key: keys/observer-1.pub}
    limits: {max_body_bytes: 1048576, clock_skew_s: 300, session_hours: 8}
    exercises: {out: exercise-runs, workers: 1, max_runs: 2000}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from treatyverify.errors import InputError
from treatyverify.files import load_yaml

__all__ = [
    "MAX_SERVICE_SKEW_S",
    "ExerciseSettings",
    "Limits",
    "ObserverEntry",
    "ServiceConfig",
    "load_config",
]


MAX_SERVICE_SKEW_S = 3600.0
"""The largest clock skew a service may be configured with (s)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ObserverEntry(_Strict):
    """An observer: reads everything a party reads, writes nothing.

    Attributes
    ----------
    id
        The observer's identifier (not a party of the ledger).
    key
        Its public key file (``treatyverify party keygen`` writes one).
    """

    id: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")
    key: Path


class Limits(_Strict):
    """Request limits.

    Attributes
    ----------
    max_body_bytes
        Largest request body accepted, bytes (413 above it).
    clock_skew_s
        Largest difference between a signed request's time and the server clock, s.
        Nonces are kept twice this long, so a replay is refused for as long as its
        time could be accepted.
    session_hours
        Lifetime of a dashboard session token, hours.
    max_records_per_request
        Most records one submission may carry.
    body_read_timeout_s
        Longest wait for the next part of a request body, s (408 after it).
    """

    max_body_bytes: int = Field(default=1_048_576, ge=1024, le=64 * 1_048_576)
    clock_skew_s: float = Field(default=300.0, gt=0, le=MAX_SERVICE_SKEW_S)
    session_hours: float = Field(default=8.0, gt=0, le=168)
    max_records_per_request: int = Field(default=500, ge=1, le=10_000)
    body_read_timeout_s: float = Field(default=30.0, gt=0, le=600)


class ExerciseSettings(_Strict):
    """Exercise runs requested through the service.

    Attributes
    ----------
    out
        Folder of the run reports (one sub-folder per run id).
    workers
        Worker processes per run.
    max_runs
        Largest ``runs`` a request may ask for (per strategy and sweep point).
    max_queued
        Most exercise requests queued or running at once; more are refused (429).
    """

    out: Path = Path("exercise-runs")
    workers: int = Field(default=1, ge=1, le=64)
    max_runs: int = Field(default=2000, ge=1)
    max_queued: int = Field(default=4, ge=1, le=1000)


class ServiceConfig(_Strict):
    """What ``treatyverify serve`` serves.

    Attributes
    ----------
    ledger
        The ledger: a SQLite path or a SQLAlchemy URL (``postgresql+psycopg://...``).
    state
        The service's own tables (nonces, sessions, exercise runs): a SQLite path or a
        URL. By default a file ``<ledger>.service.sqlite`` beside a SQLite ledger, or the
        ledger's own database when the ledger is a URL.
    treaty
        The treaty specification (an id or a YAML file); by default the installed
        specification of the ledger's treaty. Either way it must be the version the
        ledger pins.
    observers
        Observers and their keys.
    """

    ledger: str = Field(min_length=1)
    state: str | None = None
    treaty: str | None = None
    observers: tuple[ObserverEntry, ...] = ()
    limits: Limits = Limits()
    exercises: ExerciseSettings = ExerciseSettings()

    def state_location(self) -> str:
        """Where the service's own tables live (see :attr:`state`)."""
        if self.state is not None:
            return self.state
        if "://" in self.ledger:
            return self.ledger
        return f"{self.ledger}.service.sqlite"


def _resolve(base: Path, location: str) -> str:
    """A path relative to the configuration file's folder; URLs unchanged."""
    if "://" in location:
        return location
    path = Path(location).expanduser()
    return str(path if path.is_absolute() else base / path)


def load_config(path: Path) -> ServiceConfig:
    """Read and validate a service configuration file; relative paths are made absolute."""
    name = str(path)
    try:
        document: Any = load_yaml(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror}", where=name) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"not valid YAML{line}", where=name) from None
    if not isinstance(document, dict):
        raise InputError("a service configuration is a YAML mapping", where=name)
    try:
        config = ServiceConfig.model_validate(document)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or "(top)"
        raise InputError(f"{field}: {error['msg']}", where=name) from None
    base = path.resolve().parent
    return config.model_copy(
        update={
            "ledger": _resolve(base, config.ledger),
            "state": None if config.state is None else _resolve(base, config.state),
            "treaty": (
                config.treaty
                if config.treaty is None or not config.treaty.endswith((".yaml", ".yml"))
                else _resolve(base, config.treaty)
            ),
            "observers": tuple(
                entry.model_copy(update={"key": Path(_resolve(base, str(entry.key)))})
                for entry in config.observers
            ),
            "exercises": config.exercises.model_copy(
                update={"out": Path(_resolve(base, str(config.exercises.out)))}
            ),
        }
    )
