"""What became of a referral, in the words of the agency that received it.

Only the agency a report was referred to may record an outcome on it; each outcome is kept
(with who, when and the note) so analysts see the whole history, and the referral remembers
its latest for the queue filter. Recording the same outcome with the same note again is a
no-op, so an investigator's client can retry safely.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import Enum
from typing import Final

from neo4j import AsyncManagedTransaction

from graph.core.db import Database, run
from graph.core.errors import BadInput, Forbidden, NotFound
from graph.core.idempotency import Change, write_once
from graph.core.visibility import VISIBLE_REPORT, RowScope
from graph.events.log import emit, event


class ReferralOutcome(Enum):
    RECEIVED = "RECEIVED"
    INVESTIGATION_OPENED = "INVESTIGATION_OPENED"
    LEGAL_PROCESS_SERVED = "LEGAL_PROCESS_SERVED"
    ARREST = "ARREST"
    VICTIM_IDENTIFIED = "VICTIM_IDENTIFIED"
    NO_ACTION_INSUFFICIENT_INFORMATION = "NO_ACTION_INSUFFICIENT_INFORMATION"
    NOT_IN_JURISDICTION = "NOT_IN_JURISDICTION"
    DUPLICATE = "DUPLICATE"


OUTCOMES: Final = tuple(outcome.value for outcome in ReferralOutcome)
MAX_NOTE: Final = 3000

# Locks the report (the version bump) so two outcomes on one referral are ordered.
LOCK_REFERRAL: Final = (
    "MATCH (r:Report {id: $reportId}) WHERE " + VISIBLE_REPORT
    + " SET r.version = coalesce(r.version, 0) + 1"
    " WITH r OPTIONAL MATCH (r)-[ref:REFERRED_TO]->(:Agency {id: $agencyId})"
    " CALL (r) { OPTIONAL MATCH (r)-[:HAS_OUTCOME]->(o:ReferralOutcome {agencyId: $agencyId})"
    "   RETURN o ORDER BY o.at DESC LIMIT 1 }"
    " RETURN r {.id, .reporterId, .incidentType} AS report, ref IS NOT NULL AS referred,"
    " o {.outcome, .note} AS latest"
)

CREATE_OUTCOME: Final = """
MATCH (r:Report {id: $reportId})-[ref:REFERRED_TO]->(:Agency {id: $agencyId})
CREATE (r)-[:HAS_OUTCOME]->(:ReferralOutcome {id: $id, reportId: r.id, agencyId: $agencyId,
  outcome: $outcome, note: $note, at: $at, by: $by})
CREATE (r)-[:HAS_EVENT]->(:HistoryEntry {id: $eventId, kind: 'OUTCOME', at: $at, by: $by,
  source: 'LAW_ENFORCEMENT', reason: $note, after: $outcome, agencyId: $agencyId})
SET ref.lastOutcome = $outcome, ref.lastOutcomeAt = $at
"""


def check_outcome(outcome: str, note: str | None) -> str | None:
    if outcome not in OUTCOMES:
        raise BadInput(f"outcome is one of {', '.join(OUTCOMES)}", field="outcome")
    if note is None or not note.strip():
        return None
    if len(note) > MAX_NOTE:
        raise BadInput(f"a note has at most {MAX_NOTE} characters", field="note")
    return note.strip()


async def _record_tx(tx: AsyncManagedTransaction, report_id: int, agency_id: str, outcome: str,
                     note: str | None, by: str, rows: RowScope) -> bool:
    records = await run(tx, LOCK_REFERRAL, reportId=report_id, agencyId=agency_id, rows=rows)
    if not records:
        raise NotFound(f"report {report_id} does not exist")
    state = records[0]
    if not state["referred"]:
        raise Forbidden(f"report {report_id} was not referred to agency {agency_id}; only the "
                        "agency it was referred to records its outcome")
    latest = state["latest"]
    if latest and latest["outcome"] == outcome and latest.get("note") == note:
        return False  # a retry of the last outcome
    at = datetime.now(UTC)
    await run(tx, CREATE_OUTCOME, reportId=report_id, agencyId=agency_id, outcome=outcome,
              note=note, at=at, by=by, id=str(uuid.uuid4()), eventId=str(uuid.uuid4()))
    await emit(tx, [event("OUTCOME_RECORDED", state["report"], at=at, agencyId=agency_id,
                          outcome=outcome, by=by, source="LAW_ENFORCEMENT")])
    return True


async def record_outcome(db: Database, report_id: int, agency_id: str, outcome: str, *,
                         note: str | None, by: str, rows: RowScope,
                         change: Change | None = None) -> bool:
    """Record an outcome of the referral of ``report_id`` to ``agency_id``.

    ``NOT_FOUND`` when the caller cannot see the report, ``FORBIDDEN`` when it can but the
    report was not referred to ``agency_id``. Returns whether anything new was written
    (nothing, replaying ``change``).
    """
    done = await write_once(db, change, _record_tx, report_id, agency_id, outcome,
                            check_outcome(outcome, note), by, rows,
                            target=lambda _: str(report_id))
    return done is True
