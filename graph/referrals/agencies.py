"""Agencies, the jurisdictions they cover, and referrals of reports to them.

Jurisdiction codes are ISO 3166-1 alpha-2 countries (``US``) and US states as ``US-XX``; the
reference list is the CyberTipline XSD's, so no seed is needed before an agency can be created.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Final

from neo4j import AsyncManagedTransaction

from graph.core.db import Database, run
from graph.core.errors import BadInput, Conflict, NotFound
from graph.core.idempotency import Change, write_once
from graph.core.visibility import VISIBLE_REPORT, RowScope
from graph.core.vocabulary import countries, us_states
from graph.events.log import emit, event
from graph.reports.reporters import ID_PATTERN


class AgencyKind(Enum):
    FEDERAL = "FEDERAL"
    ICAC_TASK_FORCE = "ICAC_TASK_FORCE"
    STATE = "STATE"
    LOCAL = "LOCAL"
    INTERNATIONAL = "INTERNATIONAL"


@dataclass(frozen=True, slots=True)
class AgencySpec:
    id: str
    name: str
    kind: AgencyKind
    jurisdictions: tuple[str, ...]
    sees_all: bool = False


UPSERT_JURISDICTIONS: Final = """
UNWIND $rows AS row
MERGE (j:Jurisdiction {code: row.code})
  ON CREATE SET j.name = row.name, j.kind = row.kind, j.country = row.country
"""

# Replaces what agency `a` covers with the jurisdictions `$codes`.
REPLACE_COVERAGE: Final = """
WITH a
OPTIONAL MATCH (a)-[old:COVERS]->()
DELETE old
WITH DISTINCT a
UNWIND $codes AS code
MATCH (j:Jurisdiction {code: code})
MERGE (a)-[:COVERS]->(j)
RETURN count(*) AS covered
"""

UPSERT_AGENCY: Final = """
MERGE (a:Agency {id: $id})
  ON CREATE SET a.createdAt = datetime()
SET a.name = $name, a.kind = $kind, a.seesAll = $seesAll
""" + REPLACE_COVERAGE

SET_JURISDICTIONS: Final = "MATCH (a:Agency {id: $id})" + REPLACE_COVERAGE

AGENCY_EXISTS: Final = "MATCH (a:Agency {id: $id}) RETURN a.id AS id"

AGENCIES_BY_IDS: Final = """
UNWIND $ids AS id
OPTIONAL MATCH (a:Agency {id: id})
RETURN id, CASE WHEN a IS NULL THEN null ELSE a {.id, .name, .kind, .seesAll,
  jurisdictions: [(a)-[:COVERS]->(j:Jurisdiction) | j {.code, .name}]} END AS agency
"""

ALL_AGENCIES: Final = """
MATCH (a:Agency)
RETURN a {.id, .name, .kind, .seesAll,
  jurisdictions: [(a)-[:COVERS]->(j:Jurisdiction) | j {.code, .name}]} AS agency
ORDER BY a.id
"""

JURISDICTIONS_BY_CODES: Final = """
UNWIND $ids AS id
OPTIONAL MATCH (j:Jurisdiction {code: id})
RETURN id, j {.code, .name, .kind} AS jurisdiction
"""

REFER_REPORT: Final = (
    "MATCH (r:Report {id: $reportId}) WHERE " + VISIBLE_REPORT
    + " OPTIONAL MATCH (a:Agency {id: $agencyId})"
    " OPTIONAL MATCH (r)-[existing:REFERRED_TO]->(a)"
    " RETURN r.status AS status, a IS NOT NULL AS agency, existing IS NOT NULL AS referred,"
    " r {.id, .reporterId, .incidentType} AS report"
)

CREATE_REFERRAL: Final = """
MATCH (r:Report {id: $reportId}), (a:Agency {id: $agencyId})
CREATE (r)-[:REFERRED_TO {at: $at, by: $by, reason: $reason}]->(a)
CREATE (r)-[:HAS_EVENT]->(:HistoryEntry {id: $eventId, kind: 'REFERRAL', at: $at, by: $by,
                                       source: 'ANALYST', reason: $reason, after: a.id})
SET r.modifiedAt = $at
"""

# Analysts see every referral of a report; an agency sees only its own.
REFERRALS_BY_REPORT_IDS: Final = """
UNWIND $ids AS id
OPTIONAL MATCH (r:Report {id: id})-[ref:REFERRED_TO]->(a:Agency)
  WHERE $rows.all OR a.id = $rows.agencyId
