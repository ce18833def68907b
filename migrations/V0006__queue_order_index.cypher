// The triage queue's default order (priority, then submission) read from an index instead of a
// sort over every report: denormalised sort keys kept by intake and triage (graph/queue.py).
CREATE INDEX report_queue_order IF NOT EXISTS FOR (r:Report) ON (r.priorityRank, r.queuedAt);
CREATE INDEX report_queued_at IF NOT EXISTS FOR (r:Report) ON (r.queuedAt);
