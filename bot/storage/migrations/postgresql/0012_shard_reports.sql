-- PostgreSQL form of 0012.
CREATE TABLE shard_reports (
    shard_id    INTEGER NOT NULL PRIMARY KEY,
    shard_count INTEGER NOT NULL,
    latency_ms  INTEGER,
    servers     INTEGER NOT NULL,
    process     TEXT    NOT NULL,
    reported_at BIGINT  NOT NULL
);
