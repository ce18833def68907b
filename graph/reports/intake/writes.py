"""Named Cypher for the intake's writes: opening, filling, finishing and cancelling reports.

Every statement is keyed by the submitting ESP's own ``reporterId`` (the row rule's exemption
for the ESP door, graph/core/visibility.py); the intake service (``service.py``) runs them.
"""

from __future__ import annotations

from typing import Final

from graph.reports.queries import REPORT_FIELDS

# The enrichment job (graph/triage/enrichment.py claims it), written with the finish in the same
# transaction, so that no submitted report goes unenriched.
ENQUEUE: Final = """
MERGE (job:EnrichmentJob {reportId: r.id})
  ON CREATE SET job.status = 'PENDING', job.attempts = 0, job.createdAt = $now,
                job.runAfter = $now
"""


MERGE_IDENTIFIER: Final = """
MERGE (i:Identifier {key: m.key})
  ON CREATE SET i.id = m.id, i.kind = m.kind, i.value = m.value, i.scope = m.scope,
                i.firstSeenAt = $now
"""

MENTIONS_SUBQUERY: Final = (
    " CALL (r) { UNWIND $mentions AS m " + MERGE_IDENTIFIER
    + " CREATE (r)-[x:MENTIONS]->(i) SET x = m.rel }"
)

# A file's hashes and ESP label, given `file` and its parameters `f`. A hash the server
# computed from uploaded bytes says so (source TIPGRAPH); the rest are the ESP's.
FILE_PARTS: Final = (
    " CALL (file, f) { UNWIND f.hashes AS m " + MERGE_IDENTIFIER
    + " CREATE (file)-[:HAS_HASH {algorithm: m.scope, source: coalesce(m.source, 'ESP')}]->(i) }"
    " CALL (file, f) { UNWIND f.labels AS c"
    " CREATE (file)-[:LABELLED]->(:Classification {id: c.id, label: c.label, source: 'ESP',"
    " by: $reporterId, at: $now, basis: c.basis, scheme: 'INDUSTRY'}) }"
)

FILES_SUBQUERY: Final = (
    " CALL (r) { UNWIND $files AS f"
    " CREATE (r)-[:HAS_FILE]->(file:File) SET file = f.props"
    " WITH file, f" + FILE_PARTS + " }"
)

CREATE_REPORT: Final = (
    "MATCH (e:Reporter {id: $reporterId})"
    " CREATE (e)-[:SUBMITTED]->(r:Report) SET r = $props"
    " WITH r" + MENTIONS_SUBQUERY + FILES_SUBQUERY
    + " CALL (r) { WITH r WHERE r.status = 'SUBMITTED' " + ENQUEUE + " }"
    " RETURN " + REPORT_FIELDS + " AS report"
)

REPORT_BY_IDEMPOTENCY_KEY: Final = (
    "MATCH (r:Report {idempotencyKey: $key})"
    " RETURN r.idempotencyHash AS hash, " + REPORT_FIELDS + " AS report"
)

# A change made with an idempotency key: recorded in the change's own transaction, beside the
# report (kept as long as the report is: reports are never deleted, only their content), and
# looked up first when the key comes again.
RECORD_CHANGE: Final = """
MATCH (r:Report {id: $id})
CREATE (r)-[:CHANGED_BY]->(:IdempotentChange {key: $key, hash: $hash, kind: $kind,
                                              reportId: $id, fileId: $fileId, at: $now})
"""

CHANGE_BY_KEY: Final = """
MATCH (c:IdempotentChange {key: $key})
OPTIONAL MATCH (r:Report {id: c.reportId})
OPTIONAL MATCH (r)-[:HAS_FILE]->(f:File {id: c.fileId})
RETURN c.hash AS hash, c.kind AS kind, """ + REPORT_FIELDS + """ AS report, f {.*} AS file
"""

# Takes the report's write lock first (the version bump), so concurrent changes serialise.
LOCK_OWN_REPORT: Final = """
MATCH (r:Report {id: $id})
WHERE r.reporterId = $reporterId
SET r.version = coalesce(r.version, 0) + 1
RETURN r.status AS status, r.openedAt AS openedAt, r.expiresAt AS expiresAt,
       r.batchReason AS batchReason, COUNT { (r)-[:MENTIONS]->() } AS mentions,
       [(r)-[:HAS_FILE]->(f:File) | f {.id, .relevance, .annotations, .originalFileName,
         .locationOfFile, .ipCaptureEvent, .deviceIds, .details, .additionalInfo}] AS files
"""

ADD_FILES: Final = (
    "MATCH (r:Report {id: $id})"
    " SET r.modifiedAt = $now, r.expiresAt = $expiresAt"
    " WITH r" + MENTIONS_SUBQUERY + FILES_SUBQUERY
    + " MATCH (r)-[:HAS_FILE]->(f:File {id: $fileId}) RETURN f {.*} AS file"
)

# The CyberTipline door's /fileinfo: details for a file uploaded earlier, once.
FILE_DETAILS: Final = (
    "MATCH (r:Report {id: $id})-[:HAS_FILE]->(file:File {id: $fileId})"
    " SET file += $file.props, file.detailsAt = $now, r.modifiedAt = $now,"
    " r.expiresAt = $expiresAt"
    " WITH r, file, $file AS f" + MENTIONS_SUBQUERY + FILE_PARTS
    + " RETURN file {.*} AS file"
)

FILE_OF_REPORT: Final = """
MATCH (:Report {id: $id})-[:HAS_FILE]->(f:File {id: $fileId})
RETURN f.detailsAt IS NOT NULL AS detailed
"""

FINISH_REPORT: Final = (
    "MATCH (r:Report {id: $id})"
    " SET r.status = 'SUBMITTED', r.finishedAt = $now, r.modifiedAt = $now, r.queuedAt = $now,"
    " r.preserveUntil = $preserveUntil"
    " REMOVE r.expiresAt"
    " WITH r " + ENQUEUE
    + " RETURN " + REPORT_FIELDS + " AS report"
)

# A report that will never be finished gives up its uploaded content: the files keep their
# metadata and say when the content went; the blobs go once nothing refers to them.
RELEASE_CONTENT: Final = (
    " CALL (r) { OPTIONAL MATCH (r)-[:HAS_FILE]->(f:File) WHERE f.contentRef IS NOT NULL"
    " WITH f, f.contentRef AS ref SET f.contentPurgedAt = $now REMOVE f.contentRef"
    " RETURN collect(ref) AS refs }"
)

CANCEL_REPORT: Final = (
    "MATCH (r:Report {id: $id})"
    " SET r.status = 'CANCELLED', r.cancelledAt = $now, r.modifiedAt = $now"
    " REMOVE r.expiresAt"
    " WITH r" + RELEASE_CONTENT
    + " RETURN " + REPORT_FIELDS + " AS report, refs"
)

SWEEP_EXPIRED: Final = (
    "MATCH (r:Report {status: 'OPEN'})"
    " WHERE r.expiresAt < $now"
    " WITH r LIMIT $batch"
    " SET r.status = 'EXPIRED', r.expiredAt = $now"
    " WITH r" + RELEASE_CONTENT
    + " RETURN count(r) AS expired, collect(refs) AS refs"
)

