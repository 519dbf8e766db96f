"""The ledger's leaf-hash cache: :meth:`Ledger.leaf_hashes`, :meth:`Ledger.root` and the
proofs read only the records appended since the last call, follow other writers, and
rebuild themselves when the store no longer holds what was cached.

Every expected value is computed independently of the library: the hashes are read
from the SQLite file with :mod:`sqlite3` and the roots are the naive recursive Merkle
Tree Hash of RFC 9162 section 2.1.1 (:func:`ledger_helpers.naive_mth`).
"""

from __future__ import annotations

import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ledger_helpers import (
    connect,
    fill,
    naive_mth,
    new_ledger,
    read_rows,
    set_head,
)

from treatyverify.errors import VerificationError
from treatyverify.records.keys import PartyKey
from treatyverify.records.ledger import Ledger
from treatyverify.records.merkle import (
    EMPTY_ROOT,
    consistency_proof,
    inclusion_proof,
    verify_consistency,
    verify_inclusion,
)
from treatyverify.records.store import Store
from treatyverify.records.verify import verify_ledger

Calls = list[tuple[int, int | None]]


def raw_hashes(path: Path) -> list[bytes]:
    """The stored hash column, in sequence order, read with sqlite3."""
    return [row.hash for row in read_rows(path)]


def grow(ledger: Ledger, keys: dict[str, PartyKey], count: int) -> None:
    """Append ``count`` records with times after every earlier one."""
    fill(ledger, keys, count, start=100.0 * ledger.size)


def check_every_size(ledger: Ledger, path: Path) -> None:
    """leaf_hashes(size) and root(size), for every size and beyond, against the file."""
    hashes = raw_hashes(path)
    assert ledger.root() == naive_mth(hashes)
    assert ledger.leaf_hashes() == hashes
    for size in range(len(hashes) + 2):
        assert ledger.root(size) == naive_mth(hashes[:size]), size
        assert ledger.leaf_hashes(size) == hashes[:size], size


@pytest.fixture
def ledger_path(tmp_path: Path) -> Iterator[tuple[Ledger, dict[str, PartyKey], Path]]:
    path = tmp_path / "ledger.db"
    ledger, keys = new_ledger(path)
    yield ledger, keys, path
    ledger.close()


@pytest.fixture
def hash_calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    """Record the (start, stop) of every :meth:`Store.hashes` call."""
    calls: Calls = []
    original = Store.hashes

    def spy(self: Store, start: int = 0, stop: int | None = None) -> list[bytes]:
        calls.append((start, stop))
        return original(self, start, stop)

    monkeypatch.setattr(Store, "hashes", spy)
    return calls


# Store.hashes ------------------------------------------------------------------------


def test_store_hashes_reads_a_range(
    ledger_path: tuple[Ledger, dict[str, PartyKey], Path],
) -> None:
    ledger, keys, path = ledger_path
    grow(ledger, keys, 12)
    hashes = raw_hashes(path)
    store = ledger.store
    assert store.hashes() == hashes
    assert store.hashes(stop=5) == hashes[:5]
    assert store.hashes(start=5) == hashes[5:]
    assert store.hashes(3, 9) == hashes[3:9]
    assert store.hashes(start=13) == []
    assert store.hashes(7, 7) == []


# Results equal the independent computation --------------------------------------------


def test_every_size_while_growing_in_batches(
    ledger_path: tuple[Ledger, dict[str, PartyKey], Path],
) -> None:
    ledger, keys, path = ledger_path
    check_every_size(ledger, path)
    for count in (1, 2, 3, 5, 8, 13):
        grow(ledger, keys, count)
        check_every_size(ledger, path)
    assert ledger.size == 33


