"""Enrichment of finished reports: IP geolocation, jurisdictions, a suggested priority, and the
labels hash lists and near duplicates suggest for their files (graph.matching).

Finishing a report (through either door) writes an ``:EnrichmentJob`` in the same transaction,
so the ESP's answer does not wait for enrichment and no finished report is forgotten. A worker
claims due jobs, runs them (each in one idempotent transaction) and retries failures with
backoff. Everything it writes carries its provenance: ``source``, ``by``, ``at``, confidence.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from neo4j import AsyncManagedTransaction

from graph.core.db import Database, run
from graph.core.errors import BadInput, TipgraphError
from graph.core.idempotency import Change, write_once
from graph.core.visibility import COUNTED_REPORT, EVERY_REPORT, is_common
from graph.events.log import emit, event
from graph.matching.hashlists import match_reports_tx
from graph.matching.near import (
    Candidates,
    References,
    near_pairs,
    pdq_of_reports_tx,
)
from graph.referrals.agencies import jurisdiction_row
from graph.triage.geo import GeoProvider

log = logging.getLogger("tipgraph.enrichment")
WORKER: Final = "tipgraph-enrichment"
WORKER_SCOPE: Final = EVERY_REPORT
CLAIM_FOR: Final = timedelta(minutes=5)
MAX_BACKOFF: Final = timedelta(minutes=10)

# Jobs are written by the intake's finish, in the same transaction (ENQUEUE in
# graph.reports.intake.writes), and claimed here.
# Two index seeks on (status, runAfter), not one OR: with an OR the planner scans every job,
# and done jobs accumulate (a million reports: half a second a poll, all of it wasted).
# Every job has a runAfter (ENQUEUE, the bulk loader); the seek needs it said.
CLAIM_DUE: Final = """
CALL () {
  MATCH (job:EnrichmentJob) WHERE job.status IN ['PENDING', 'RETRY'] AND job.runAfter <= $now
  RETURN job
  UNION
  MATCH (job:EnrichmentJob)
  WHERE job.status = 'RUNNING' AND job.runAfter IS NOT NULL AND job.claimedUntil < $now
  RETURN job
}
WITH job ORDER BY job.runAfter LIMIT $limit
SET job.status = 'RUNNING', job.claimedUntil = $until, job.attempts = job.attempts + 1
RETURN job.reportId AS reportId, job.attempts AS attempts
"""

# The suggestion looks at every submitted report (the scope of the worker, who sees all):
# it is shown only to readers who see every report (Report.suggestedPriority).
FACTS: Final = """
UNWIND $ids AS id
MATCH (r:Report {id: id})
OPTIONAL MATCH (r)-[:MENTIONS]->(ip:Identifier {kind: 'IP_ADDRESS'})
WITH r, collect(DISTINCT {key: ip.key, value: ip.value}) AS ips
CALL (r) {
  OPTIONAL MATCH (r)-[:MENTIONS]->(i:Identifier)<-[:MENTIONS]-(other:Report)
  WHERE other <> r AND other.status = 'SUBMITTED' AND NOT """ + is_common("i") + """
  RETURN count(DISTINCT other) AS linked
}
RETURN r.id AS id, r.reportedPeople AS people, coalesce(r.escalated, false) AS escalated,
       r.annotations AS annotations, [ip IN ips WHERE ip.key IS NOT NULL] AS ips, linked
"""

WRITE: Final = """
UNWIND $rows AS p
MATCH (r:Report {id: p.id})
CALL (r, p) {
  UNWIND p.jurisdictions AS row
  MERGE (j:Jurisdiction {code: row.code})
    ON CREATE SET j.name = row.name, j.kind = row.kind, j.country = row.country
  RETURN count(*) AS ensured
}
CALL (r, p) {
  // The IP's place for link analysis; the report keeps its own lookup (x.ips below), so that
  // what its readers are told does not move when another report's enrichment looks again.
  UNWIND p.located AS row
  MATCH (i:Identifier {key: row.key}), (j:Jurisdiction {code: row.code})
  MERGE (i)-[l:LOCATED_IN]->(j)
  SET l.source = row.source, l.at = $now, l.confidence = row.confidence
}
CALL (r, p) {
  OPTIONAL MATCH (r)-[old:IN_JURISDICTION]->() WHERE old.source <> 'ANALYST'
  DELETE old
}
CALL (r, p) {
  UNWIND p.placed AS row
  MATCH (j:Jurisdiction {code: row.code})
  MERGE (r)-[x:IN_JURISDICTION {basis: row.basis}]->(j)
  SET x.source = row.source, x.by = $by, x.at = $now, x.confidence = row.confidence,
      x.ips = row.ips
}
CALL (r, p) {
  OPTIONAL MATCH (r)-[:LABELLED]->(old:Classification {kind: 'SUGGESTED_PRIORITY'})
  DETACH DELETE old
}
WITH r, p
CREATE (r)-[:LABELLED]->(:Classification {id: p.suggestionId, kind: 'SUGGESTED_PRIORITY',
  label: p.priority, source: 'AUTOMATED', by: $by, at: $now, basis: p.basis})
