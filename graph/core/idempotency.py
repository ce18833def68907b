"""Idempotency keys: a retried change answers what the first one did, and changes nothing.

Every mutation (and every POST of the XML door) takes an optional key. The change records the
key, scoped to whoever made it, in its own transaction, as an ``:IdempotentChange`` whose key
is unique (migration V0016). The same key again answers the original result, the same key for
a different request is a CONFLICT, and of two concurrent requests with one key the second
loses the race to the constraint and answers the first one's result.

The ESP's report changes record theirs beside the report (graph/reports/intake); the analyst
and admin changes here record a ``target``: what the first request answered (a report id, an
agency id, ...), which the resolver reads again, under the reader's row rule, to answer a
replay.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, TypeVar

from neo4j import AsyncManagedTransaction
from neo4j import exceptions as neo4j_errors

from graph.core.db import Database, run
from graph.core.errors import BadInput, Conflict

MAX_KEY: Final = 255
T = TypeVar("T")
R = TypeVar("R")

RECORD_CHANGE: Final = """
CREATE (:IdempotentChange {key: $key, hash: $hash, kind: $kind, target: $target, at: $now})
"""

CHANGE_BY_KEY: Final = """
MATCH (c:IdempotentChange {key: $key})
RETURN c.hash AS hash, c.kind AS kind, c.target AS target
"""


def check_key(key: str | None) -> None:
    if key is not None and not 0 < len(key) <= MAX_KEY:
        raise BadInput(f"idempotencyKey must have 1 to {MAX_KEY} characters",
                       field="idempotencyKey")


def canonical(request: Any) -> str:
    """A request's arguments as canonical JSON (what its hash is taken of)."""
    return json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)


@dataclass(frozen=True, slots=True)
class Change:
    """A change made with an idempotency key: the key, scoped to who made it, the kind of
    change and the hash of its request."""

    key: str
    hash: str
    kind: str

    @classmethod
    def of(cls, scope: str, key: str | None, kind: str, request: str) -> Change | None:
        """``request``: the request's canonical text (see :func:`canonical`)."""
        check_key(key)
        if key is None:
            return None
        digest = hashlib.sha256((kind + request).encode()).hexdigest()
        return cls(f"{scope}:{key}", digest, kind)

    def check(self, hash: str, kind: str) -> None:
        """A recorded change with this key was this request, or the key was reused."""
        if hash != self.hash or kind != self.kind:
            raise Conflict("this idempotencyKey was already used for a different request",
                           field="idempotencyKey")


@dataclass(frozen=True, slots=True)
class Replay:
    """What the first request with the key answered (its ``target``: an id)."""

    target: str


async def replay_tx(tx: AsyncManagedTransaction, change: Change) -> Replay | None:
    records = await run(tx, CHANGE_BY_KEY, key=change.key)
    if not records:
        return None
    change.check(records[0]["hash"], records[0]["kind"])
    return Replay(records[0]["target"])


async def record_tx(tx: AsyncManagedTransaction, change: Change, target: str) -> None:
    await run(tx, RECORD_CHANGE, key=change.key, hash=change.hash, kind=change.kind,
              target=target, now=datetime.now(UTC))


async def keyed_write(db: Database, work: Callable[..., Awaitable[T]], change: Change | None,
                      replay: Callable[[AsyncManagedTransaction, Change], Awaitable[R | None]],
                      *args: Any) -> T | R:
    """``work(tx, change, *args)``, which records ``change``; or, when a concurrent request
    with the same key won the race to the unique constraint, the ``replay`` of that one."""
    try:
        return await db.write(work, change, *args)
    except neo4j_errors.ConstraintError:
        if change is None:
            raise
        found = await db.read(replay, change)
        if found is None:
            raise
        return found


async def write_once(db: Database, change: Change | None,
                     work: Callable[..., Awaitable[T]], *args: Any,
                     target: Callable[[T], str]) -> T | Replay:
    """``db.write(work, *args)``, recording ``change`` (when there is one) in the same
    transaction with the ``target`` of its result; a replay of the key answers that target
    without writing."""
    if change is None:
        return await db.write(work, *args)

    async def once(tx: AsyncManagedTransaction, change: Change, *args: Any) -> T | Replay:
        if (replayed := await replay_tx(tx, change)) is not None:
            return replayed
        done = await work(tx, *args)
        await record_tx(tx, change, target(done))
        return done

    return await keyed_write(db, once, change, replay_tx, *args)
