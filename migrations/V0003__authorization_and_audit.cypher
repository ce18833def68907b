// Audit trail (hash-chained, one sequence), revoked tokens, referrals' agencies.
CREATE CONSTRAINT audit_event_seq_unique IF NOT EXISTS FOR (e:AuditEvent) REQUIRE e.seq IS UNIQUE;
CREATE CONSTRAINT audit_event_id_unique IF NOT EXISTS FOR (e:AuditEvent) REQUIRE e.id IS UNIQUE;
CREATE CONSTRAINT audit_head_unique IF NOT EXISTS FOR (h:AuditHead) REQUIRE h.name IS UNIQUE;
CREATE CONSTRAINT revoked_token_jti_unique IF NOT EXISTS FOR (t:RevokedToken) REQUIRE t.jti IS UNIQUE;
CREATE INDEX audit_event_subject IF NOT EXISTS FOR (e:AuditEvent) ON (e.subject);
CREATE INDEX audit_event_at IF NOT EXISTS FOR (e:AuditEvent) ON (e.at);