WITH r, p
CALL (r, p) {
  // Viral content: files annotated VIRAL or POTENTIAL_MEME (and every ESP-batched report's
  // file) join the bundle of their first hash. MERGE under a unique id: one bundle per hash.
  MATCH (r)-[:HAS_FILE]->(f:File)-[:HAS_HASH]->(h:Identifier)
  WHERE r.batchReason IS NOT NULL OR any(a IN f.annotations WHERE a IN ['VIRAL', 'POTENTIAL_MEME'])
  WITH r, h ORDER BY h.key LIMIT 1
  MERGE (b:Bundle {id: h.id})
    ON CREATE SET b.hashKey = h.key, b.firstSeen = r.finishedAt, b.lastSeen = r.finishedAt
  SET b.firstSeen = CASE WHEN r.finishedAt < b.firstSeen THEN r.finishedAt ELSE b.firstSeen END,
      b.lastSeen = CASE WHEN r.finishedAt > b.lastSeen THEN r.finishedAt ELSE b.lastSeen END,
      r.bundleId = b.id
  MERGE (r)-[:IN_BUNDLE]->(b)
}
WITH r
MATCH (job:EnrichmentJob {reportId: r.id})
SET job.status = 'DONE', job.computedAt = $now, job.error = null
"""

FAILED: Final = """
MATCH (job:EnrichmentJob {reportId: $id})
SET job.status = 'RETRY', job.runAfter = $runAfter, job.error = $error
"""

OVERRIDE: Final = """
MATCH (r:Report {id: $id})
MERGE (j:Jurisdiction {code: $row.code})
  ON CREATE SET j.name = $row.name, j.kind = $row.kind, j.country = $row.country
WITH r, j
OPTIONAL MATCH (r)-[old:IN_JURISDICTION {basis: 'ANALYST_OVERRIDE'}]->()
DELETE old
WITH DISTINCT r, j
CREATE (r)-[:IN_JURISDICTION {basis: 'ANALYST_OVERRIDE', source: 'ANALYST', by: $by, at: $now,
                              reason: $reason, confidence: 1.0}]->(j)
CREATE (r)-[:HAS_EVENT]->(:HistoryEntry {id: $eventId, kind: 'JURISDICTION', at: $now, by: $by,
                                       source: 'ANALYST', reason: $reason, after: j.code})
"""


@dataclass(frozen=True, slots=True)
class Suggestion:
    priority: str
    basis: str


def suggest_priority(escalated: bool, annotations: list[str], linked_reports: int) -> Suggestion:
    """P1 for an escalation or sextortion/sadistic exploitation; P2 for solicitation or
    minor-to-minor; P3 otherwise; three or more linked reports raise it one level."""
    reasons: list[str] = []
    level = 3
    if escalated:
        level, reasons = 1, [*reasons, "the ESP escalated it"]
    for name, to in (("SEXTORTION", 1), ("SADISTIC_ONLINE_EXPLOITATION", 1),
                     ("CSAM_SOLICITATION", 2), ("MINOR_TO_MINOR_INTERACTION", 2)):
        if name in annotations:
            level = min(level, to)
            reasons.append(f"annotated {name}")
    if linked_reports >= 3:
        level = max(1, level - 1)
        reasons.append(f"linked to {linked_reports} other reports through shared identifiers")
    basis = "; ".join(reasons) if reasons else "no escalation, aggravating annotation or links"
    return Suggestion(priority=f"P{level}", basis=basis)


def estimated_locations(people_json: str | None) -> list[str]:
    """Jurisdiction codes from the ESP's estimated locations of the reported people."""
    codes = []
    for person in json.loads(people_json) if people_json else []:
        location = person.get("estimated_location") or {}
        country, region = location.get("country_code"), location.get("region")
        if country:
            codes.append(f"US-{region}" if country == "US" and region else country)
    return codes


async def _claim_tx(tx: AsyncManagedTransaction, now: datetime,
                    limit: int) -> list[dict[str, Any]]:
    records = await run(tx, CLAIM_DUE, now=now, until=now + CLAIM_FOR, limit=limit)
    return [dict(r) for r in records]


async def _facts_tx(tx: AsyncManagedTransaction, report_ids: list[int],
                    threshold: int) -> list[dict[str, Any]]:
    """What enrichment reads of the reports themselves (matching reads beside it)."""
    records = await run(tx, FACTS, ids=report_ids, threshold=threshold, rows=EVERY_REPORT)
    return [dict(r) for r in records]


