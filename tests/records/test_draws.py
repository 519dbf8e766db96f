"""Tests of treatyverify.records.draws: commit-reveal random draws among the parties.

Independent facts used here:

* the statement of a draw is the hash of its opening record,
  ``SHA-256(0x00 || content || signature)`` of the stored row;
* a commitment is ``SHA-256(b"treatyverify/draw-commit/v1\\x00" || statement || party
  || 0x00 || secret)``; the seed is ``SHA-256(b"treatyverify/draw-seed/v1\\x00" ||
  statement || party || 0x00 || secret || ...)`` over the revealers in sorted order
  (both computed with hashlib);
* uniformity is judged with Pearson's chi-square statistic computed by hand against
  the upper 0.1 % critical values of the chi-square distribution (NIST/SEMATECH
  e-Handbook of Statistical Methods, section 1.3.6.7.4, "Critical Values of the
  Chi-Square Distribution"). The seeds are a fixed list, so the tests are
  deterministic; a correct sampler fails one of them with probability 0.1 %.
"""

from __future__ import annotations

import hashlib
import itertools
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from ledger_helpers import at, hand_sealed, new_ledger, read_rows

from treatyverify.errors import DrawError, InputError, RecordRejectedError
from treatyverify.records import draws
from treatyverify.records.keys import PartyKey
from treatyverify.records.ledger import Ledger, Record
from treatyverify.records.verify import verify_ledger

# Upper 0.1 % points of chi-square (NIST/SEMATECH e-Handbook, table 1.3.6.7.4).
CHI2_999 = {4: 18.467, 9: 27.877, 11: 31.264, 19: 43.820}

COMMIT_DOMAIN = b"treatyverify/draw-commit/v1\x00"
SEED_DOMAIN = b"treatyverify/draw-seed/v1\x00"
POPULATION = [f"site-{i:02d}" for i in range(12)]
SECRETS = {
    party: hashlib.sha256(f"secret of {party}".encode()).digest() for party in ("us", "ru", "uk")
}

Setup = tuple[Ledger, dict[str, PartyKey], Record]


def _seeds(count: int, label: str) -> list[bytes]:
    return [hashlib.sha256(f"{label}/{i}".encode()).digest() for i in range(count)]


def _chi_square(counts: Iterable[int], categories: int, total: int) -> float:
    expected = total / categories
    observed = list(counts)
    observed += [0] * (categories - len(observed))
    return sum((o - expected) ** 2 / expected for o in observed)


# sample_indices ---------------------------------------------------------------------------


def test_sample_indices_are_distinct_in_range_and_deterministic() -> None:
    for seed in _seeds(300, "props"):
        for population, count in ((1, 1), (5, 2), (12, 3), (40, 40), (1000, 7)):
            chosen = draws.sample_indices(seed, population, count)
            assert len(chosen) == count
            assert len(set(chosen)) == count
            assert all(0 <= i < population for i in chosen)
            assert draws.sample_indices(seed, population, count) == chosen
        assert sorted(draws.sample_indices(seed, 9, 9)) == list(range(9))
        assert draws.sample_indices(seed, 9, 0) == []


def test_sample_indices_depend_on_the_seed() -> None:
    outcomes = {tuple(draws.sample_indices(seed, 1000, 3)) for seed in _seeds(200, "vary")}
    assert len(outcomes) >= 195  # 1000*999*998 outcomes: collisions are very rare


@pytest.mark.parametrize(("population", "count"), [(3, 4), (0, 1), (5, -1)])
def test_sample_indices_refuse_impossible_counts(population: int, count: int) -> None:
    with pytest.raises(DrawError):
        draws.sample_indices(bytes(32), population, count)


def test_every_ordered_pair_of_5_is_equally_likely() -> None:
    total = 20_000
    counts = Counter(tuple(draws.sample_indices(s, 5, 2)) for s in _seeds(total, "pairs"))
    assert set(counts) == set(itertools.permutations(range(5), 2))  # all 20, nothing else
    statistic = _chi_square(counts.values(), 20, total)
    assert statistic < CHI2_999[19], statistic
    # Unordered pairs and the first pick are uniform too.
    unordered = Counter(frozenset(pair) for pair in counts.elements())
    assert _chi_square(unordered.values(), 10, total) < CHI2_999[9]
    first = Counter(pair[0] for pair in counts.elements())
    assert _chi_square(first.values(), 5, total) < CHI2_999[4]


def test_every_position_of_a_draw_of_3_from_10_is_uniform() -> None:
    total = 10_000
    samples = [draws.sample_indices(s, 10, 3) for s in _seeds(total, "positions")]
    for position in range(3):
        counts = Counter(sample[position] for sample in samples)
        assert _chi_square(counts.values(), 10, total) < CHI2_999[9], position


