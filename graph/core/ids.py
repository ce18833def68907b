"""Integer ids without one hot counter per insert: each process reserves blocks of ids.

A block is reserved in its own short transaction on the ``:IdBlock {name}`` node, then handed
out from memory. Ids are unique and increasing per process; a restart leaves a gap.
"""

from __future__ import annotations

import asyncio
import time
from typing import Final

from neo4j import AsyncManagedTransaction

from graph.core.db import Database, run
from graph.core.errors import ServiceUnavailable

RESERVE_BLOCK: Final = """
MERGE (b:IdBlock {name: $name})
  ON CREATE SET b.next = $first
SET b.next = b.next + $size
RETURN b.next - $size AS start
"""


async def _reserve_tx(tx: AsyncManagedTransaction, name: str, size: int, first: int) -> int:
    records = await run(tx, RESERVE_BLOCK, name=name, size=size, first=first)
    start: int = records[0]["start"]
    return start


class IdAllocator:
    def __init__(self, db: Database, name: str, block_size: int = 200, first: int = 1) -> None:
        self.db = db
        self.name = name
        self.block_size = block_size
        self.first = first
        self._next = 0
        self._end = 0
        self._lock = asyncio.Lock()
        self._failed_at = -1.0  # when a reservation last failed (time.monotonic())

    async def take(self, count: int = 1) -> list[int]:
        """``count`` fresh ids (reserving more blocks as needed). When the reservation a caller
        waited behind failed (the database is down), the caller fails at once too, rather than
        repeating the failure in turn."""
        asked = time.monotonic()
        async with self._lock:
            if self._failed_at >= asked:
                raise ServiceUnavailable("the graph database is unavailable")
            ids: list[int] = []
            while len(ids) < count:
                if self._next >= self._end:
                    size = max(self.block_size, count - len(ids))
                    try:
                        self._next = await self.db.write(_reserve_tx, self.name, size,
                                                         self.first)
                    except ServiceUnavailable:
                        self._failed_at = time.monotonic()
                        raise
                    self._end = self._next + size
                take = min(count - len(ids), self._end - self._next)
                ids.extend(range(self._next, self._next + take))
                self._next += take
            return ids

    async def next(self) -> int:
        return (await self.take(1))[0]
