"""The audit trail: append-only, hash-chained events (CJIS-style: who, when, what, from where,
outcome).

Each event carries ``seq`` (1, 2, ...), ``prevHash`` and ``hash`` = SHA-256 of its canonical
JSON (which includes ``prevHash``). Appends serialise on one ``:AuditHead`` node, so the chain
has no forks. Nothing in tipgraph updates or deletes an event; :func:`verify` finds any that
someone else did, and names the first broken link.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from neo4j import AsyncManagedTransaction

from graph.core.db import Database, native_values, run

GENESIS: Final = "0" * 64

LOCK_HEAD: Final = """
MERGE (h:AuditHead {name: 'audit'})
  ON CREATE SET h.seq = 0, h.hash = $genesis
SET h.appending = true
RETURN h.seq AS seq, h.hash AS hash
"""

APPEND: Final = """
MATCH (h:AuditHead {name: 'audit'})
CREATE (e:AuditEvent)
SET e = $event
SET h.seq = $event.seq, h.hash = $event.hash
REMOVE h.appending
"""

APPEND_MANY: Final = """
MATCH (h:AuditHead {name: 'audit'})
UNWIND $events AS event
CREATE (e:AuditEvent)
SET e = event
WITH h, max(event.seq) AS seq, collect(event) AS events
SET h.seq = seq, h.hash = [x IN events WHERE x.seq = seq][0].hash
REMOVE h.appending
"""

EVENTS_PAGE: Final = """
MATCH (e:AuditEvent)
WHERE ($subject IS NULL OR e.subject = $subject)
  AND ($reportId IS NULL OR $reportId IN e.reportIds
       OR $reportId IN coalesce(e.askedReportIds, []))
  AND ($since IS NULL OR e.at >= $since)
  AND ($until IS NULL OR e.at < $until)
  AND ($before IS NULL OR e.seq < $before)