# The protocol through a ledger -------------------------------------------------------------


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    """Three consensus parties and a non-consensus one; a draw of 3 of 12 sites opened."""
    ledger, keys = new_ledger(
        tmp_path / "ledger.db", parties=("us", "ru", "uk", "iaea"), consensus=("us", "ru", "uk")
    )
    opening = draws.open_draw(
        ledger,
        keys["us"],
        "sites-1",
        purpose="inspection site",
        population=POPULATION,
        count=3,
        commit_by=at(100),
        reveal_by=at(200),
        time=at(10),
    )
    return ledger, keys, opening


def _commit(setup: Setup, parties: Iterable[str], start: float = 20) -> None:
    ledger, keys, _ = setup
    for offset, party in enumerate(parties):
        draws.commit(ledger, keys[party], "sites-1", SECRETS[party], time=at(start + offset))


def _reveal(setup: Setup, parties: Iterable[str], start: float = 120) -> None:
    ledger, keys, _ = setup
    for offset, party in enumerate(parties):
        draws.reveal(ledger, keys[party], "sites-1", SECRETS[party], time=at(start + offset))


def _statement(ledger: Ledger, opening: Record) -> bytes:
    row = read_rows(Path(ledger.store.name))[opening.seq]
    return hashlib.sha256(b"\x00" + row.content + row.signature).digest()


def _seed(statement: bytes, parties: Iterable[str]) -> bytes:
    message = SEED_DOMAIN + statement
    for party in sorted(parties):
        message += party.encode() + b"\x00" + SECRETS[party]
    return hashlib.sha256(message).digest()


def test_the_opening_record_fixes_the_draw(setup: Setup) -> None:
    ledger, _, opening = setup
    assert opening.body == {
        "draw": "sites-1",
        "purpose": "inspection site",
        "population": POPULATION,
        "count": 3,
        "parties": ["ru", "uk", "us"],
        "commit_by": "2026-01-01T00:01:40.000000Z",
        "reveal_by": "2026-01-01T00:03:20.000000Z",
    }
    ledger.close()


def test_a_full_draw_matches_the_seed_and_commitments_computed_by_hand(setup: Setup) -> None:
    ledger, keys, opening = setup
    _commit(setup, ["us", "ru", "uk"])
    statement = _statement(ledger, opening)
    for record in ledger.records(kinds=["draw_commit"]):
        party = record.party
        expected = hashlib.sha256(
            COMMIT_DOMAIN + statement + party.encode() + b"\x00" + SECRETS[party]
        ).hexdigest()
        assert record.body == {"draw": "sites-1", "commitment": expected}
    _reveal(setup, ["uk", "us", "ru"])
    result = draws.settle(ledger, keys["ru"], "sites-1", time=at(130))
    seed = _seed(statement, ["us", "ru", "uk"])
    assert result.body == {
        "draw": "sites-1",
        "statement": statement.hex(),
        "seed": seed.hex(),
        "selected": [POPULATION[i] for i in draws.sample_indices(seed, 12, 3)],
        "revealed": ["ru", "uk", "us"],
        "defaulted": [],
    }
    assert len(set(result.body["selected"])) == 3
    assert verify_ledger(ledger).kinds["draw_result"] == 1
    ledger.close()


def test_a_commitment_after_the_deadline_is_refused(setup: Setup) -> None:
    ledger, keys, _ = setup
    draws.commit(ledger, keys["us"], "sites-1", SECRETS["us"], time=at(100))  # on the deadline
    with pytest.raises(DrawError):
        draws.commit(ledger, keys["ru"], "sites-1", SECRETS["ru"], time=at(100.001))
    assert [r.party for r in ledger.records(kinds=["draw_commit"])] == ["us"]
    ledger.close()


def test_only_the_draws_parties_commit_once_to_an_open_draw(setup: Setup) -> None:
    ledger, keys, _ = setup
    with pytest.raises(DrawError):
        draws.commit(ledger, keys["iaea"], "sites-1", SECRETS["us"], time=at(20))
    with pytest.raises(DrawError):
        draws.commit(ledger, keys["us"], "no-such-draw", SECRETS["us"], time=at(20))
    draws.commit(ledger, keys["us"], "sites-1", SECRETS["us"], time=at(21))
    with pytest.raises(RecordRejectedError):
        draws.commit(ledger, keys["us"], "sites-1", draws.new_secret(), time=at(22))
    ledger.close()


