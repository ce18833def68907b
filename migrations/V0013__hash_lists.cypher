// Hash lists (graph/matching/hashlists.py): a list by name, its versions by "NAME@VERSION",
// entries found by (algorithm, value) when a report's files are matched, and the labels a
// version suggested found by version when it is retired.
CREATE CONSTRAINT hash_list_name_unique IF NOT EXISTS FOR (l:HashList) REQUIRE l.name IS UNIQUE;
CREATE CONSTRAINT hash_list_version_id_unique IF NOT EXISTS FOR (v:HashListVersion) REQUIRE v.id IS UNIQUE;
CREATE INDEX hash_list_entry_hash IF NOT EXISTS FOR (e:HashListEntry) ON (e.algorithm, e.value);
CREATE INDEX classification_list_version IF NOT EXISTS FOR (c:Classification) ON (c.listVersion);
