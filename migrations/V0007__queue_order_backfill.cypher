// Sort keys for reports written before V0006: 1-3 for P1-P3, 4 when untriaged; the submission
// time, or the opening time while a report is open.
MATCH (r:Report)
SET r.priorityRank = CASE r.priority WHEN 'P1' THEN 1 WHEN 'P2' THEN 2 WHEN 'P3' THEN 3 ELSE 4 END,
    r.queuedAt = coalesce(r.finishedAt, r.openedAt);
