"""HTTP Basic credentials for the CyberTipline door: one username and password per ESP.

The password is shown once, when it is made (``tipgraph esp create``), and stored only as an
argon2id hash on the ``:Reporter`` (OWASP's argon2id setting: 19 MiB, 2 passes; a hash made
with other parameters is replaced on its next successful check). Verifying argon2 is
deliberately slow and takes memory, so:

- a successful check is remembered for ``cache_seconds`` (keyed by a SHA-256 of the pair,
  never the password); a new password takes effect everywhere within that time;
- failures are throttled per username and per client address (:class:`FailureThrottle`):
  past the limit an attempt is refused at once (429, ``Retry-After``) without hashing;
- at most ``max_hashing`` checks hash at once, off the event loop; the rest wait their turn,
  so many concurrent wrong passwords cost time, not memory.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import secrets
import time
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from neo4j import AsyncManagedTransaction

from graph.core.db import Database, run
from graph.core.errors import NotFound

SET_CREDENTIALS: Final = """
MATCH (e:Reporter {id: $id})
SET e.username = $username, e.passwordHash = $hash, e.credentialsAt = datetime()
RETURN e.id AS id
"""

BY_USERNAME: Final = """
MATCH (e:Reporter {username: $username})
RETURN e.id AS id, e.passwordHash AS hash
"""

HAS_CREDENTIALS: Final = "MATCH (e:Reporter {id: $id}) RETURN e.passwordHash IS NOT NULL AS has"

HASHER: Final = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
MAX_CACHED: Final = 10_000
REHASH: Final = """
MATCH (e:Reporter {id: $id}) WHERE e.passwordHash = $old
SET e.passwordHash = $hash
"""


class Throttled(Exception):
    """Too many failed attempts lately; try again after ``retry_after`` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"too many failed attempts; try again in {retry_after:.0f} s")
        self.retry_after = retry_after


