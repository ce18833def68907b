"""Which token ids are revoked, re-read from the graph at most every ``ttl`` seconds.

A revocation made through this process applies at once; one made elsewhere (another API
process, ``tipgraph token revoke``) within ``ttl`` seconds (TIPGRAPH_REVOCATION_TTL_SECONDS).
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
        self._lock = asyncio.Lock()

    async def is_revoked(self, jti: str) -> bool:
        if time.monotonic() >= self._fresh_until:
            async with self._lock:
                if time.monotonic() >= self._fresh_until:
                    self._jtis = await active_revocations(self.db)
                    self._fresh_until = time.monotonic() + self.ttl
        return jti in self._jtis

    async def revoke(self, jti: str) -> None:
        await revoke(self.db, jti)
        self._jtis.add(jti)
