// The PDQ hashes known before V0014: those of hash-list entries, and of files analysts labelled.
MATCH (e:HashListEntry {algorithm: 'PDQ'})
MERGE (p:PdqReference {value: e.value})
  ON CREATE SET p.at = datetime();
MATCH (f:File)-[:LABELLED]->(:Classification {source: 'ANALYST'})
MATCH (f)-[:HAS_HASH]->(h:Identifier {scope: 'PDQ'})
MERGE (p:PdqReference {value: h.value})
  ON CREATE SET p.at = datetime();