PREVIOUS_SUGGESTIONS: Final = """
UNWIND $ids AS id
MATCH (r:Report {id: id})
OPTIONAL MATCH (r)-[:LABELLED]->(c:Classification {kind: 'SUGGESTED_PRIORITY'})
RETURN r {.id, .reporterId, .incidentType} AS report, c.label AS label
"""


async def _write_tx(tx: AsyncManagedTransaction, now: datetime, rows: list[dict[str, Any]],
                    exact: list[dict[str, Any]], near: list[dict[str, Any]]) -> None:
    before = {r["report"]["id"]: r for r in await run(
        tx, PREVIOUS_SUGGESTIONS, ids=[row["id"] for row in rows])}
    await run(tx, WRITE, rows=rows, now=now, by=WORKER)
    await match_reports_tx(tx, exact, near, now)
    await emit(tx, [event("PRIORITY_SUGGESTED", before[row["id"]]["report"], at=now,
                          source="AUTOMATED", by=WORKER, priority="P1", reason=row["basis"])
                    for row in rows
                    if row["priority"] == "P1" and before[row["id"]]["label"] != "P1"])


async def _failed_tx(tx: AsyncManagedTransaction, report_id: int, run_after: datetime,
                     error: str) -> None:
    await run(tx, FAILED, id=report_id, runAfter=run_after, error=error)


async def _override_tx(tx: AsyncManagedTransaction, params: dict[str, Any]) -> None:
    await run(tx, OVERRIDE, **params)


async def override_jurisdiction(db: Database, report_id: int, code: str, *, reason: str,
                                by: str, change: Change | None = None) -> None:
    """An analyst's jurisdiction for a report, beside (not instead of) the computed ones."""
    if not reason.strip():
        raise BadInput("a reason is required", field="reason")
    await write_once(db, change, _override_tx, {
        "id": report_id, "row": jurisdiction_row(code), "by": by, "reason": reason.strip(),
        "now": datetime.now(UTC), "eventId": str(uuid.uuid4())}, target=lambda _: str(report_id))


class EnrichmentWorker:
    def __init__(self, db: Database, geo: GeoProvider, common_threshold: int, *,
                 references: References | None = None, matching: bool = True) -> None:
        self.db = db
        self.geo = geo
        self.common_threshold = common_threshold
        # the PDQ hashes new files are matched against (in memory unless given a folder)
        self.references = references or References()
        self.matching = matching  # hash lists and near duplicates; off only to measure it
        self.wake = asyncio.Event()
        self.on_enriched: Callable[[], None] = lambda: None  # e.g. the event hub's poke

    async def enrich(self, report_id: int) -> None:
        await self.enrich_many([report_id])

    async def enrich_many(self, report_ids: list[int]) -> None:
        """Enrich these reports: one read of their facts and, beside it, what their files
        match; then one write of every result."""
        facts = asyncio.create_task(self.db.read(_facts_tx, report_ids, self.common_threshold))
        try:
            exact, near = await self._matches(report_ids) if self.matching else ([], [])
        except BaseException:
            facts.cancel()
            raise
        reports = await facts
        if not reports:
            return
        now = datetime.now(UTC)
        await self.db.write(_write_tx, now, [self._result(f) for f in reports], exact, near)
        self.on_enriched()

    async def _matches(self, report_ids: list[int]) -> tuple[list[dict[str, Any]],
                                                             list[dict[str, Any]]]:
        """The exact matches of these reports' files on live lists, and the near pairs of
        their PDQ hashes: a read of its own and the index's search, while Neo4j reads the
        facts (on a small machine the search and the facts' read take a core each)."""
        found: Candidates = await self.db.read(pdq_of_reports_tx, report_ids)
        return found.exact, await near_pairs(self.db, self.references, found.pdq, found.state)

    def _result(self, facts: dict[str, Any]) -> dict[str, Any]:
        """One report's locations, jurisdictions and suggested priority, from its facts."""
        located: list[dict[str, Any]] = []
        placed: dict[tuple[str, str], dict[str, Any]] = {}
        for ip in facts["ips"]:
            where = self.geo.locate(ip["value"])
            if where is not None:
                located.append({"key": ip["key"], "code": where.code, "source": where.source,
                                "confidence": where.confidence})
                placed.setdefault((where.code, "GEOLOCATION"), {
                    "code": where.code, "basis": "GEOLOCATION", "source": where.source,
                    "confidence": where.confidence, "ips": []})["ips"].append(ip["key"])
        for code in estimated_locations(facts["people"]):
            try:
                jurisdiction_row(code)
            except BadInput:
                continue
            placed.setdefault((code, "ESP_ESTIMATED_LOCATION"), {
                "code": code, "basis": "ESP_ESTIMATED_LOCATION", "source": "ESP",
                "confidence": 0.6, "ips": None})
        codes = {row["code"] for row in [*located, *placed.values()]}
        suggestion = suggest_priority(facts["escalated"], facts["annotations"] or [],
                                      facts["linked"])
        return {"id": facts["id"], "located": located, "placed": list(placed.values()),
                "jurisdictions": [jurisdiction_row(code) for code in sorted(codes)],
                "priority": suggestion.priority, "basis": suggestion.basis,
                "suggestionId": str(uuid.uuid4())}

    async def run_due(self, limit: int = 50) -> int:
        """Claim the jobs that are due and run them together (one read, one write); when that
        fails, one by one, so that one report's failure retries only its own job. Returns how
        many finished."""
        jobs = await self.db.write(_claim_tx, datetime.now(UTC), limit)
        if not jobs:
            return 0
        try:
            await self.enrich_many([job["reportId"] for job in jobs])
            return len(jobs)
        except (TipgraphError, ValueError) as error:
            if len(jobs) == 1:
                await self._failed(jobs[0], error)
                return 0
        done = 0
        for job in jobs:
            try:
                await self.enrich(job["reportId"])
                done += 1
            except (TipgraphError, ValueError) as error:
                await self._failed(job, error)
        return done

    async def _failed(self, job: dict[str, Any], error: Exception) -> None:
        backoff = min(MAX_BACKOFF, timedelta(seconds=2 ** job["attempts"]))
        log.warning("enrichment of report %s failed (attempt %s): %s", job["reportId"],
                    job["attempts"], error)
        await self.db.write(_failed_tx, job["reportId"], datetime.now(UTC) + backoff,
                            str(error)[:500])

    async def run_forever(self, idle_seconds: float = 2.0) -> None:
        """The API process's loop: woken by new finishes, polling otherwise."""
        while True:
            try:
                while await self.run_due():
                    pass
            except Exception:
                log.exception("enrichment paused; retrying shortly")
            self.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=idle_seconds)


