-- Each learner's streaks as of their latest answer to a server's scheduled posts of a kind, kept with every
-- answer so a click's reply does not read the server's whole history. A missing row is counted again from the
-- history, so rows are simply dropped whenever answers or scheduled posts they were counted from go.
CREATE TABLE learner_streaks (
    guild_id       INTEGER NOT NULL,
    user_id        INTEGER NOT NULL,
    kind           TEXT    NOT NULL,
    last_post_id   INTEGER NOT NULL,
    last_opened_at INTEGER NOT NULL,
    run            INTEGER NOT NULL,
    run_correct    INTEGER NOT NULL,
    best           INTEGER NOT NULL,
    best_correct   INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id, kind)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER answers_forget_streaks AFTER DELETE ON answers
BEGIN
    DELETE FROM learner_streaks WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id;
END;

-- Only rows counted past the deleted post: a post that never reached its channel (the one case the bot deletes
-- posts) is the newest, so no row goes.
CREATE TRIGGER scheduled_posts_forget_streaks AFTER DELETE ON posts WHEN OLD.origin = 'scheduled'
BEGIN
    DELETE FROM learner_streaks WHERE guild_id = OLD.guild_id AND kind = OLD.kind
        AND (last_opened_at > OLD.opens_at OR (last_opened_at = OLD.opens_at AND last_post_id >= OLD.post_id));
END;
