-- When each IDENTIFY bucket (shard id % Discord's max_concurrency) last connected a shard, so processes that
-- share a token and a database connect no more shards at once than Discord allows, whichever starts first.
CREATE TABLE identify_claims (
    bucket     INTEGER NOT NULL PRIMARY KEY,
    claimed_at INTEGER NOT NULL  -- wall-clock milliseconds
);
