"""Group-committed appends to the audit trail, for many concurrent callers."""

from __future__ import annotations

import asyncio

from graph.audit.trail import AuditRecord, append_events
from graph.core.db import Database


class AuditWriter:
    """Appends audit events for many concurrent callers in few transactions (group commit).

    Each caller waits until its own event is durable; callers that arrive while a write is
    in flight share the next one. When a write fails (the database is down), every caller
    waiting then fails with it at once. Live subscriptions use it: a referral delivered to a
    hundred investigators' subscriptions is a hundred events, not a hundred transactions.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._pending: list[tuple[AuditRecord, asyncio.Future[int]]] = []
        self._flushing: asyncio.Task[None] | None = None

    async def append(self, record: AuditRecord) -> int:
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._pending.append((record, future))
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                seqs = await append_events(self.db, [record for record, _ in batch])
            except Exception as error:  # every waiter hears it (ServiceUnavailable, ...)
                # and so do those who arrived while it failed: the next attempt starts with
                # the next caller, rather than each batch repeating the failure in turn
                batch, self._pending = batch + self._pending, []
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            for (_, future), seq in zip(batch, seqs, strict=True):
                if not future.done():
                    future.set_result(seq)
