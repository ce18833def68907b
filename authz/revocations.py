"""Which token ids are revoked, re-read from the graph at most every ``ttl`` seconds.

A revocation made through this process applies at once; one made elsewhere (another API
process, ``tipgraph token revoke``) within ``ttl`` seconds (TIPGRAPH_REVOCATION_TTL_SECONDS).

Requests that find the list stale share one read: when it fails (the database is down), every
one of them gets its ServiceUnavailable at once, rather than each repeating the failed read in
turn behind a lock; the next request tries again. No token is accepted on a stale list.
"""

from __future__ import annotations

import asyncio
import time

from graph.core.db import Database
from graph.core.revocations import active_revocations, revoke


class RevocationList:
    def __init__(self, db: Database, ttl: float) -> None:
        self.db = db
        self.ttl = ttl
        self._jtis: set[str] = set()
        self._fresh_until = 0.0
        self._reading: asyncio.Future[None] | None = None

    async def is_revoked(self, jti: str) -> bool:
        if time.monotonic() >= self._fresh_until:
            if self._reading is None:
                self._reading = asyncio.ensure_future(self._read())
                # a failure no waiter is left to hear is not logged as never retrieved
                self._reading.add_done_callback(lambda f: f.cancelled() or f.exception())
            # shielded: a waiter that goes away (a client hung up) leaves the read to the rest
            await asyncio.shield(self._reading)
        return jti in self._jtis

    async def _read(self) -> None:
        try:
            self._jtis = await active_revocations(self.db)
            self._fresh_until = time.monotonic() + self.ttl
        finally:
            self._reading = None

    async def revoke(self, jti: str) -> None:
        await revoke(self.db, jti)
        self._jtis.add(jti)
