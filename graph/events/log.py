"""The event log: what subscribers hear about, kept in the graph so nobody misses anything.

Every event is written by the transaction that made the change (a submission, a referral, an
outcome ...), as a ``:PendingEvent``: nothing half-written, and no lock that every writer would
queue on. Once committed, events are *numbered* (:func:`number`) under one ``:EventLog`` head:
``seq`` 1, 2, 3 ... with no gaps, and a number is only ever given after every smaller one, so a
reader that has seen ``seq`` N has seen all before it. A subscriber's cursor is the last
``seq`` it received; reconnecting with it replays what it missed from the graph, then carries
on live.

One :class:`EventHub` per API process numbers and polls the log (poked by this process's own
writes, polling for other processes') and fans new events out to the process's subscribers; a
subscriber that falls behind reads the log itself. Several API processes share nothing but the
graph; their numbering serialises on the head.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from neo4j import AsyncManagedTransaction

from graph.core.db import Database, native_values, run
from graph.core.errors import BadInput, TipgraphError

log = logging.getLogger("tipgraph.events")

EVENT_TYPES: Final = ("SUBMITTED", "ESCALATED", "PRIORITY_SUGGESTED", "OUTCOME_RECORDED",
                      "REFERRED")

# A change records its event in its own transaction, unnumbered: no lock shared by all writers.
RECORD: Final = """
UNWIND range(0, size($events) - 1) AS i
CREATE (e:PendingEvent)
SET e = $events[i], e.batch = $batch, e.position = i
"""

PENDING: Final = "MATCH (e:PendingEvent) RETURN count(e) AS pending"

# Numbering: lock the head first (SET), then read it, so two numberers never interleave; a
# plain `SET h.seq = h.seq + n` could read before the lock and lose an update.
LOCK_HEAD: Final = """
MERGE (h:EventLog {name: 'events'}) ON CREATE SET h.seq = 0
SET h.numbering = true
RETURN h.seq AS seq
"""

NUMBER: Final = """
MATCH (e:PendingEvent)
WITH e ORDER BY e.at, e.batch, e.position LIMIT $limit
WITH collect(e) AS pending
MATCH (h:EventLog {name: 'events'})
SET h.seq = h.seq + size(pending)
REMOVE h.numbering
WITH pending, h.seq - size(pending) AS base
UNWIND range(0, size(pending) - 1) AS i
WITH pending[i] AS e, base + i + 1 AS seq
SET e.seq = seq, e:Event
REMOVE e:PendingEvent
RETURN count(*) AS numbered
"""

HEAD: Final = "OPTIONAL MATCH (h:EventLog {name: 'events'}) RETURN coalesce(h.seq, 0) AS seq"

EVENTS_AFTER: Final = """
MATCH (e:Event) WHERE e.seq > $after
WITH e ORDER BY e.seq LIMIT $limit
RETURN collect(e {.*}) AS events
"""


PRUNE: Final = """
MATCH (e:Event) WHERE e.at < $before
WITH e ORDER BY e.seq LIMIT $limit
DETACH DELETE e
RETURN count(*) AS pruned
"""

OLDEST: Final = "MATCH (e:Event) RETURN min(e.seq) AS seq"


def event(kind: str, report: Mapping[str, Any], *, at: datetime | None = None,
          **fields: Any) -> dict[str, Any]:
    """An event about ``report`` (a report node as a dict), ready for :func:`emit`."""
    assert kind in EVENT_TYPES, kind
    values = {"type": kind, "reportId": report["id"],
              "reporterId": report.get("reporterId"),
              "incidentType": report.get("incidentType"), "at": at or datetime.now(UTC),
              **fields}
    return {k: v for k, v in values.items() if v is not None}


async def emit(tx: AsyncManagedTransaction, events: Sequence[Mapping[str, Any]]) -> None:
    """Record ``events`` inside the caller's transaction (nothing when empty); they are
    numbered into the log once committed (:func:`number`)."""
    if events:
        await run(tx, RECORD, events=list(events), batch=str(uuid.uuid4()))


async def _pending_tx(tx: AsyncManagedTransaction) -> int:
    pending: int = (await run(tx, PENDING))[0]["pending"]
    return pending


async def _number_tx(tx: AsyncManagedTransaction, limit: int) -> int:
    await run(tx, LOCK_HEAD)
    numbered: int = (await run(tx, NUMBER, limit=limit))[0]["numbered"]
    return numbered


async def number(db: Database, batch: int = 5000) -> int:
    """Give committed events their place in the log: ``seq`` 1, 2, 3 ... in the order they are
    numbered, which is after their transactions committed, so a reader who has seen ``seq`` N
    has every smaller one too (gapless, nothing overtakes). Cheap when nothing is pending."""
    total = 0
    while await db.read(_pending_tx):
        numbered = await db.write(_number_tx, batch)
        total += numbered
        if numbered < batch:
            break
    return total


async def _head_tx(tx: AsyncManagedTransaction) -> int:
    records = await run(tx, HEAD)
    seq: int = records[0]["seq"]
    return seq


async def _after_tx(tx: AsyncManagedTransaction, after: int,
                    limit: int) -> tuple[int, list[dict[str, Any]]]:
    head: int = (await run(tx, HEAD))[0]["seq"]
    events = (await run(tx, EVENTS_AFTER, after=after, limit=limit))[0]["events"]
    return head, [native_values(e) for e in events]


async def head(db: Database) -> int:
    """The last event's number (0 before the first)."""
    return await db.read(_head_tx)


async def events_after(db: Database, after: int, limit: int = 500) -> list[dict[str, Any]]:
    """Up to ``limit`` events after ``after``, oldest first."""
    return (await db.read(_after_tx, after, limit))[1]


