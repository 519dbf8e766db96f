"""A Python client of the service, and a ledger that lives behind it.

:class:`ServiceClient` signs every request with the member's key. :class:`RemoteLedger`
is a :class:`~treatyverify.records.ledger.Ledger` whose records are on the service: the
library's own calls (declarations, notices, draws, co-signatures, findings) work on it
unchanged. Its records are signed here, by the member, and checked against the keys
the ledger's opening record pins as they are read back.

A signature shows that a record is genuine, not that none was left out. A remote ledger
that *holds* heads (checkpoints, or JSON tree heads, given at construction or with
:meth:`RemoteLedger.hold`) reads every record those heads cover in full, in order, and
checks that they hash to each head's root before it hands any of them out, so a service
that drops a record (a dissent, say) from what it serves is caught. The checkpoint the
service serves is checked against the heads held with the service's consistency proofs
(:meth:`RemoteLedger.check_checkpoint`): a split view raises
:class:`~treatyverify.errors.VerificationError`.
"""

from __future__ import annotations

import itertools
import random
import time as clock
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from treatyverify.canonical import canonical_bytes
from treatyverify.errors import InputError, TreatyVerifyError, UnknownNameError, VerificationError
from treatyverify.records.checkpoint import Checkpoint, ledger_origin, parse_checkpoint
from treatyverify.records.heads import HeadView, TreeHead, check_heads_consistent
from treatyverify.records.keys import PartyKey, PublicPartyKey
from treatyverify.records.ledger import (
    GENESIS_KIND,
    MAX_CLOCK_SKEW_S,
    RECORD_DOMAIN,
    Entry,
    Ledger,
    Record,
    parse_party_keys,
    seal_records,
)
from treatyverify.records.merkle import MerkleAccumulator, verify_inclusion
from treatyverify.service.auth import sign_request

__all__ = ["RemoteLedger", "ServiceClient", "ServiceError", "connect"]

PAGE = 1000
CONFLICT_ATTEMPTS = 50


class ServiceError(TreatyVerifyError):
    """The service refused a request (``status``) or could not be reached (``status`` 0)."""

    def __init__(self, status: int, message: str, *, where: str | None = None) -> None:
        self.status = status
        super().__init__(message, where=where)


class ServiceClient:
    """Signed requests to one service as one member.

    Parameters
    ----------
    base_url
        The service's address, for example ``http://127.0.0.1:8700``.
    key
        The member's private key; requests are signed as ``key.party``.
    http
        An ``httpx.Client`` to send with (FastAPI's ``TestClient`` in tests); a new
        one by default.
    now
        The clock for request times (UTC).
    """

    def __init__(
        self,
        base_url: str,
        key: PartyKey,
        *,
        http: httpx.Client | None = None,
        now: Callable[[], datetime] | None = None,
        timeout_s: float = 60.0,
    ) -> None:
        self.key = key
        self.base_url = base_url.rstrip("/")
        try:
            self.http = http or httpx.Client(base_url=self.base_url, timeout=timeout_s)
        except httpx.InvalidURL as exc:
            raise InputError(f"not a usable URL ({exc})", where="--url") from None
        self.now = now or (lambda: datetime.now(UTC))

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> httpx.Response:
        """Send one signed request; the response whatever its status."""
        content = b"" if body is None else canonical_bytes(body)
        headers = {"Content-Type": "application/json"} if body is not None else {}
        request = self.http.build_request(
            method, self.base_url + path, params=params, content=content, headers=headers
        )
        target = request.url.raw_path.decode("ascii")
        request.headers.update(sign_request(self.key, method, target, content, time=self.now()))
        try:
            return self.http.send(request)
        except httpx.HTTPError as exc:
            raise ServiceError(
                0, f"cannot reach the service ({type(exc).__name__})", where=self.base_url
            ) from None

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> Any:
        """Send one signed request and return its JSON; :class:`ServiceError` on refusal."""
        response = self.send(method, path, params=params, body=body)
        if response.status_code >= 400:
            raise ServiceError(response.status_code, _detail(response), where=f"{method} {path}")
        return response.json()

    def session(self) -> str:
        """A read-only session token for the dashboard."""
        grant: dict[str, str] = self.call("POST", "/api/sessions")
        return grant["token"]


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = None
    return str(detail) if detail else f"HTTP {response.status_code}"


