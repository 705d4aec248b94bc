-- PostgreSQL form of 0002.

CREATE TABLE summaries (
    guild_id   BIGINT NOT NULL,
    week_start TEXT   NOT NULL,
    channel_id BIGINT NOT NULL,
    message_id BIGINT,
    posted_at  BIGINT NOT NULL,
    PRIMARY KEY (guild_id, week_start)
);
