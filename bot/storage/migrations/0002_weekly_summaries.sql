-- Weekly summary posts: at most one per server and week, written before the message is sent.

CREATE TABLE summaries (
    guild_id   INTEGER NOT NULL,
    week_start TEXT    NOT NULL,   -- the local date the summarised week starts on
    channel_id INTEGER NOT NULL,
    message_id INTEGER,
    posted_at  INTEGER NOT NULL,
    PRIMARY KEY (guild_id, week_start)
) STRICT;
