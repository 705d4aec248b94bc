-- What each running process last said about its shards, so `revbot doctor` can show every shard of the bot,
-- whichever process runs it, and name a shard that no running process reports.
CREATE TABLE shard_reports (
    shard_id    INTEGER NOT NULL PRIMARY KEY,
    shard_count INTEGER NOT NULL,
    latency_ms  INTEGER,           -- NULL until the shard's first heartbeat is answered
    servers     INTEGER NOT NULL,
    process     TEXT    NOT NULL,  -- host name and process id
    reported_at INTEGER NOT NULL
);
