// Bundles of viral content: one per hash of a file marked viral or potential meme.
CREATE CONSTRAINT bundle_id_unique IF NOT EXISTS FOR (b:Bundle) REQUIRE b.id IS UNIQUE;
CREATE INDEX report_bundle IF NOT EXISTS FOR (r:Report) ON (r.bundleId);