async def _prune_tx(tx: AsyncManagedTransaction, before: datetime, limit: int) -> int:
    pruned: int = (await run(tx, PRUNE, before=before, limit=limit))[0]["pruned"]
    return pruned


async def prune(db: Database, before: datetime, batch: int = 10_000) -> int:
    """Delete events older than ``before`` (the head keeps counting; a cursor from before
    the oldest kept event is refused rather than silently skipping)."""
    total = 0
    while pruned := await db.write(_prune_tx, before, batch):
        total += pruned
    return total


async def _oldest_tx(tx: AsyncManagedTransaction) -> int | None:
    oldest: int | None = (await run(tx, OLDEST))[0]["seq"]
    return oldest


def parse_cursor(cursor: str | None) -> int | None:
    """A subscriber's cursor (the decimal ``seq`` it last received), or ``BAD_USER_INPUT``."""
    if cursor is None:
        return None
    if not (cursor.isascii() and cursor.isdigit()) or len(cursor) > 18:
        raise BadInput("a cursor is the `cursor` of an event you received", field="after")
    return int(cursor)


@dataclass(eq=False)
class _Subscriber:
    queue: asyncio.Queue[list[dict[str, Any]]] = field(
        default_factory=lambda: asyncio.Queue(maxsize=64))
    lagged: bool = False
    live: bool = False  # has its cursor: every later event reaches it


class EventHub:
    """Fans the log out to this process's subscribers (one poller, however many subscribers).

    ``poke()`` after a local write delivers at once; other processes' events arrive within
    ``poll_seconds``. The poller only runs while someone is subscribed.
    """

    def __init__(self, db: Database, *, poll_seconds: float = 0.2, page: int = 500,
                 idle_numbering_seconds: float = 30.0) -> None:
        self.db = db
        self.poll_seconds = poll_seconds
        self.page = page
        # 0: number only while someone subscribes (tests, whose clean graph must not race it)
        self.idle_numbering_seconds = idle_numbering_seconds
        self._subscribers: set[_Subscriber] = set()
        self._wake = asyncio.Event()
        self._last: int | None = None

    @property
    def subscribers(self) -> int:
        """Subscribers with a cursor (from then on, no event can pass them by)."""
        return sum(1 for subscriber in self._subscribers if subscriber.live)

    def poke(self) -> None:
        """Something was written here: look at the log now."""
        self._wake.set()

    async def run_forever(self) -> None:
        while True:
            if not self._subscribers:
                self._last = None  # nobody listens: start again from the head next time
                idle = self.idle_numbering_seconds or None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), idle)
                self._wake.clear()
                if not self._subscribers and idle:
                    await self._number_quietly()  # keeps the unnumbered backlog small
                continue
            try:
                await number(self.db)
                await self._poll()
            except TipgraphError as error:  # the database is away; subscribers wait
                log.warning("event log poll failed: %s", error.message)
            except Exception:
                log.exception("event log poll failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            self._wake.clear()

    async def _number_quietly(self) -> None:
        try:
            await number(self.db)
        except TipgraphError as error:
            log.warning("numbering the event log failed: %s", error.message)

    async def _poll(self) -> None:
        while True:
            if self._last is None:  # the first subscriber has not read the head yet
                return
            current, events = await self.db.read(_after_tx, self._last, self.page)
            if current < self._last:  # the log was emptied (a test's clean graph)
                self._last = current
                return
            if not events:
                return
            self._last = events[-1]["seq"]
            for subscriber in list(self._subscribers):
                try:
                    subscriber.queue.put_nowait(events)
                except asyncio.QueueFull:
                    subscriber.lagged = True
            if len(events) < self.page:
                return

    async def stream(self, accepts: Callable[[Mapping[str, Any]], bool],
                     after: int | None) -> AsyncGenerator[dict[str, Any], None]:
        """Events ``accepts`` lets through, after cursor ``after`` (``None``: from now on).

        With a cursor, what was missed is replayed from the log first; nothing is delivered
        twice and nothing is skipped.
        """
        subscriber = _Subscriber()
        self._subscribers.add(subscriber)  # before reading the head: nothing falls between
        self.poke()
        try:
            await number(self.db)  # what happened before now is before the cursor
            current = await head(self.db)
            if after is not None and after > current:
                raise BadInput(f"cursor {after} is ahead of the event log ({current})",
                               field="after")
            if after is not None and after < current:
                oldest = await self.db.read(_oldest_tx)
                if oldest is None or after < oldest - 1:
                    raise BadInput(f"events after cursor {after} were pruned (the log keeps "
                                   "TIPGRAPH_EVENT_RETENTION_DAYS); reload, then subscribe "
                                   "without a cursor", field="after")
            if self._last is None:
                self._last = current  # the hub goes live from here; no later event is skipped
            cursor = current if after is None else after
            catch_up = after is not None and after < current
            subscriber.live = True
            while True:
                if catch_up or subscriber.lagged:
                    subscriber.lagged, catch_up = False, False
                    while not subscriber.queue.empty():
                        subscriber.queue.get_nowait()
                    while True:
                        missed = await events_after(self.db, cursor, self.page)
                        for item in missed:
                            cursor = item["seq"]
                            if accepts(item):
                                yield item
                        if len(missed) < self.page:
                            break
                for item in await subscriber.queue.get():
                    if item["seq"] <= cursor:
                        continue
                    if item["seq"] > cursor + 1:  # a gap: read it from the log
                        catch_up = True
                        break
                    cursor = item["seq"]
                    if accepts(item):
                        yield item
        finally:
            self._subscribers.discard(subscriber)
