"""Analyst work on submitted reports: priority, disposition and file classifications, each
recorded with its provenance (source ANALYST, who, when, why) and kept in the report's history.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Final, LiteralString

from neo4j import AsyncManagedTransaction

from graph.core.db import Database, run
from graph.core.errors import BadInput, Conflict, NotFound
from graph.core.idempotency import Change, Replay, write_once
from graph.core.visibility import VISIBLE_REPORT, RowScope
from graph.events.log import emit, event
from graph.matching import schemes
from graph.matching.near import add_references_tx
from graph.matching.schemes import ANALYST
from graph.triage.queue import PRIORITY_RANK

PRIORITIES: Final = ("P1", "P2", "P3")
DISPOSITIONS: Final = ("REFERRAL", "INFORMATIONAL")

LOCK_VISIBLE_REPORT: Final = (
    "MATCH (r:Report {id: $reportId}) WHERE " + VISIBLE_REPORT
    + " SET r.version = coalesce(r.version, 0) + 1"
    " RETURN r.status AS status, r.priority AS priority, r.disposition AS disposition,"
    " r {.id, .reporterId, .incidentType} AS report"
)

def _decision(field: LiteralString, kind: LiteralString) -> LiteralString:
    """Set one analyst decision on a report and record it in the history."""
    return (
        "MATCH (r:Report {id: $reportId})"
        " SET r." + field + " = $value, r.modifiedAt = $at"
        " CREATE (r)-[:HAS_EVENT]->(:HistoryEntry {id: $eventId, kind: '" + kind + "', at: $at,"
        " by: $by, source: 'ANALYST', reason: $reason, before: $before, after: $after})"
    )


SET_PRIORITY: Final = _decision("priority", "PRIORITY") + " SET r.priorityRank = " + PRIORITY_RANK
SET_DISPOSITION: Final = _decision("disposition", "DISPOSITION")

CLASSIFY_FILE: Final = (
    "MATCH (r:Report)-[:HAS_FILE]->(f:File {id: $fileId}) WHERE " + VISIBLE_REPORT
    + " CREATE (f)-[:LABELLED]->(:Classification {id: $id, label: $label, source: 'ANALYST',"
    " by: $by, at: $at, basis: $basis, scheme: $scheme})"
    " CREATE (r)-[:HAS_EVENT]->(:HistoryEntry {id: $eventId, kind: 'CLASSIFICATION', at: $at,"
    " by: $by, source: 'ANALYST', reason: $basis, after: $label, fileId: $fileId})"
    " SET r.modifiedAt = $at"
    " RETURN r.id AS reportId"
)

FILE_PDQ: Final = (
    "MATCH (:File {id: $fileId})-[:HAS_HASH]->(h:Identifier {scope: 'PDQ'})"
    " RETURN h.value AS value")

EVENTS_BY_REPORT_IDS: Final = """
UNWIND $ids AS id
OPTIONAL MATCH (:Report {id: id})-[:HAS_EVENT]->(e:HistoryEntry)
WITH id, e ORDER BY e.at, e.id
RETURN id, collect(e {.*}) AS events
"""


def history_for(entry: dict[str, Any], *, analyst: bool, agency_id: str | None) -> bool:
    """Whether a reader sees one history entry: analysts see everything; others never an
    analyst's note, and an agency only its own referral and outcomes (the referral row rule)."""
    if analyst:
        return True
    kind = entry["kind"]
    if kind == "NOTE":
        return False
    if kind == "REFERRAL":
        return agency_id is not None and entry.get("after") == agency_id
    if kind == "OUTCOME":
        return agency_id is not None and entry.get("agencyId") == agency_id
    return True


def _reason(reason: str) -> str:
    if not reason.strip() or len(reason) > 3000:
        raise BadInput("a reason of 1 to 3000 characters is required", field="reason")
    return reason.strip()


async def _lock_submitted(tx: AsyncManagedTransaction, report_id: int,
                          rows: RowScope) -> dict[str, Any]:
    records = await run(tx, LOCK_VISIBLE_REPORT, reportId=report_id, rows=rows)
    if not records:
        raise NotFound(f"report {report_id} does not exist")
    state = dict(records[0])
    if state["status"] != "SUBMITTED":
        raise Conflict(f"report {report_id} is {state['status']}; analysts work on submitted "
                       "reports")
    return state


async def _decide_tx(tx: AsyncManagedTransaction, statement: LiteralString, field: str,
                     unset: str, report_id: int, value: str | None, reason: str, by: str,
                     rows: RowScope) -> None:
    state = await _lock_submitted(tx, report_id, rows)
    at = datetime.now(UTC)
    await run(tx, statement, reportId=report_id, value=value, at=at, by=by,
              reason=reason, before=state[field] or unset, after=value or unset,
              eventId=str(uuid.uuid4()))
    if field == "priority" and value == "P1" and state["priority"] != "P1":
        await emit(tx, [event("ESCALATED", state["report"], at=at, source="ANALYST", by=by,
                              reason=reason, priority="P1")])


async def set_priority(db: Database, report_id: int, priority: str, *, reason: str, by: str,
                       rows: RowScope, change: Change | None = None) -> None:
    """``priority`` is P1, P2, P3 or UNSET (removes it)."""
    if priority not in (*PRIORITIES, "UNSET"):
        raise BadInput("priority is P1, P2, P3 or UNSET", field="priority")
    value = None if priority == "UNSET" else priority
    await write_once(db, change, _decide_tx, SET_PRIORITY, "priority", "UNSET", report_id,
                     value, _reason(reason), by, rows, target=lambda _: str(report_id))


async def set_disposition(db: Database, report_id: int, disposition: str, *, reason: str,
                          by: str, rows: RowScope, change: Change | None = None) -> None:
    if disposition not in DISPOSITIONS:
        raise BadInput("disposition is REFERRAL or INFORMATIONAL", field="disposition")
    await write_once(db, change, _decide_tx, SET_DISPOSITION, "disposition", "PENDING",
                     report_id, disposition, _reason(reason), by, rows,
                     target=lambda _: str(report_id))


async def _classify_tx(tx: AsyncManagedTransaction, params: dict[str, Any]) -> int:
    records = await run(tx, CLASSIFY_FILE, **params)
    if not records:
        raise NotFound(f"file {params['fileId']} does not exist")
    report_id: int = records[0]["reportId"]
    # A labelled file's PDQ hash joins the references new files are matched against.
    await add_references_tx(tx, [r["value"] for r in await run(tx, FILE_PDQ, **params)])
    return report_id


async def classify_file(db: Database, file_id: int, label: str, *, basis: str, by: str,
                        rows: RowScope, scheme: str = ANALYST.name,
                        change: Change | None = None) -> int:
    """Add an analyst's label under a scheme, beside (never instead of) the ESP's; returns the
    report id (also when replaying ``change``)."""
    label = label.strip()
    if not label or len(label) > 64:
        raise BadInput("a label has 1 to 64 characters", field="label")
    chosen = schemes.scheme(scheme)
    done = await write_once(db, change, _classify_tx, {
        "fileId": file_id, "label": chosen.check(label), "scheme": chosen.name,
        "basis": _reason(basis), "by": by,
        "at": datetime.now(UTC), "id": str(uuid.uuid4()), "eventId": str(uuid.uuid4()),
        "rows": rows}, target=str)
    return int(done.target) if isinstance(done, Replay) else done