WITH e ORDER BY e.seq DESC LIMIT $limit
RETURN collect(e {.*}) AS events
"""

EVENTS_FROM: Final = """
MATCH (e:AuditEvent) WHERE e.seq > $after
WITH e ORDER BY e.seq LIMIT $limit
RETURN collect(e {.*}) AS events
"""

HEAD: Final = "MATCH (h:AuditHead {name: 'audit'}) RETURN h.seq AS seq, h.hash AS hash"


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """What one operation by a person did: the fields of an event before it is chained."""

    subject: str
    role: str
    operation: str
    operation_type: str
    query_hash: str
    outcome: str
    request_id: str
    client_address: str | None = None
    agency_id: str | None = None
    report_ids: tuple[int, ...] = ()
    denied_fields: tuple[str, ...] = ()
    at: datetime = field(default_factory=lambda: datetime.now(UTC))
    detail: str | None = None  # e.g. the SHA-256 of a referral package that was made
    # Reports asked for that the answer did not carry (refused, or absent): an auditor finds
    # a refused look by the id that was asked for.
    asked_report_ids: tuple[int, ...] = ()
    variables_hash: str | None = None  # the operation's variables (query_hash covers the text)


def _canonical(event: dict[str, Any]) -> bytes:
    body = {k: (v.isoformat() if isinstance(v, datetime) else v)
            for k, v in event.items() if k != "hash"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()


def event_hash(event: dict[str, Any]) -> str:
    return hashlib.sha256(_canonical(event)).hexdigest()


def _event(record: AuditRecord, seq: int, prev_hash: str) -> dict[str, Any]:
    data = asdict(record)
    event: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "seq": seq,
        "at": record.at,
        "subject": record.subject,
        "role": record.role,
        "agencyId": record.agency_id,
        "operation": record.operation,
        "operationType": record.operation_type,
        "queryHash": record.query_hash,
        "reportIds": sorted(set(data["report_ids"])),
        "deniedFields": list(data["denied_fields"]),
        "outcome": record.outcome,
        "clientAddress": record.client_address,
        "requestId": record.request_id,
        "detail": record.detail,
        # optional fields, left out when empty so that events written before them keep the
        # hashes they were chained with
        "askedReportIds": sorted(set(record.asked_report_ids)) or None,
        "variablesHash": record.variables_hash,
        "prevHash": prev_hash,
    }
    event = {k: v for k, v in event.items() if v is not None}
    event["hash"] = event_hash(event)
    return event


async def _append_tx(tx: AsyncManagedTransaction, record: AuditRecord) -> int:
    [head] = await run(tx, LOCK_HEAD, genesis=GENESIS)
    event = _event(record, head["seq"] + 1, head["hash"])
    await run(tx, APPEND, event=event)
    seq: int = event["seq"]
    return seq


async def append_event(db: Database, record: AuditRecord) -> int:
    """Append one event; returns its sequence number once it is durable."""
    return await db.write(_append_tx, record)


async def _append_many_tx(tx: AsyncManagedTransaction,
                          records: Sequence[AuditRecord]) -> list[int]:
    [head] = await run(tx, LOCK_HEAD, genesis=GENESIS)
    seq, prev, events = head["seq"], head["hash"], []
    for record in records:
        seq += 1
        events.append(_event(record, seq, prev))
        prev = events[-1]["hash"]
    await run(tx, APPEND_MANY, events=events)
    return [event["seq"] for event in events]


async def append_events(db: Database, records: Sequence[AuditRecord]) -> list[int]:
    """Append several events in one transaction (one link after another in the chain)."""
    return await db.write(_append_many_tx, records) if records else []


async def _page_tx(tx: AsyncManagedTransaction, params: dict[str, Any]) -> list[dict[str, Any]]:
    records = await run(tx, EVENTS_PAGE, **params)
    events: list[dict[str, Any]] = records[0]["events"]
    return events


async def events_page(db: Database, *, subject: str | None, report_id: int | None,
                      since: datetime | None, until: datetime | None, before: int | None,
                      limit: int) -> list[dict[str, Any]]:
    """Events newest first, filtered; ``before`` is the cursor (a sequence number)."""
    return await db.read(_page_tx, {"subject": subject, "reportId": report_id, "since": since,
                                    "until": until, "before": before, "limit": limit})


async def _from_tx(tx: AsyncManagedTransaction, after: int, limit: int) -> list[dict[str, Any]]:
    records = await run(tx, EVENTS_FROM, after=after, limit=limit)
    events: list[dict[str, Any]] = records[0]["events"]
    return events


async def _head_tx(tx: AsyncManagedTransaction) -> dict[str, Any] | None:
    records = await run(tx, HEAD)
    return dict(records[0]) if records else None


async def verify(db: Database, page: int = 1000) -> dict[str, Any]:
    """Walk the chain from the first event; report the first broken link, if any."""
    expected_prev, expected_seq, checked = GENESIS, 1, 0
    while True:
        events = await db.read(_from_tx, expected_seq - 1, page)
        for raw in events:
            event = native_values(raw)
            seq = event["seq"]
            if seq != expected_seq:
                return {"ok": False, "brokenAt": expected_seq, "events": checked,
                        "reason": f"event {expected_seq} is missing (next is {seq})"}
            if event.get("prevHash") != expected_prev:
                return {"ok": False, "brokenAt": seq, "events": checked,
                        "reason": f"event {seq} does not follow event {seq - 1}"}
            if event_hash(event) != event.get("hash"):
                return {"ok": False, "brokenAt": seq, "events": checked,
                        "reason": f"event {seq} was changed after it was written"}
            expected_prev, expected_seq, checked = event["hash"], seq + 1, checked + 1
        if len(events) < page:
            break
    head = await db.read(_head_tx)
    if head is not None and (head["seq"] != checked or head["hash"] != expected_prev):
        return {"ok": False, "brokenAt": checked + 1, "events": checked,
                "reason": f"the chain ends at event {checked} but {head['seq']} were written"}
    return {"ok": True, "events": checked}
