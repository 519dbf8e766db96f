"""The input commitment: every value a measurement holds, unambiguously, or a clear refusal.

Real spectrum files record start times (datetimes); the commitment binds them in UTC and
refuses what it cannot encode with an InputError naming the input, never a TypeError.
"""

from __future__ import annotations

import dataclasses
import enum
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import pytest
from pydantic import BaseModel, ConfigDict

from treatyverify.barrier.sensitive import SensitiveData
from treatyverify.errors import InputError
from treatyverify.methods.gamma.io import load_spectrum

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "gamma"
SALT = bytes(range(32))
SECRET = 1234.5678


def commit(value: Any) -> str:
    return SensitiveData({"x": value}, salt=SALT).commitment()


def refusal(value: Any) -> InputError:
    with pytest.raises(InputError) as caught:
        commit(value)
    return caught.value


class Colour(enum.Enum):
    RED = 1
    BLUE = 2


class Level(enum.IntEnum):
    ONE = 1


@dataclasses.dataclass(frozen=True)
class Frozen:
    live_time_s: float
    start: datetime | None = None


@dataclasses.dataclass
class Mutable:
    live_time_s: float


class FrozenModel(BaseModel):
    model_config = ConfigDict(frozen=True)
    live_time_s: float
    detector: Colour = Colour.RED


class MutableModel(BaseModel):
    live_time_s: float


def test_times_with_a_zone_commit_to_the_instant_in_utc() -> None:
    utc = datetime(2014, 1, 12, 15, 12, 34, 256348, tzinfo=UTC)
    east = utc.astimezone(timezone(timedelta(hours=5, minutes=30)))
    assert commit(utc) == commit(east)
    assert commit(utc) != commit(utc + timedelta(microseconds=1))
    assert commit(utc) != commit(utc.isoformat())  # a time is not its text


def test_a_time_without_a_zone_is_refused_by_name() -> None:
    error = refusal({"start": datetime(2014, 1, 12, 15, 12, 34)})
    assert error.where == "x['start']"
    assert "zone" in error.message and "2014" not in str(error)


def test_dates_enums_paths_and_numpy_scalars_have_their_own_tags() -> None:
    values = [
        date(2014, 1, 12),
        "2014-01-12",
        datetime(2014, 1, 12, tzinfo=UTC),
        Colour.RED,
        Colour.BLUE,
        1,
        Level.ONE,
        "RED",
        Path("/data/item.n42"),
        PurePosixPath("/data/item.n42"),
        "/data/item.n42",
        np.int64(3),
        np.int32(3),
        3,
        np.float64(0.5),  # a Python float too: committed as before, by its repr
        np.bool_(True),
        True,
    ]
    commitments = [commit(v) for v in values]
    # PosixPath and PurePosixPath name the same path; everything else differs.
    assert commit(Path("/data/item.n42")) == commit(PurePosixPath("/data/item.n42"))
    assert len(set(commitments)) == len(values) - 1


def test_frozen_dataclasses_and_models_commit_to_every_field() -> None:
    start = datetime(2020, 5, 1, tzinfo=UTC)
    assert commit(Frozen(10.0, start)) == commit(Frozen(10.0, start))
    assert commit(Frozen(10.0, start)) != commit(Frozen(10.0, start + timedelta(seconds=1)))
    assert commit(Frozen(10.0)) != commit(Frozen(10.5))
    assert commit(FrozenModel(live_time_s=10.0)) == commit(FrozenModel(live_time_s=10.0))
    assert commit(FrozenModel(live_time_s=10.0)) != commit(FrozenModel(live_time_s=10.5))
    assert commit(FrozenModel(live_time_s=10.0)) != commit(
        FrozenModel(live_time_s=10.0, detector=Colour.BLUE)
    )
    assert commit(FrozenModel(live_time_s=10.0)) != commit(Frozen(10.0))


@pytest.mark.parametrize(
    "value",
    [
        Mutable(SECRET),
        MutableModel(live_time_s=SECRET),
        {SECRET, 2.0},
        frozenset({SECRET}),
        object(),
        datetime(2020, 1, 1).time(),
        np.array([SECRET, "a"], dtype=object),
        Frozen(SECRET, start=datetime(2020, 1, 1)),  # a naive time inside
        Frozen,  # a class, not a value
    ],
    ids=lambda v: type(v).__name__,
)
def test_anything_else_is_an_input_error_that_shows_no_value(value: Any) -> None:
    error = refusal({"item": [value]})
    assert error.where is not None and error.where.startswith("x['item'][0]")
    assert str(SECRET) not in str(error) and "1234" not in str(error)


def test_a_container_that_holds_itself_is_refused() -> None:
    loop: list[Any] = [1.0]
    loop.append(loop)
    assert "itself" in refusal(loop).message
    shared = [SECRET]
    assert commit([shared, shared]) == commit([[SECRET], [SECRET]])  # sharing is no loop


def test_entries_under_keys_that_are_not_names_are_named_by_position() -> None:
    error = refusal({SECRET: object()})
    assert error.where == "x[key 0]"
    assert "1234" not in str(error)


def test_keys_of_different_types_do_not_collide() -> None:
    assert commit({1: "a"}) != commit({"1": "a"})
    assert commit({"a": 1, "b": 2}) == commit({"b": 2, "a": 1})


def _real_files() -> list[Path]:
    if not DATA.is_dir():
        return []
    folders = [DATA, DATA / "reference" / "hpge-fulcrum-40h", DATA / "reference" / "nai-2x4x16"]
    return sorted(
        p for folder in folders if folder.is_dir() for p in folder.iterdir() if p.is_file()
    )


@pytest.mark.skipif(not DATA.is_dir(), reason=f"shared measured gamma data not present at {DATA}")
@pytest.mark.parametrize("path", _real_files(), ids=lambda p: p.name)
def test_every_real_spectrum_file_can_be_committed_to(path: Path) -> None:
    try:
        spectrum = load_spectrum(path)
    except InputError:
        pytest.skip(f"{path.name} is not a spectrum this reader accepts")
    value = SensitiveData({"spectrum": spectrum}, salt=SALT).commitment()
    assert len(value) == 64
    if spectrum.start_time is not None:
        later = dataclasses.replace(spectrum, start_time=spectrum.start_time + timedelta(seconds=1))
        assert SensitiveData({"spectrum": later}, salt=SALT).commitment() != value
