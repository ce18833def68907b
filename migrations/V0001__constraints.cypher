// Identity: one node per identifier (normalised value), report, file, reporter, agency and
// jurisdiction. Concurrent MERGE without these constraints creates duplicates.
CREATE CONSTRAINT identifier_key_unique IF NOT EXISTS FOR (i:Identifier) REQUIRE i.key IS UNIQUE;
CREATE CONSTRAINT identifier_id_unique IF NOT EXISTS FOR (i:Identifier) REQUIRE i.id IS UNIQUE;
CREATE CONSTRAINT report_id_unique IF NOT EXISTS FOR (r:Report) REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT report_idempotency_unique IF NOT EXISTS FOR (r:Report) REQUIRE r.idempotencyKey IS UNIQUE;
CREATE CONSTRAINT file_id_unique IF NOT EXISTS FOR (f:File) REQUIRE f.id IS UNIQUE;
CREATE CONSTRAINT reporter_id_unique IF NOT EXISTS FOR (e:Reporter) REQUIRE e.id IS UNIQUE;
CREATE CONSTRAINT agency_id_unique IF NOT EXISTS FOR (a:Agency) REQUIRE a.id IS UNIQUE;
CREATE CONSTRAINT jurisdiction_code_unique IF NOT EXISTS FOR (j:Jurisdiction) REQUIRE j.code IS UNIQUE;
CREATE CONSTRAINT classification_id_unique IF NOT EXISTS FOR (c:Classification) REQUIRE c.id IS UNIQUE;
CREATE CONSTRAINT id_block_name_unique IF NOT EXISTS FOR (b:IdBlock) REQUIRE b.name IS UNIQUE;
