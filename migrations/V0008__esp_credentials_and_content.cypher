// The CyberTipline door: one ESP per HTTP Basic username; uploaded content by its address
// (a blob is deleted only when no file refers to it).
CREATE CONSTRAINT reporter_username_unique IF NOT EXISTS FOR (e:Reporter) REQUIRE e.username IS UNIQUE;
CREATE INDEX file_content_ref IF NOT EXISTS FOR (f:File) ON (f.contentRef);