@settings(max_examples=20, deadline=None)
@given(
    steps=st.lists(
        st.tuples(st.integers(0, 6), st.lists(st.integers(-1, 40), max_size=4)),
        min_size=1,
        max_size=6,
    )
)
def test_reads_interleaved_with_appends(steps: list[tuple[int, list[int]]]) -> None:
    """Append a batch, read some sizes (roots and hashes, in any order), repeat."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ledger.db"
        ledger, keys = new_ledger(path)
        with ledger:
            for count, sizes in steps:
                if count:
                    grow(ledger, keys, count)
                hashes = raw_hashes(path)
                for size in sizes:
                    expected = hashes[: max(size, 0)]
                    if size % 2:
                        assert ledger.root(size) == naive_mth(expected)
                        assert ledger.leaf_hashes(size) == expected
                    else:
                        assert ledger.leaf_hashes(size) == expected
                        assert ledger.root(size) == naive_mth(expected)
                assert ledger.root() == naive_mth(hashes)
                assert ledger.root(ledger.size) == naive_mth(hashes)


def test_small_and_out_of_range_sizes(
    ledger_path: tuple[Ledger, dict[str, PartyKey], Path],
) -> None:
    ledger, keys, path = ledger_path
    grow(ledger, keys, 6)
    hashes = raw_hashes(path)
    assert ledger.root(0) == EMPTY_ROOT
    assert ledger.leaf_hashes(0) == []
    assert ledger.leaf_hashes(-1) == []
    assert ledger.root(-1) == EMPTY_ROOT
    assert ledger.root(100) == naive_mth(hashes)
    assert ledger.leaf_hashes(100) == hashes


def test_a_returned_list_is_the_callers(
    ledger_path: tuple[Ledger, dict[str, PartyKey], Path],
) -> None:
    ledger, keys, path = ledger_path
    grow(ledger, keys, 4)
    ledger.leaf_hashes().clear()
    ledger.leaf_hashes(3).append(b"\x00" * 32)
    check_every_size(ledger, path)


def test_proofs_verify_against_the_cached_roots(
    ledger_path: tuple[Ledger, dict[str, PartyKey], Path],
) -> None:
    ledger, keys, path = ledger_path
    grow(ledger, keys, 10)
    ledger.root()
    grow(ledger, keys, 7)
    hashes = raw_hashes(path)
    size = len(hashes)
    root = naive_mth(hashes)
    for seq in range(size):
        proof = ledger.inclusion_proof(seq)
        assert proof == inclusion_proof(seq, hashes)
        assert verify_inclusion(hashes[seq], seq, size, proof, root)
    for old in range(1, size + 1):
        proof = ledger.consistency_proof(old)
        assert proof == consistency_proof(old, hashes)
        assert verify_consistency(old, size, naive_mth(hashes[:old]), root, proof)
    assert ledger.inclusion_proof(2, 5) == inclusion_proof(2, hashes[:5])


# Reads from the store ----------------------------------------------------------------


def test_a_second_root_reads_only_the_new_rows(
    ledger_path: tuple[Ledger, dict[str, PartyKey], Path], hash_calls: Calls
) -> None:
    ledger, keys, path = ledger_path
    grow(ledger, keys, 20)
    hash_calls.clear()
    assert ledger.root() == naive_mth(raw_hashes(path))
    assert hash_calls == [(0, 21)]
    assert ledger.root() == naive_mth(raw_hashes(path))
    assert hash_calls[1:] == [(20, 21)]  # only the last cached row, to check it
    grow(ledger, keys, 5)
    hash_calls.clear()
    assert ledger.root() == naive_mth(raw_hashes(path))
    assert hash_calls == [(20, 26)]  # the last cached row and the 5 new ones
    hash_calls.clear()
    ledger.root(7)
    ledger.leaf_hashes(9)
    ledger.inclusion_proof(3)
    ledger.consistency_proof(4, 20)
    assert hash_calls == [(25, 26)] * 4


# Other writers and damaged stores -------------------------------------------------------


def test_follows_another_ledger_on_the_same_file(
    ledger_path: tuple[Ledger, dict[str, PartyKey], Path],
) -> None:
    first, keys, path = ledger_path
    grow(first, keys, 5)
    assert first.root() == naive_mth(raw_hashes(path))
    with Ledger.open(path) as second:
        assert second.root() == first.root()
        grow(second, keys, 9)
        assert first.size == 15
        check_every_size(first, path)
        grow(first, keys, 3)
        check_every_size(second, path)
        check_every_size(first, path)


def test_an_altered_last_cached_hash_rebuilds_the_cache(
    ledger_path: tuple[Ledger, dict[str, PartyKey], Path], hash_calls: Calls
) -> None:
    ledger, keys, path = ledger_path
    grow(ledger, keys, 10)
    before = ledger.root()
    with connect(path) as connection:
        connection.execute("UPDATE records SET hash = ? WHERE seq = 10", (b"\x5a" * 32,))
    hash_calls.clear()
    after = ledger.root()
    hashes = raw_hashes(path)
    assert hashes[10] == b"\x5a" * 32
    assert after == naive_mth(hashes) != before
    assert hash_calls == [(10, 11), (0, 11)]  # the check failed: a full read
    check_every_size(ledger, path)


def test_an_altered_last_cached_hash_is_caught_when_others_appended(
    ledger_path: tuple[Ledger, dict[str, PartyKey], Path],
) -> None:
    ledger, keys, path = ledger_path
    grow(ledger, keys, 6)
    ledger.root()
    with connect(path) as connection:
        connection.execute("UPDATE records SET hash = ? WHERE seq = 6", (b"\xa5" * 32,))
    with Ledger.open(path) as other:
        grow(other, keys, 4)
    check_every_size(ledger, path)


def test_a_shorter_store_rebuilds_the_cache(
    ledger_path: tuple[Ledger, dict[str, PartyKey], Path],
) -> None:
    """A store replaced by an older copy (head below the cached length)."""
    ledger, keys, path = ledger_path
    grow(ledger, keys, 12)
    ledger.root()
    rows = read_rows(path)
    with connect(path) as connection:
        connection.execute("DELETE FROM records WHERE seq >= 8")
        set_head(connection, 8, rows[7].hash)
    assert ledger.size == 8
    check_every_size(ledger, path)


def test_rows_missing_below_the_head_rebuild_the_cache(
    ledger_path: tuple[Ledger, dict[str, PartyKey], Path],
) -> None:
    """Rows the head promises are missing: the result is what a full read gives."""
    ledger, keys, path = ledger_path
    grow(ledger, keys, 6)
    ledger.root()
    grow(ledger, keys, 6)
    with connect(path) as connection:
        connection.execute("DELETE FROM records WHERE seq = 9")
    hashes = raw_hashes(path)
    assert len(hashes) == ledger.size - 1
    assert ledger.root() == naive_mth(hashes)
    assert ledger.leaf_hashes() == hashes


def test_a_rewrite_that_keeps_the_tail_is_left_to_verification(
    ledger_path: tuple[Ledger, dict[str, PartyKey], Path],
) -> None:
    """The documented blind spot: a changed middle row with the last one intact.

    The cache keeps serving the old hashes; :func:`verify_ledger` on the very same
    object reads the store and catches the change.
    """
    ledger, keys, path = ledger_path
    grow(ledger, keys, 10)
    before = ledger.root()
    with connect(path) as connection:
        connection.execute("UPDATE records SET hash = ? WHERE seq = 4", (b"\x11" * 32,))
    assert ledger.root() == before  # served from the cache (not detected)
    with Ledger.open(path) as fresh:
        assert fresh.root() == naive_mth(raw_hashes(path)) != before
    with pytest.raises(VerificationError) as caught:
        verify_ledger(ledger)
    assert caught.value.seq == 4


def test_verification_never_reads_the_cache(
    ledger_path: tuple[Ledger, dict[str, PartyKey], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger, keys, path = ledger_path
    grow(ledger, keys, 8)
    ledger.root()

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("verification must not use the leaf-hash cache")

    for name in ("leaf_hashes", "root", "inclusion_proof", "consistency_proof", "_top_up"):
        monkeypatch.setattr(Ledger, name, refuse)
    report = verify_ledger(ledger)
    assert report.root == naive_mth(raw_hashes(path)).hex()


# Threads ------------------------------------------------------------------------------


def test_readers_in_threads_while_another_appends(
    ledger_path: tuple[Ledger, dict[str, PartyKey], Path],
) -> None:
    ledger, keys, path = ledger_path
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads often, to mix the reads and the appends
    done = threading.Event()
    errors: list[BaseException] = []
    reads = [0]

    def reader(index: int) -> None:
        try:
            while not done.is_set():
                hashes = ledger.leaf_hashes()
                size = len(hashes)
                # Prefixes never change: whatever has been appended since, the file
                # starts with the hashes just returned, and they give root(size).
                assert hashes == raw_hashes(path)[:size]
                assert ledger.root(size) == naive_mth(hashes)
                assert ledger.leaf_hashes(size) == hashes
                assert len(ledger.root()) == 32
                if size > 1:
                    seq = (index * 7 + size) % size
                    ledger.inclusion_proof(seq, size)
                reads[0] += 1
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
            done.set()

    def appender() -> None:
        try:
            for _ in range(40):
                if done.is_set():
                    break
                grow(ledger, keys, 2)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            done.set()

    threads = [threading.Thread(target=reader, args=(i,)) for i in range(4)]
    threads.append(threading.Thread(target=appender))
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        done.set()
        sys.setswitchinterval(previous)
    assert not any(thread.is_alive() for thread in threads)
    assert not errors, errors
    assert reads[0] > 0
    assert ledger.size == 81
    check_every_size(ledger, path)
