// Outcome feedback from agencies, and the durable event log behind the subscriptions: events
// are numbered by one head (seq), so a cursor is a number and a reconnecting client resumes
// after it.
CREATE CONSTRAINT referral_outcome_id_unique IF NOT EXISTS FOR (o:ReferralOutcome) REQUIRE o.id IS UNIQUE;
CREATE INDEX referral_outcome_report IF NOT EXISTS FOR (o:ReferralOutcome) ON (o.reportId);
CREATE CONSTRAINT event_seq_unique IF NOT EXISTS FOR (e:Event) REQUIRE e.seq IS UNIQUE;
CREATE INDEX event_at IF NOT EXISTS FOR (e:Event) ON (e.at);
CREATE CONSTRAINT event_log_unique IF NOT EXISTS FOR (h:EventLog) REQUIRE h.name IS UNIQUE;
