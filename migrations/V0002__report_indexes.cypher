// Lookups the intake, the sweep and the report lists filter on.
CREATE INDEX report_status IF NOT EXISTS FOR (r:Report) ON (r.status);
CREATE INDEX report_reporter IF NOT EXISTS FOR (r:Report) ON (r.reporterId, r.id);
CREATE INDEX report_open_since IF NOT EXISTS FOR (r:Report) ON (r.status, r.expiresAt);
CREATE INDEX report_finished_at IF NOT EXISTS FOR (r:Report) ON (r.finishedAt);
CREATE INDEX identifier_kind IF NOT EXISTS FOR (i:Identifier) ON (i.kind);
