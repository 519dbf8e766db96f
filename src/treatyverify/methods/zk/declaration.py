"""Committed declarations: per-site counts hidden in commitments, the total proven within the limit.

The declaring party commits to the count of one item category at each of its sites
(:func:`commit_declaration`) and publishes a :class:`CommittedDeclaration`: the
per-site commitments and a zero-knowledge proof that their sum (which every verifier
computes itself) holds a total ``0 ≤ total ≤ limit``. With ``site_bits`` set, each site
count is also proven to lie in ``[0, 2^site_bits)``, so that no site can carry a
negative count that would offset another site's excess. Inspectors then draw sites; the
party reveals the openings of the drawn sites only (:meth:`DeclarationOpenings.open_sites`),
and the inspectors check them against what they counted (:meth:`CommittedDeclaration.check_site`).

A verifier learns that the total complies and the counts at the inspected sites;
the other counts stay hidden (perfectly, by the commitments; the proofs are
honest-verifier zero-knowledge, made non-interactive by Fiat–Shamir).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from treatyverify.errors import InputError
from treatyverify.methods.zk.group import Point, Scalar
from treatyverify.methods.zk.pedersen import (
    MAX_COUNT,
    Opening,
    check_opening,
    commit_counts,
    commit_scalar,
    sum_commitments,
    sum_openings,
)
from treatyverify.methods.zk.rangeproof import (
    MAX_BITS,
    LimitProof,
    ProofContext,
    RangeProof,
    Transcript,
    bits_for_limit,
    prove_ranges,
    slack_commitment,
    verify_ranges,
)

__all__ = [
    "DECLARATION_FORMAT",
    "DECLARATION_TAG",
    "OPENINGS_FORMAT",
    "CommittedDeclaration",
    "DeclarationOpenings",
    "commit_declaration",
    "prove_declaration",
]

DECLARATION_FORMAT: Final = "treatyverify-zk-declaration/1"
"""Value of the ``format`` member of a committed declaration's JSON."""
OPENINGS_FORMAT: Final = "treatyverify-zk-openings/1"
"""Value of the ``format`` member of the JSON of revealed openings."""
DECLARATION_TAG: Final = b"treatyverify/zk/declaration/v1"
"""Domain-separation tag that opens a declaration's Fiat–Shamir transcript."""

_DECL_KEYS: Final = frozenset(
    {"format", "treaty", "party", "period", "category", "limit", "site_bits", "sites", "proof"}
)


def _transcript(
    context: ProofContext,
    category: str,
    limit: int,
    site_bits: int | None,
    sites: Mapping[str, Point],
) -> Transcript:
    transcript = Transcript.for_context(context, DECLARATION_TAG)
    transcript.append(b"category", category.encode())
    transcript.append_int(b"limit", limit)
    transcript.append_int(b"site-bits", 0 if site_bits is None else site_bits)
    transcript.append_int(b"site-count", len(sites))
    for site_id, commitment in sites.items():
        transcript.append(b"site-id", site_id.encode())
        transcript.append(b"site-commitment", bytes(commitment))
    return transcript