class FailureThrottle:
    """Failed attempts per key (a username, a client address) in a sliding window; attempts
    under way count as failures until they succeed, so a burst cannot outrun the limit."""

    def __init__(self, limit: int, window_seconds: float, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window = window_seconds
        self.max_keys = max_keys
        self._failures: dict[str, list[float]] = {}
        self._pending: dict[str, int] = {}

    def begin(self, keys: list[str]) -> None:
        """Claim an attempt for each key; raises :class:`Throttled` past the limit."""
        now = time.monotonic()
        for key in keys:
            recent = [t for t in self._failures.get(key, ()) if t > now - self.window]
            if recent:
                self._failures[key] = recent
            else:
                self._failures.pop(key, None)
            if len(recent) + self._pending.get(key, 0) >= self.limit:
                oldest = recent[0] if recent else now
                raise Throttled(max(1.0, oldest + self.window - now))
        for key in keys:
            self._pending[key] = self._pending.get(key, 0) + 1

    def end(self, keys: list[str], *, failed: bool) -> None:
        now = time.monotonic()
        if len(self._failures) > self.max_keys:
            self._failures.clear()  # bounded memory; the window starts afresh
        for key in keys:
            self._pending[key] -= 1
            if not self._pending[key]:
                del self._pending[key]
            if failed:
                self._failures.setdefault(key, []).append(now)


async def _set_tx(tx: AsyncManagedTransaction, reporter_id: str, username: str,
                  hashed: str) -> bool:
    return bool(await run(tx, SET_CREDENTIALS, id=reporter_id, username=username, hash=hashed))


async def issue_credentials(db: Database, reporter_id: str) -> tuple[str, str]:
    """A new password for a registered ESP (its id is its username); replaces the old one."""
    password = secrets.token_urlsafe(24)
    hashed = await asyncio.to_thread(HASHER.hash, password)
    if not await db.write(_set_tx, reporter_id, reporter_id, hashed):
        raise NotFound(f"ESP {reporter_id!r} is not registered")
    return reporter_id, password


async def _has_tx(tx: AsyncManagedTransaction, reporter_id: str) -> bool:
    records = await run(tx, HAS_CREDENTIALS, id=reporter_id)
    return bool(records and records[0]["has"])


async def has_credentials(db: Database, reporter_id: str) -> bool:
    return await db.read(_has_tx, reporter_id)


async def _by_username_tx(tx: AsyncManagedTransaction,
                          username: str) -> tuple[str, str] | None:
    records = await run(tx, BY_USERNAME, username=username)
    if not records or records[0]["hash"] is None:
        return None
    return records[0]["id"], records[0]["hash"]


class EspCredentials:
    def __init__(self, db: Database, cache_seconds: float = 60.0, *,
                 failures_per_username: int = 5, failures_per_address: int = 20,
                 window_seconds: float = 60.0, max_hashing: int = 2) -> None:
        self.db = db
        self.cache_seconds = cache_seconds
        self._verified: dict[bytes, tuple[str, float]] = {}
        self.by_username = FailureThrottle(failures_per_username, window_seconds)
        self.by_address = FailureThrottle(failures_per_address, window_seconds)
        self._hashing = asyncio.Semaphore(max_hashing)
        self._checking: dict[bytes, asyncio.Future[str | None]] = {}

    async def verify(self, username: str, password: str,
                     address: str | None = None) -> str | None:
        """The ESP id these credentials belong to, or None; :class:`Throttled` when this
        username or address failed too often lately (nothing is hashed then)."""
        key = hashlib.sha256(f"{username}\0{password}".encode()).digest()
        cached = self._verified.get(key)
        now = time.monotonic()
        if cached is not None and cached[1] > now:
            return cached[0]
        # One check at a time for the same credentials: an ESP's concurrent first requests
        # share it (one attempt, one hash) instead of each counting against the limit.
        in_flight = self._checking.get(key)
        if in_flight is not None:
            return await asyncio.shield(in_flight)
        check = asyncio.ensure_future(self._attempt(key, username, password, address, now))
        self._checking[key] = check
        try:
            return await asyncio.shield(check)
        finally:
            if check.done():
                self._checking.pop(key, None)
            else:
                check.add_done_callback(lambda _: self._checking.pop(key, None))

    async def _attempt(self, key: bytes, username: str, password: str, address: str | None,
                       now: float) -> str | None:
        users, addresses = [username], [address or "-"]
        self.by_username.begin(users)
        try:
            self.by_address.begin(addresses)
        except Throttled:
            self.by_username.end(users, failed=False)
            raise
        reporter_id = None
        try:
            reporter_id = await self._check(username, password)
        finally:
            self.by_username.end(users, failed=reporter_id is None)
            self.by_address.end(addresses, failed=reporter_id is None)
        if reporter_id is not None:
            if len(self._verified) >= MAX_CACHED:
                self._verified.clear()
            self._verified[key] = (reporter_id, now + self.cache_seconds)
        return reporter_id

    async def _check(self, username: str, password: str) -> str | None:
        found = await self.db.read(_by_username_tx, username)
        async with self._hashing:
            if found is None:
                # The same work as a real check, so timing does not tell which usernames exist.
                await asyncio.to_thread(_verify, _dummy_hash(), password)
                return None
            reporter_id, hashed = found
            if not await asyncio.to_thread(_verify, hashed, password):
                return None
            if HASHER.check_needs_rehash(hashed):
                rehashed = await asyncio.to_thread(HASHER.hash, password)
                await self.db.write(_rehash_tx, reporter_id, hashed, rehashed)
        return reporter_id


async def _rehash_tx(tx: AsyncManagedTransaction, reporter_id: str, old: str,
                     new: str) -> None:
    await run(tx, REHASH, id=reporter_id, old=old, hash=new)


def _verify(hashed: str, password: str) -> bool:
    try:
        return HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    return HASHER.hash(secrets.token_urlsafe(24))