class RemoteLedger(Ledger):
    """A ledger held by the service, read and written through signed requests.

    Every record read is checked against the keys pinned by the opening record; records
    written are signed locally by the member and appended by the service, which refuses
    them if another record took their place first (they are then signed again on the
    new head, up to ``CONFLICT_ATTEMPTS`` times).
    """

    def __init__(self, client: ServiceClient, *, heads: Sequence[TreeHead] = ()) -> None:
        # No local store: records are read from the service and checked here.
        self.client = client
        self._held: dict[int, tuple[TreeHead, HeadView]] = {}
        self._covered: list[Record] = []
        self.genesis = self._fetch(0)
        if self.genesis.kind != GENESIS_KIND:
            raise VerificationError("record 0 does not open a ledger", seq=0)
        body = self.genesis.body
        self.keys: dict[str, PublicPartyKey] = parse_party_keys(body, where="record 0")
        self._check(self.genesis)
        self.treaty = self.genesis.treaty
        self.spec_digest = body["spec_digest"]
        self.spec_text = body.get("spec_text")
        self.spec_format = body.get("spec_format")
        self.consensus_parties = tuple(body["consensus_parties"])
        self.hold(*heads)

    def close(self) -> None:
        self.client.close()

    # Heads held, and what they cover ------------------------------------------------

    def hold(self, *heads: TreeHead) -> None:
        """Hold ``heads``: records they cover are read only once checked against them.

        Raises
        ------
        VerificationError
            A head without a valid signature of a pinned key, of another ledger, or of a
            size already held with another root (a split view).
        """
        origin = ledger_origin(self)
        for head in heads:
            view = head.view(self.keys)
            if view.treaty != self.treaty or view.origin not in (None, origin):
                raise VerificationError(
                    f"{view.describe()} is of another ledger than the service's ({origin})",
                    where="head",
                )
            kept = self._held.get(view.tree_size)
            if kept is not None and kept[1].root != view.root:
                raise VerificationError(
                    f"split view: {kept[1].describe()} and {view.describe()} have different roots",
                    where="head",
                )
            self._held.setdefault(view.tree_size, (head, view))

    @property
    def covered(self) -> int:
        """Number of records the heads held cover (0 without a head)."""
        return max(self._held, default=0)

    def _covered_records(self) -> list[Record]:
        """Records 0 .. covered - 1, read in full and checked against every head held.

        Raises
        ------
        VerificationError
            A record skipped, missing or changed: the records served do not hash to the
            root of a head held (named by its signers).
        """
        covered = self.covered
        if len(self._covered) >= covered:
            return self._covered[:covered]
        records: list[Record] = []
        tree = MerkleAccumulator()
        while len(records) < covered:
            params = {"start": len(records), "limit": min(PAGE, covered - len(records))}
            page = self.client.call("GET", "/api/records", params=params)["records"]
            if not page:
                break
            for document in page[: covered - len(records)]:
                record = self._check(Record.from_json(document, where="records"))
                if record.seq != len(records):
                    raise VerificationError(
                        f"the service skipped record {len(records)} (it served record "
                        f"{record.seq} next), which a head held covers",
                        seq=len(records),
                    )
                records.append(record)
                tree.append(record.hash)
                held = self._held.get(tree.size)
                if held is not None and tree.root() != held[1].root:
                    raise VerificationError(
                        f"the records the service served do not hash to the root of "
                        f"{held[1].describe()}: a record before {tree.size} was dropped, "
                        "replaced or reordered",
                        where=f"records 0-{tree.size - 1}",
                    )
        if len(records) < covered:
            _, view = self._held[covered]
            raise VerificationError(
                f"the service served {len(records)} records, fewer than the {covered} of "
                f"{view.describe()}: records were dropped",
                seq=len(records),
            )
        self._covered = records
        return records

    def checkpoint(self, size: int | None = None) -> Checkpoint:
        """The checkpoint the service serves (the largest signed so far by default), with
        the signatures collected; parsed, not yet verified (see :meth:`check_checkpoint`)."""
        params = {} if size is None else {"size": size}
        response = self.client.send("GET", "/api/ledger/checkpoint", params=params)
        if response.status_code >= 400:
            raise ServiceError(
                response.status_code, _detail(response), where="GET /api/ledger/checkpoint"
            )
        return parse_checkpoint(response.text, where="GET /api/ledger/checkpoint")

    def check_checkpoint(
        self, held: Sequence[TreeHead] = (), *, size: int | None = None
    ) -> Checkpoint:
        """Fetch the served checkpoint, check it and hold it.

        It must carry a valid signature of a pinned key and be of this ledger, and be one
        history with every head in ``held`` and every head already held (the service's
        consistency proofs, checked against the signed roots alone).

        Raises
        ------
        VerificationError
            Naming the signers: a split view, a head the service can no longer prove (it
            holds fewer records), or a checkpoint without a valid pinned signature.
        """
        served = self.checkpoint(size)
        view = served.view(self.keys)
        if view.origin != ledger_origin(self):
            raise VerificationError(
                f"the service served {view.describe()} of another ledger (origin {view.origin})",
                where="checkpoint",
            )
        kept_heads = [*held, *(head for head, _ in self._held.values())]
        for kept in kept_heads:
            kept_view = kept.view(self.keys)
            old, new = sorted((kept_view, view), key=lambda v: v.tree_size)
            proof: list[bytes] = []
            if old.tree_size != new.tree_size:
                try:
                    proof = self.consistency_proof(old.tree_size, new.tree_size)
                except ServiceError as exc:
                    if exc.status not in (404, 422):
                        raise
                    raise VerificationError(
                        f"the service cannot prove {old.describe()} and {new.describe()} one "
                        f"history ({exc.message}): records were deleted, or a split view",
                        where="checkpoint",
                    ) from None
            check_heads_consistent(kept, served, self.keys, proof)
        self.hold(*held, served)
        return served

    def post_checkpoint(self, checkpoint: Checkpoint) -> dict[str, Any]:
        """Post ``checkpoint`` carrying this member's signature or cosignature."""
        answer: dict[str, Any] = self.client.call(
            "POST", "/api/ledger/checkpoint", body={"checkpoint": checkpoint.note()}
        )
        return answer

    def _check(self, record: Record) -> Record:
        pinned = self.keys.get(record.party)
        if pinned is None or not pinned.verify(record.signature, RECORD_DOMAIN + record.content):
            raise VerificationError(
                "the service returned a record whose signature does not verify", seq=record.seq
            )
        return record

    def _fetch(self, seq: int) -> Record:
        try:
            document = self.client.call("GET", f"/api/records/{seq}")
        except ServiceError as exc:
            if exc.status == 404:
                raise UnknownNameError(exc.message, where=f"record {seq}") from None
            raise
        record = Record.from_json(document, where=f"record {seq}")
        if record.seq != seq:
            raise VerificationError(f"asked for record {seq}, got {record.seq}", seq=seq)
        return record

    @property
    def size(self) -> int:
        head: dict[str, Any] = self.client.call("GET", "/api/ledger/head")
        return int(head["size"])

    def get(self, seq: int) -> Record:
        record = self._check(self._fetch(seq))
        covered = self.covered
        if seq < covered:
            # The record must be in the tree of the largest head held (RFC 9162 2.1.3).
            root = self._held[covered][1].root
            if not verify_inclusion(
                record.hash, seq, covered, self.inclusion_proof(seq, covered), root
            ):
                raise VerificationError(
                    f"the service served a record {seq} that is not in "
                    f"{self._held[covered][1].describe()}",
                    seq=seq,
                )
        return record

    def records(
        self, *, kinds: Sequence[str] | None = None, start: int = 0, ref: str | None = None
    ) -> Iterator[Record]:
        covered = self.covered
        if start < covered:
            # Covered records are read in full and checked before any is handed out;
            # the filters are applied here, so the service cannot leave one out.
            for record in self._covered_records()[start:]:
                if (kinds is None or record.kind in kinds) and (ref is None or record.ref == ref):
                    yield record
            start = covered
        while True:
            params: dict[str, Any] = {"start": start, "limit": PAGE}
            if kinds is not None:
                params["kind"] = list(kinds)
            if ref is not None:
                params["ref"] = ref
            page = self.client.call("GET", "/api/records", params=params)["records"]
            for document in page:
                record = self._check(Record.from_json(document, where="records"))
                yield record
                start = record.seq + 1
            if len(page) < PAGE:
                return

    def append_many(
        self, entries: Sequence[Entry], signer: PartyKey, *, time: datetime | None = None
    ) -> list[Record]:
        if not entries:
            return []
        if signer.party != self.client.key.party:
            raise TreatyVerifyError(
                f"this connection signs requests as {self.client.key.party}; "
                f"it cannot submit {signer.party}'s records",
                where="party",
            )
        for attempt in itertools.count(1):
            head = self.client.call("GET", "/api/ledger/head")
            records = seal_records(
                self.treaty,
                entries,
                signer,
                seq=int(head["size"]),
                head=bytes.fromhex(head["head"]),
                time=time or self.client.now(),
            )
            response = self.client.send(
                "POST", "/api/records", body={"records": [_signed(r) for r in records]}
            )
            if response.status_code == 201:
                return records
            if response.status_code != 409 or attempt >= CONFLICT_ATTEMPTS:
                raise ServiceError(
                    response.status_code, _detail(response), where="POST /api/records"
                )
            clock.sleep(random.uniform(0.0, 0.002 * min(attempt, 10)))
        raise AssertionError("unreachable")

    def import_records(
        self,
        records: Sequence[Record],
        *,
        clock: datetime | None = None,
        skew_s: float = MAX_CLOCK_SKEW_S,
    ) -> int:
        del clock, skew_s  # the service checks the times against its own clock
        response = self.client.call(
            "POST", "/api/records", body={"records": [_signed(r) for r in records]}
        )
        return int(response["appended"])

    def leaf_hashes(self, size: int | None = None) -> list[bytes]:
        raise NotImplementedError(
            "a remote ledger serves proofs, not its leaves (GET /api/ledger/proofs)"
        )

    def root(self, size: int | None = None) -> bytes:
        head = self.client.call("GET", "/api/ledger")
        if size is None or size == head["size"]:
            return bytes.fromhex(head["root"])
        proof = self.client.call("GET", "/api/ledger/proofs/consistency", params={"old": size})
        return bytes.fromhex(proof["old_root"])

    def inclusion_proof(self, seq: int, size: int | None = None) -> list[bytes]:
        params = {} if size is None else {"size": size}
        proof = self.client.call("GET", f"/api/ledger/proofs/inclusion/{seq}", params=params)
        return [bytes.fromhex(node) for node in proof["path"]]

    def consistency_proof(self, old_size: int, size: int | None = None) -> list[bytes]:
        params: dict[str, Any] = {"old": old_size}
        if size is not None:
            params["size"] = size
        proof = self.client.call("GET", "/api/ledger/proofs/consistency", params=params)
        return [bytes.fromhex(node) for node in proof["path"]]


def _signed(record: Record) -> dict[str, Any]:
    document = record.to_json()
    return {"envelope": document["envelope"], "signature": document["signature"]}


def connect(base_url: str, key: PartyKey | Path, **options: Any) -> RemoteLedger:
    """The service's ledger, for the member whose private key is ``key``."""
    # Imported here: reading a key file is the only use of the key loader.
    from treatyverify.records.keys import load_private_key

    signer = load_private_key(key) if isinstance(key, Path) else key
    return RemoteLedger(ServiceClient(base_url, signer, **options))