def _check_name(value: object, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise InputError("must be a non-empty string", where=where)
    return value


def _check_site_bits(site_bits: object) -> int | None:
    if site_bits is None:
        return None
    if isinstance(site_bits, bool) or not isinstance(site_bits, int):
        raise InputError("must be null or an integer", where="site_bits")
    if not 1 <= site_bits <= MAX_BITS:
        raise InputError(f"must lie in [1, {MAX_BITS}]", where="site_bits")
    return site_bits


@dataclass(frozen=True)
class DeclarationOpenings:
    """The declaring party's secret: the opening of every site commitment.

    Attributes
    ----------
    openings
        Site identifier → opening (count, items, and blinding).
    """

    openings: Mapping[str, Opening] = field(repr=False)

    def open_sites(self, drawn_site_ids: Iterable[str]) -> dict[str, Opening]:
        """The openings of the drawn sites only.

        Raises
        ------
        InputError
            A drawn site is not in the declaration.
        """
        revealed: dict[str, Opening] = {}
        for site_id in drawn_site_ids:
            if site_id not in self.openings:
                raise InputError("not a declared site", where=f"drawn site {site_id!r}")
            revealed[site_id] = self.openings[site_id]
        return revealed

    @staticmethod
    def openings_to_json(openings: Mapping[str, Opening]) -> str:
        """JSON of revealed openings: ``{"format", "openings": [{"id", "value", "blinding"}]}``."""
        return json.dumps(
            {
                "format": OPENINGS_FORMAT,
                "openings": [
                    {"id": k, "value": o.value, "blinding": o.blinding.hex()}
                    for k, o in openings.items()
                ],
            },
            indent=1,
        )

    @staticmethod
    def openings_from_json(text: str) -> dict[str, Opening]:
        """Parse revealed openings strictly (see :meth:`openings_to_json`)."""
        data = _load_json(text)
        if not isinstance(data, dict) or set(data) != {"format", "openings"}:
            raise InputError('expected keys ["format", "openings"]', where="openings")
        if data["format"] != OPENINGS_FORMAT:
            raise InputError(f"expected {OPENINGS_FORMAT!r}", where="format")
        return DeclarationOpenings.openings_from_list(data["openings"])

    @staticmethod
    def openings_from_list(items: object) -> dict[str, Opening]:
        """Parse the list of ``{"id", "value", "blinding"}`` openings strictly."""
        if not isinstance(items, list):
            raise InputError("expected a list", where="openings")
        result: dict[str, Opening] = {}
        for i, item in enumerate(items):
            where = f"openings[{i}]"
            if not isinstance(item, dict) or set(item) != {"id", "value", "blinding"}:
                raise InputError('expected keys ["blinding", "id", "value"]', where=where)
            site_id = _check_name(item["id"], f"{where}.id")
            value = item["value"]
            if isinstance(value, bool) or not isinstance(value, int):
                raise InputError("expected an integer", where=f"{where}.value")
            if not 0 <= value <= MAX_COUNT:
                raise InputError(f"must lie in [0, {MAX_COUNT}]", where=f"{where}.value")
            if site_id in result:
                raise InputError("duplicate site", where=f"{where}.id")
            result[site_id] = Opening(
                value, Scalar.from_hex(item["blinding"], field=f"{where}.blinding")
            )
        return result


@dataclass(frozen=True)
class CommittedDeclaration:
    """The public part of a committed declaration.

    Attributes
    ----------
    context
        Treaty, party and period.
    category
        Item category the counts are of (for example ``"deployed-warheads"``).
    limit
        The treaty limit on the total (items).
    sites
        Site identifier → commitment to that site's count, in declared order.
    proof
        Proof that the sum of the site commitments holds a total in ``[0, limit]``.
    site_bits
        Bit width of the per-site range proofs, or ``None`` when sites are not range-proven.
    site_proofs
        One range proof per site (declared order) when ``site_bits`` is set, else empty.
    """

    context: ProofContext
    category: str
    limit: int
    sites: Mapping[str, Point]
    proof: LimitProof
    site_bits: int | None = None
    site_proofs: tuple[RangeProof, ...] = ()

    def total_commitment(self) -> Point:
        """The commitment to the total: the sum of the site commitments."""
        return sum_commitments(self.sites.values())

    def verify(self) -> bool:
        """Whether the proofs hold: the total lies in ``[0, limit]`` (and each site in range)."""
        bits = bits_for_limit(self.limit)
        total = self.total_commitment()
        statements = [
            (total, bits, self.proof.total),
            (slack_commitment(total, self.limit), bits, self.proof.slack),
        ]
        if self.site_bits is None:
            if self.site_proofs:
                return False
        else:
            if len(self.site_proofs) != len(self.sites):
                return False
            statements.extend(
                (c, self.site_bits, p)
                for c, p in zip(self.sites.values(), self.site_proofs, strict=True)
            )
        transcript = _transcript(
            self.context, self.category, self.limit, self.site_bits, self.sites
        )
        return verify_ranges(statements, transcript)

    def check_site(self, site_id: str, counted: int, opening: Opening) -> bool:
        """Whether a revealed opening matches the site's commitment and the inspectors' count.

        Parameters
        ----------
        site_id
            The inspected site.
        counted
            Number of items the inspectors counted there.
        opening
            The opening the declaring party revealed for that site.
        """
        if site_id not in self.sites:
            raise InputError("not a declared site", where=f"site {site_id!r}")
        return opening.value == counted and check_opening(
            self.sites[site_id], counted, opening.blinding
        )

    def proof_bytes(self) -> int:
        """Size of the proofs in binary form (bytes; 160 per bit), commitments excluded."""
        return len(self.proof.to_bytes()) + sum(len(p.to_bytes()) for p in self.site_proofs)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (see ``docs/zk.md``)."""
        return {
            "format": DECLARATION_FORMAT,
            "treaty": self.context.treaty,
            "party": self.context.party,
            "period": self.context.period,
            "category": self.category,
            "limit": self.limit,
            "site_bits": self.site_bits,
            "sites": [{"id": k, "commitment": c.hex()} for k, c in self.sites.items()],
            "proof": {**self.proof.to_dict(), "sites": [p.to_list() for p in self.site_proofs]},
        }

    def to_json(self) -> str:
        """The declaration as compact JSON text."""
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: object) -> CommittedDeclaration:
        """Parse the JSON form strictly: exact keys, types, lengths and canonical encodings."""
        if not isinstance(data, dict):
            raise InputError("expected a JSON object", where="declaration")
        if set(data) != _DECL_KEYS:
            missing = sorted(_DECL_KEYS - set(data))
            extra = sorted(set(data) - _DECL_KEYS)
            raise InputError(f"missing keys {missing}, unknown keys {extra}", where="declaration")
        if data["format"] != DECLARATION_FORMAT:
            raise InputError(f"expected {DECLARATION_FORMAT!r}", where="format")
        context = ProofContext(
            _check_name(data["treaty"], "treaty"),
            _check_name(data["party"], "party"),
            _check_name(data["period"], "period"),
        )
        category = _check_name(data["category"], "category")
        limit = data["limit"]
        if isinstance(limit, bool) or not isinstance(limit, int):
            raise InputError("expected an integer", where="limit")
        bits_for_limit(limit)
        site_bits = _check_site_bits(data["site_bits"])
        raw_sites = data["sites"]
        if not isinstance(raw_sites, list) or not raw_sites:
            raise InputError("expected a non-empty list", where="sites")
        sites: dict[str, Point] = {}
        for i, item in enumerate(raw_sites):
            where = f"sites[{i}]"
            if not isinstance(item, dict) or set(item) != {"id", "commitment"}:
                raise InputError('expected keys ["commitment", "id"]', where=where)
            site_id = _check_name(item["id"], f"{where}.id")
            if site_id in sites:
                raise InputError("duplicate site", where=f"{where}.id")
            sites[site_id] = Point.from_hex(item["commitment"], field=f"{where}.commitment")
        raw_proof = data["proof"]
        if not isinstance(raw_proof, dict) or set(raw_proof) != {"total", "slack", "sites"}:
            raise InputError('expected keys ["sites", "slack", "total"]', where="proof")
        proof = LimitProof.from_dict(
            {"total": raw_proof["total"], "slack": raw_proof["slack"]}, field="proof"
        )
        raw_site_proofs = raw_proof["sites"]
        expected = 0 if site_bits is None else len(sites)
        if not isinstance(raw_site_proofs, list) or len(raw_site_proofs) != expected:
            raise InputError(f"expected a list of {expected} range proofs", where="proof.sites")
        site_proofs = tuple(
            RangeProof.from_list(p, field=f"proof.sites[{i}]")
            for i, p in enumerate(raw_site_proofs)
        )
        return cls(context, category, limit, sites, proof, site_bits, site_proofs)

    @classmethod
    def from_json(cls, text: str) -> CommittedDeclaration:
        """Parse JSON text strictly (duplicate keys and non-finite numbers are refused)."""
        return cls.from_dict(_load_json(text))


def _reject_constant(name: str) -> Any:
    raise InputError(f"non-finite number {name} is not allowed", where="json")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise InputError(f"duplicate key {key!r}", where="json")
        result[key] = value
    return result


def _load_json(text: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc.msg}, line {exc.lineno})", where="json") from exc
    except RecursionError as exc:
        raise InputError("JSON nested too deeply", where="json") from exc


def commit_declaration(
    counts: Mapping[str, int],
    *,
    limit: int,
    context: ProofContext,
    category: str,
    site_bits: int | None = None,
) -> tuple[CommittedDeclaration, DeclarationOpenings]:
    """Commit to per-site counts and prove that their total is within the limit.

    Parameters
    ----------
    counts
        Site identifier → count of ``category`` items at that site (items), in the
        order to publish.
    limit
        The treaty limit on the total (items).
    context
        Treaty, party and period, bound into the proof.
    category
        Item category the counts are of.
    site_bits
        When set, also prove every site count in ``[0, 2^site_bits)`` (stronger,
        costlier; see ``docs/zk.md``).

    Returns
    -------
    tuple
        The public declaration and the party's secret openings.

    Raises
    ------
    InputError
        A count or name is malformed, or the total exceeds the limit (the prover
        refuses: no valid proof exists), or a site count exceeds ``2^site_bits - 1``.
    """
    _check_name(category, "category")
    if not counts:
        raise InputError("a declaration needs at least one site", where="counts")
    openings = DeclarationOpenings(dict(commit_counts(counts).openings))
    declaration = prove_declaration(
        openings, limit=limit, context=context, category=category, site_bits=site_bits
    )
    return declaration, openings


def prove_declaration(
    openings: DeclarationOpenings,
    *,
    limit: int,
    context: ProofContext,
    category: str,
    site_bits: int | None = None,
) -> CommittedDeclaration:
    """Prove, from the party's openings, that the committed total is within the limit.

    The site commitments are recomputed from the openings (``value G + blinding H``), so
    a party can commit first (:func:`commit_declaration` or
    :func:`~treatyverify.methods.zk.pedersen.commit_counts`) and prove later. Parameters
    and errors as :func:`commit_declaration`.
    """
    _check_name(category, "category")
    site_bits = _check_site_bits(site_bits)
    bits = bits_for_limit(limit)
    if not openings.openings:
        raise InputError("a declaration needs at least one site", where="counts")
    sites = {
        _check_name(site_id, f"sites[{site_id!r}]"): commit_scalar(
            Scalar.from_int(o.value), o.blinding
        )
        for site_id, o in openings.openings.items()
    }
    total = sum_openings(openings.openings.values())
    if total.value > limit:
        raise InputError(
            "the declared total exceeds the limit; refusing to prove compliance", where="limit"
        )
    statements: list[tuple[Opening, int]] = [
        (total, bits),
        (Opening(limit - total.value, -total.blinding), bits),
    ]
    if site_bits is not None:
        for site_id, opening in openings.openings.items():
            if opening.value >= 1 << site_bits:
                raise InputError(f"exceeds 2^{site_bits} - 1", where=f"counts[{site_id}]")
            statements.append((opening, site_bits))
    proofs = prove_ranges(statements, _transcript(context, category, limit, site_bits, sites))
    return CommittedDeclaration(
        context,
        category,
        limit,
        sites,
        LimitProof(proofs[0], proofs[1]),
        site_bits,
        tuple(proofs[2:]),
    )