def test_a_reveal_waits_for_all_commitments_or_the_deadline(setup: Setup) -> None:
    ledger, keys, _ = setup
    _commit(setup, ["us", "ru"])
    for moment in (at(30), at(100)):
        with pytest.raises(DrawError):
            draws.reveal(ledger, keys["us"], "sites-1", SECRETS["us"], time=moment)
    assert list(ledger.records(kinds=["draw_reveal"])) == []
    # Once every party has committed, reveals may start before the deadline.
    _commit(setup, ["uk"], start=50)
    draws.reveal(ledger, keys["us"], "sites-1", SECRETS["us"], time=at(60))
    ledger.close()


def test_a_reveal_after_the_commit_deadline_counts_without_all_commitments(setup: Setup) -> None:
    ledger, keys, opening = setup
    _commit(setup, ["us", "ru"])
    _reveal(setup, ["us", "ru"], start=101)
    # A party that never committed cannot reveal.
    with pytest.raises(DrawError):
        draws.reveal(ledger, keys["uk"], "sites-1", SECRETS["uk"], time=at(150))
    result = draws.settle(ledger, keys["us"], "sites-1", time=at(201))
    assert result.body["defaulted"] == ["uk"]
    assert result.body["seed"] == _seed(_statement(ledger, opening), ["us", "ru"]).hex()
    verify_ledger(ledger)
    ledger.close()


def test_a_wrong_secret_is_refused(setup: Setup) -> None:
    ledger, keys, _ = setup
    _commit(setup, ["us", "ru", "uk"])
    for wrong in (SECRETS["ru"], bytes(32), SECRETS["us"][:-1], SECRETS["us"] + b"\x00"):
        with pytest.raises(DrawError):
            draws.reveal(ledger, keys["us"], "sites-1", wrong, time=at(120))
    assert list(ledger.records(kinds=["draw_reveal"])) == []
    ledger.close()


def test_a_reveal_after_its_deadline_is_refused(setup: Setup) -> None:
    ledger, keys, _ = setup
    _commit(setup, ["us", "ru", "uk"])
    draws.reveal(ledger, keys["us"], "sites-1", SECRETS["us"], time=at(200))  # on the deadline
    with pytest.raises(DrawError):
        draws.reveal(ledger, keys["ru"], "sites-1", SECRETS["ru"], time=at(200.000001))
    ledger.close()


def test_a_party_that_does_not_reveal_is_defaulted(setup: Setup) -> None:
    ledger, keys, opening = setup
    _commit(setup, ["us", "ru", "uk"])
    _reveal(setup, ["ru", "us"])
    # While uk may still reveal, the draw cannot be settled.
    with pytest.raises(DrawError):
        draws.settle(ledger, keys["us"], "sites-1", time=at(200))
    result = draws.settle(ledger, keys["us"], "sites-1", time=at(201))
    seed = _seed(_statement(ledger, opening), ["us", "ru"])
    assert result.body["revealed"] == ["ru", "us"]
    assert result.body["defaulted"] == ["uk"]
    assert result.body["seed"] == seed.hex()
    assert result.body["selected"] == [POPULATION[i] for i in draws.sample_indices(seed, 12, 3)]
    verify_ledger(ledger)
    ledger.close()


def test_a_draw_nobody_reveals_fails(setup: Setup) -> None:
    ledger, keys, _ = setup
    _commit(setup, ["us", "ru", "uk"])
    with pytest.raises(DrawError):
        draws.settle(ledger, keys["us"], "sites-1", time=at(500))
    assert list(ledger.records(kinds=["draw_result"])) == []
    ledger.close()


@pytest.mark.parametrize(
    ("population", "count", "commit_by", "reveal_by"),
    [
        (["a", "b", "a"], 1, 100, 200),
        ([], 1, 100, 200),
        (["a", "b"], 0, 100, 200),
        (["a", "b"], 3, 100, 200),
        (["a", "b"], 1, 200, 200),
        (["a", "b"], 1, 300, 200),
    ],
)
def test_an_impossible_draw_cannot_be_opened(
    tmp_path: Path, population: list[str], count: int, commit_by: float, reveal_by: float
) -> None:
    ledger, keys = new_ledger(tmp_path / "ledger.db")
    with pytest.raises(InputError):
        draws.open_draw(
            ledger,
            keys["us"],
            "d",
            purpose="x",
            population=population,
            count=count,
            commit_by=at(commit_by),
            reveal_by=at(reveal_by),
            time=at(1),
        )
    assert ledger.size == 1
    ledger.close()


# No single party steers the outcome -------------------------------------------------------------