# -- reads for the API --------------------------------------------------------------------------

JOBS_BY_REPORT_IDS: Final = """
UNWIND $ids AS id
OPTIONAL MATCH (job:EnrichmentJob {reportId: id})
RETURN id, job {.status, .computedAt, .attempts, .error} AS job
"""

JURISDICTIONS_BY_REPORT_IDS: Final = """
UNWIND $ids AS id
OPTIONAL MATCH (:Report {id: id})-[x:IN_JURISDICTION]->(j:Jurisdiction)
WITH id, x, j ORDER BY x.confidence DESC, j.code
RETURN id, collect(CASE WHEN j IS NULL THEN null ELSE
  {code: j.code, name: j.name, basis: x.basis, source: x.source, by: x.by, at: x.at,
   confidence: x.confidence, reason: x.reason} END) AS jurisdictions
"""

SUGGESTIONS_BY_REPORT_IDS: Final = """
UNWIND $ids AS id
OPTIONAL MATCH (:Report {id: id})-[:LABELLED]->(c:Classification {kind: 'SUGGESTED_PRIORITY'})
RETURN id, c {.*} AS suggestion
"""

# Agencies covering one of the report's jurisdictions, or the country a state belongs to.
SUGGESTED_AGENCIES_BY_REPORT_IDS: Final = """
UNWIND $ids AS id
OPTIONAL MATCH (:Report {id: id})-[:IN_JURISDICTION]->(j:Jurisdiction)
OPTIONAL MATCH (a:Agency)-[:COVERS]->(c:Jurisdiction) WHERE c.code IN [j.code, j.country]
WITH id, a, max(CASE WHEN c.code = j.code THEN 2 ELSE 1 END) AS fit
WITH id, a, fit ORDER BY fit DESC, a.id
RETURN id, [x IN collect(a.id) WHERE x IS NOT NULL] AS agencies
"""

# A bundle as the reader sees it: its size and first and last submission count only the
# submitted reports the reader may see (graph/core/visibility.py).
BUNDLES_BY_IDS: Final = (
    "UNWIND $ids AS id OPTIONAL MATCH (b:Bundle {id: id})"
    " OPTIONAL MATCH (h:Identifier {key: b.hashKey})"
    " CALL (b) { OPTIONAL MATCH (b)<-[:IN_BUNDLE]-(r:Report) WHERE " + COUNTED_REPORT
    + " RETURN count(r) AS reportCount, min(r.finishedAt) AS firstSeen,"
    " max(r.finishedAt) AS lastSeen }"
    " RETURN id, CASE WHEN b IS NULL THEN null ELSE b {.id, hash: h {.id, .kind, .value, .scope},"
    " reportCount: reportCount, firstSeen: firstSeen, lastSeen: lastSeen} END AS bundle"
)
