"""Committed declarations: 1,550 warheads over 50 sites, JSON strictness, site openings."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from treatyverify.errors import InputError
from treatyverify.methods.zk.declaration import (
    CommittedDeclaration,
    DeclarationOpenings,
    _transcript,
    commit_declaration,
)
from treatyverify.methods.zk.group import GROUP_ORDER, Scalar
from treatyverify.methods.zk.pedersen import Opening, commit_scalar
from treatyverify.methods.zk.rangeproof import (
    LimitProof,
    ProofContext,
    bits_for_limit,
    prove_ranges,
)

CTX = ProofContext("new-start", "us", "2026-09-01")
CATEGORY = "deployed-warheads"
LIMIT = 1550  # New START Article II.1(b): 1,550 deployed warheads


def _counts(total: int, sites: int, seed: int) -> dict[str, int]:
    """``total`` items spread over ``sites`` sites at random (seeded)."""
    rng = random.Random(seed)
    counts = dict.fromkeys((f"site-{i:02d}" for i in range(sites)), 0)
    names = list(counts)
    for _ in range(total):
        counts[rng.choice(names)] += 1
    return counts


@pytest.fixture(scope="module")
def declared() -> tuple[CommittedDeclaration, DeclarationOpenings, dict[str, int]]:
    counts = _counts(LIMIT, 50, seed=1)
    decl, openings = commit_declaration(counts, limit=LIMIT, context=CTX, category=CATEGORY)
    return decl, openings, counts


def test_completeness_1550_over_50_sites(declared: Any) -> None:
    decl, _, _ = declared
    assert len(decl.sites) == 50
    assert decl.verify()
    again = CommittedDeclaration.from_json(decl.to_json())
    assert again == decl
    assert again.verify()
    assert decl.proof_bytes() == 2 * 11 * 160


def test_open_drawn_sites_only(declared: Any) -> None:
    decl, openings, counts = declared
    drawn = ["site-07", "site-31", "site-44"]
    revealed = openings.open_sites(drawn)
    assert list(revealed) == drawn
    for site in drawn:
        assert decl.check_site(site, counts[site], revealed[site])
        assert not decl.check_site(site, counts[site] + 1, revealed[site])
    assert not decl.check_site("site-08", counts["site-07"], revealed["site-07"])
    parsed = DeclarationOpenings.openings_from_json(DeclarationOpenings.openings_to_json(revealed))
    assert parsed == revealed
    with pytest.raises(InputError, match="not a declared site"):
        openings.open_sites(["site-99"])
    with pytest.raises(InputError):
        decl.check_site("site-99", 0, revealed["site-07"])


def test_over_limit_refused() -> None:
    with pytest.raises(InputError, match="exceeds the limit"):
        commit_declaration(_counts(LIMIT + 1, 5, 2), limit=LIMIT, context=CTX, category=CATEGORY)


def _mutate(decl: CommittedDeclaration, path: list[Any], value: Any) -> str:
    data = decl.to_dict()
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return json.dumps(data)


def test_altered_content_fails_verification(declared: Any) -> None:
    decl, _, _ = declared
    d = decl.to_dict()
    other_c = d["sites"][1]["commitment"]
    changes: list[tuple[list[Any], Any]] = [
        (["treaty"], "inf"),
        (["party"], "ru"),
        (["period"], "2027-03-01"),
        (["category"], "non-deployed-launchers"),
        (["limit"], 1549),
        (["sites", 0, "commitment"], other_c),
        (["sites", 0, "id"], "site-xx"),
        (["proof", "total", 3, "z1"], d["proof"]["total"][3]["z0"]),
        (["proof", "slack", 0, "e0"], d["proof"]["slack"][0]["e1"]),
    ]
    for path, value in changes:
        assert not CommittedDeclaration.from_json(_mutate(decl, path, value)).verify(), path
    swapped = dict(d)
    swapped["sites"] = [d["sites"][1], d["sites"][0], *d["sites"][2:]]
    assert not CommittedDeclaration.from_dict(swapped).verify()
    dropped = dict(d)
    dropped["sites"] = d["sites"][1:]
    assert not CommittedDeclaration.from_dict(dropped).verify()


_NONCANONICAL_SCALAR = GROUP_ORDER.to_bytes(32, "little").hex()
_NONCANONICAL_POINT = (
    "ed57ffd8c914fb201471d1c3d245ce3c746fcbe63a3679d51b6a516c77d7f060"  # RFC 9496 A.2
)


@pytest.mark.parametrize(
    ("path", "value", "where"),
    [
        (["sites", 2, "commitment"], "ab" * 31, "sites[2].commitment"),
        (["sites", 2, "commitment"], "zz" * 32, "sites[2].commitment"),
        (["sites", 2, "commitment"], _NONCANONICAL_POINT, "sites[2].commitment"),
        (["sites", 2, "id"], "", "sites[2].id"),
        (["sites", 2, "id"], "site-00", "sites[2].id"),
        (["proof", "total", 1, "z0"], _NONCANONICAL_SCALAR, "proof.total[1].z0"),
        (["proof", "slack", 4, "C"], _NONCANONICAL_POINT, "proof.slack[4].C"),
        (["proof", "slack", 4, "e1"], "AB" * 32, "proof.slack[4].e1"),
        (["proof", "total"], [], "proof.total"),
        (["proof", "sites"], [[]], "proof.sites"),
        (["limit"], True, "limit"),
        (["limit"], -1, "limit"),
        (["site_bits"], 0, "site_bits"),
        (["format"], "v2", "format"),
        (["treaty"], 5, "treaty"),
    ],
)
def test_strict_parsing_names_the_field(
    declared: Any, path: list[Any], value: Any, where: str
) -> None:
    decl, _, _ = declared
    with pytest.raises(InputError) as info:
        CommittedDeclaration.from_json(_mutate(decl, path, value))
    assert info.value.where == where


def test_strict_json_structure(declared: Any) -> None:
    decl, _, _ = declared
    text = decl.to_json()
    for bad, where in [
        ("{", "json"),
        ("[]", "declaration"),
        (text[:-1] + ',"extra":1}', "declaration"),
        (text[:-1] + ',"limit":1550}', "json"),  # duplicate key
        (text.replace('"limit":1550', '"limit":NaN'), "json"),
    ]:
        with pytest.raises(InputError) as info:
            CommittedDeclaration.from_json(bad)
        assert info.value.where == where
    with pytest.raises(InputError) as info:
        DeclarationOpenings.openings_from_json(
            json.dumps(
                {
                    "format": "treatyverify-zk-openings/1",
                    "openings": [{"id": "a", "value": -1, "blinding": "00" * 32}],
                }
            )
        )
    assert info.value.where == "openings[0].value"


def test_site_range_proofs() -> None:
    counts = {"a": 300, "b": 0, "c": 511}
    decl, _ = commit_declaration(counts, limit=LIMIT, context=CTX, category=CATEGORY, site_bits=9)
    assert decl.verify()
    assert CommittedDeclaration.from_json(decl.to_json()).verify()
    stripped = CommittedDeclaration(decl.context, decl.category, decl.limit, decl.sites, decl.proof)
    assert not stripped.verify()  # site_bits is bound into the transcript
    with pytest.raises(InputError) as info:
        commit_declaration({"a": 512}, limit=LIMIT, context=CTX, category=CATEGORY, site_bits=9)
    assert info.value.where == "counts[a]"


def _negative_site_declaration(site_bits: int | None) -> CommittedDeclaration:
    """A cheat: 2,000 at site a, "−500" (ℓ − 500) at site b, so the committed total is 1,500."""
    ra, rb = Scalar.random(), Scalar.random()
    sites = {
        "a": commit_scalar(Scalar.from_int(2000), ra),
        "b": commit_scalar(Scalar.from_int(-500), rb),
    }
    total = Opening(1500, ra + rb)
    bits = bits_for_limit(LIMIT)
    statements = [(total, bits), (Opening(LIMIT - 1500, -(ra + rb)), bits)]
    proofs = prove_ranges(statements, _transcript(CTX, CATEGORY, LIMIT, site_bits, sites))
    return CommittedDeclaration(
        CTX, CATEGORY, LIMIT, sites, LimitProof(proofs[0], proofs[1]), site_bits, ()
    )


def test_negative_site_cheat_needs_site_range_proofs() -> None:
    # Without per-site range proofs the offsetting cheat verifies; only an inspection of
    # site b (whose opening is not a count) would expose it. With site_bits it cannot
    # be proven: the prover has no bit decomposition of ℓ − 500, and omitting the site
    # proofs fails verification.
    assert _negative_site_declaration(None).verify()
    assert not _negative_site_declaration(11).verify()