WITH id, r, ref, a ORDER BY ref.at
RETURN id, collect(CASE WHEN a IS NULL THEN null ELSE
  {agencyId: a.id, at: ref.at, by: ref.by, reason: ref.reason,
   outcomes: COLLECT { MATCH (r)-[:HAS_OUTCOME]->(o:ReferralOutcome {agencyId: a.id})
                       RETURN o {.id, .outcome, .note, .at, .by} ORDER BY o.at, o.id }}
  END) AS referrals
"""


def jurisdiction_row(code: str) -> dict[str, Any]:
    """The reference row for a code, or ``BAD_USER_INPUT`` naming it."""
    if code in countries():
        return {"code": code, "name": countries()[code], "kind": "COUNTRY", "country": code}
    state = code.removeprefix("US-")
    if code.startswith("US-") and state in us_states():
        return {"code": code, "name": us_states()[state], "kind": "US_STATE", "country": "US"}
    raise BadInput(f"{code!r} is not a jurisdiction code (ISO country, or US-XX for a state)",
                   field="jurisdictions")


def check_agency(spec: AgencySpec) -> list[dict[str, Any]]:
    if not ID_PATTERN.match(spec.id):
        raise BadInput("an agency id has 1 to 64 letters, digits, '.', '_' or '-'", field="id")
    if not spec.name.strip() or len(spec.name) > 255:
        raise BadInput("an agency name has 1 to 255 characters", field="name")
    return [jurisdiction_row(code) for code in dict.fromkeys(spec.jurisdictions)]


async def _upsert_tx(tx: AsyncManagedTransaction, spec: AgencySpec,
                     rows: list[dict[str, Any]]) -> None:
    await run(tx, UPSERT_JURISDICTIONS, rows=rows)
    await run(tx, UPSERT_AGENCY, id=spec.id, name=spec.name.strip(), kind=spec.kind.value,
              seesAll=spec.sees_all, codes=[row["code"] for row in rows])


async def upsert_agency(db: Database, spec: AgencySpec, change: Change | None = None) -> None:
    """Create or update an agency and replace its jurisdictions (idempotent)."""
    await write_once(db, change, _upsert_tx, spec, check_agency(spec),
                     target=lambda _: spec.id)


async def _set_jurisdictions_tx(tx: AsyncManagedTransaction, agency_id: str,
                                rows: list[dict[str, Any]]) -> None:
    if not await run(tx, AGENCY_EXISTS, id=agency_id):
        raise NotFound(f"agency {agency_id} does not exist")
    await run(tx, UPSERT_JURISDICTIONS, rows=rows)
    await run(tx, SET_JURISDICTIONS, id=agency_id, codes=[row["code"] for row in rows])


async def set_jurisdictions(db: Database, agency_id: str, codes: Sequence[str],
                            change: Change | None = None) -> None:
    rows = [jurisdiction_row(code) for code in dict.fromkeys(codes)]
    await write_once(db, change, _set_jurisdictions_tx, agency_id, rows,
                     target=lambda _: agency_id)


async def _refer_tx(tx: AsyncManagedTransaction, report_id: int, agency_id: str, by: str,
                    reason: str, rows: RowScope) -> None:
    records = await run(tx, REFER_REPORT, reportId=report_id, agencyId=agency_id, rows=rows)
    if not records:
        raise NotFound(f"report {report_id} does not exist")
    state = records[0]
    if not state["agency"]:
        raise NotFound(f"agency {agency_id} does not exist")
    if state["status"] != "SUBMITTED":
        raise Conflict(f"report {report_id} is {state['status']}; only submitted reports "
                       "can be referred")
    if state["referred"]:
        raise Conflict(f"report {report_id} is already referred to agency {agency_id}")
    at = datetime.now(UTC)
    await run(tx, CREATE_REFERRAL, reportId=report_id, agencyId=agency_id,
              at=at, by=by, reason=reason, eventId=str(uuid.uuid4()))
    await emit(tx, [event("REFERRED", state["report"], at=at, agencyId=agency_id, by=by,
                          source="ANALYST", reason=reason)])


async def refer_report(db: Database, report_id: int, agency_id: str, *, by: str, reason: str,
                       rows: RowScope, change: Change | None = None) -> None:
    """Refer a submitted report to an agency, recording who, when and why."""
    if not reason.strip() or len(reason) > 3000:
        raise BadInput("a referral needs a reason of 1 to 3000 characters", field="reason")
    await write_once(db, change, _refer_tx, report_id, agency_id, by, reason.strip(), rows,
                     target=lambda _: str(report_id))
