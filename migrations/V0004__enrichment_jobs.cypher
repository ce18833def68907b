// One enrichment job per finished report, retried until done.
CREATE CONSTRAINT enrichment_job_report_unique IF NOT EXISTS FOR (j:EnrichmentJob) REQUIRE j.reportId IS UNIQUE;
CREATE INDEX enrichment_job_due IF NOT EXISTS FOR (j:EnrichmentJob) ON (j.status, j.runAfter);
