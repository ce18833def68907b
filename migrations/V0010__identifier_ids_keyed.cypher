// Identifier ids become a keyed HMAC of the identity (graph/identifier_ids.py): an unkeyed
// hash let anyone who guessed a value find its id. No Cypher can compute the HMAC, so the
// runner re-derives every id (and the ids of bundles named after hashes) right after the
// files, whenever the graph's :IdentifierKeying fingerprint is not the configured key's.
CREATE CONSTRAINT identifier_keying_unique IF NOT EXISTS FOR (k:IdentifierKeying) REQUIRE k.id IS UNIQUE;
