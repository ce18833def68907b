// The backup's write pause (graph.ops.pause): one at a time.
CREATE CONSTRAINT write_pause_key_unique IF NOT EXISTS FOR (p:WritePause) REQUIRE p.key IS UNIQUE;
