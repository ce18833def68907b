"""The ground every domain stands on: the driver, ids, migrations, the local Neo4j, the row
rule, errors, keys, vocabularies and the batched-read helpers."""
