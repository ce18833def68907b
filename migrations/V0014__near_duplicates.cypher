// Near-duplicate matching (graph/matching/near.py): the PDQ hashes files are matched against,
// one node per distinct value (hash-list entries and files analysts labelled), found by value
// and read incrementally by the time they arrived; and a file's PDQ hash found by key prefix.
CREATE CONSTRAINT pdq_reference_value_unique IF NOT EXISTS FOR (p:PdqReference) REQUIRE p.value IS UNIQUE;
CREATE INDEX pdq_reference_at IF NOT EXISTS FOR (p:PdqReference) ON (p.at);
CREATE CONSTRAINT pdq_reference_set_key_unique IF NOT EXISTS FOR (s:PdqReferenceSet) REQUIRE s.key IS UNIQUE;
