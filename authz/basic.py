"""HTTP Basic credentials for the CyberTipline door: one username and password per ESP.

The password is shown once, when it is made (``tipgraph esp create``), and stored only as an
argon2id hash on the ``:Reporter``. Verifying argon2 is deliberately slow, so a successful check
is remembered for ``cache_seconds`` (keyed by a SHA-256 of the pair, never the password), and
the hashing runs off the event loop. A new password takes effect everywhere within that time.

Example::

    username, password = await issue_credentials(db, "example-esp")
    reporter_id = await EspCredentials(db).verify(username, password)   # or None
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

from graph.db import Database, run
from graph.errors import NotFound

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

HASHER: Final = PasswordHasher()
MAX_CACHED: Final = 10_000


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
    def __init__(self, db: Database, cache_seconds: float = 60.0) -> None:
        self.db = db
        self.cache_seconds = cache_seconds
        self._verified: dict[bytes, tuple[str, float]] = {}

    async def verify(self, username: str, password: str) -> str | None:
        """The ESP id these credentials belong to, or None."""
        key = hashlib.sha256(f"{username}\0{password}".encode()).digest()
        cached = self._verified.get(key)
        now = time.monotonic()
        if cached is not None and cached[1] > now:
            return cached[0]
        found = await self.db.read(_by_username_tx, username)
        if found is None:
            # The same work as a real check, so timing does not tell which usernames exist.
            await asyncio.to_thread(_verify, _dummy_hash(), password)
            return None
        reporter_id, hashed = found
        if not await asyncio.to_thread(_verify, hashed, password):
            return None
        if len(self._verified) >= MAX_CACHED:
            self._verified.clear()
        self._verified[key] = (reporter_id, now + self.cache_seconds)
        return reporter_id


def _verify(hashed: str, password: str) -> bool:
    try:
        return HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    return HASHER.hash(secrets.token_urlsafe(24))
