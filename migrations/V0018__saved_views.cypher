// Saved views of the workspace's graph (graph.links.saved): one per owner and name.
CREATE CONSTRAINT saved_view_key_unique IF NOT EXISTS FOR (v:SavedView) REQUIRE v.key IS UNIQUE;
CREATE INDEX saved_view_owner IF NOT EXISTS FOR (v:SavedView) ON (v.owner);
