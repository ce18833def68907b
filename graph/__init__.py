"""Everything that speaks Cypher: driver helpers, named queries, services, the migration runner."""