@pytest.mark.parametrize("chooser", ["us", "ru", "uk"])
def test_one_partys_secret_cannot_steer_the_selection(chooser: str) -> None:
    statement = hashlib.sha256(b"an opening record").digest()
    others = {party: secret for party, secret in SECRETS.items() if party != chooser}
    baseline = draws.sample_indices(
        draws.seed_from_secrets(statement, {**others, chooser: SECRETS[chooser]}), 12, 3
    )
    trials = 600
    outcomes = [
        draws.sample_indices(draws.seed_from_secrets(statement, {**others, chooser: s}), 12, 3)
        for s in _seeds(trials, f"chooser-{chooser}")
    ]
    # Changing the secret changes the selection almost always (1 in 1320 keeps it) ...
    same = sum(outcome == baseline for outcome in outcomes)
    assert same <= 3
    # ... and what the chooser gets is spread evenly over the sites.
    first = Counter(outcome[0] for outcome in outcomes)
    assert _chi_square(first.values(), 12, trials) < CHI2_999[11]


def test_the_seed_uses_every_revealed_secret_and_the_statement() -> None:
    statement = hashlib.sha256(b"statement").digest()
    seed = draws.seed_from_secrets(statement, dict(SECRETS))
    assert seed == _seed(statement, SECRETS)
    assert draws.seed_from_secrets(statement, dict(reversed(list(SECRETS.items())))) == seed
    assert draws.seed_from_secrets(hashlib.sha256(b"other").digest(), dict(SECRETS)) != seed
    for party in SECRETS:
        fewer = {p: s for p, s in SECRETS.items() if p != party}
        assert draws.seed_from_secrets(statement, fewer) != seed


def test_commitments_bind_the_secret_the_party_and_the_draw() -> None:
    statement = hashlib.sha256(b"statement").digest()
    secret = SECRETS["us"]
    value = draws.commitment(statement, "us", secret)
    assert value == hashlib.sha256(COMMIT_DOMAIN + statement + b"us" + b"\x00" + secret).digest()
    assert draws.commitment(statement, "ru", secret) != value
    assert draws.commitment(hashlib.sha256(b"other").digest(), "us", secret) != value
    others = {draws.commitment(statement, "us", s) for s in _seeds(1000, "bind")}
    assert value not in others


def test_new_secrets_are_32_fresh_bytes() -> None:
    secrets = {draws.new_secret() for _ in range(50)}
    assert len(secrets) == 50
    assert {len(s) for s in secrets} == {draws.SECRET_BYTES} == {32}


def test_a_reveal_recorded_before_the_last_commitment_does_not_count(setup: Setup) -> None:
    ledger, keys, _ = setup
    _commit(setup, ["us", "uk"])
    # us's secret appears on the ledger on the commit deadline, before ru commits ...
    early = {"draw": "sites-1", "secret": SECRETS["us"].hex()}
    ledger.append("draw_reveal", early, keys["us"], ref="sites-1", time=at(100))
    # ... and ru, who can read it, commits on the deadline too, then reveals.
    draws.commit(ledger, keys["ru"], "sites-1", SECRETS["ru"], time=at(100))
    _reveal(setup, ["ru", "uk"], start=150)
    result = draws.settle(ledger, keys["uk"], "sites-1", time=at(201))
    body: dict[str, Any] = result.body
    ledger.close()
    assert "us" not in body["revealed"]


def test_a_draw_record_whose_reference_is_not_its_draw_is_refused(
    setup: Setup,
) -> None:
    """Draw steps find a draw's records by reference, so the record kind registry holds
    every draw record's reference to the draw its body names: append refuses the stray
    record, and so does import when it was signed elsewhere."""
    ledger, keys, _ = setup
    _commit(setup, ["us"])
    stray = {"draw": "sites-1", "commitment": "00" * 32}
    size = ledger.size
    with pytest.raises(RecordRejectedError, match="reference must equal its body's draw"):
        ledger.append("draw_commit", stray, keys["ru"], ref="sites-2", time=at(30))
    forged = hand_sealed(ledger, keys["ru"], "draw_commit", stray, ref="sites-2", time=at(30))
    with pytest.raises(RecordRejectedError, match="reference must equal"):
        ledger.import_records([forged])
    assert ledger.size == size
    ledger.close()


def test_the_records_of_one_draw_are_found_among_many(setup: Setup) -> None:
    """Other draws' records around it do not change a draw's outcome."""
    ledger, keys, _ = setup
    for number in range(2, 7):
        draws.open_draw(
            ledger,
            keys["uk"],
            f"sites-{number}",
            purpose="another draw",
            population=POPULATION,
            count=1,
            commit_by=at(100),
            reveal_by=at(200),
            time=at(11),
        )
    _commit(setup, ["us", "ru", "uk"])
    for number in range(2, 7):
        draws.commit(ledger, keys["us"], f"sites-{number}", SECRETS["us"], time=at(40))
    _reveal(setup, ["uk", "us", "ru"])
    result = draws.settle(ledger, keys["ru"], "sites-1", time=at(130))
    assert result.body["revealed"] == ["ru", "uk", "us"]
    assert result.body["defaulted"] == []
    verify_ledger(ledger)
    ledger.close()
