// A change to a report made with an idempotency key (addFile, /upload, finish, retract,
// /fileinfo): its key, unique, so that a retry answers the original result.
CREATE CONSTRAINT idempotent_change_key_unique IF NOT EXISTS FOR (c:IdempotentChange) REQUIRE c.key IS UNIQUE;
