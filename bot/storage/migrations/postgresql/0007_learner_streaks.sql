-- PostgreSQL form of 0007.
CREATE TABLE learner_streaks (
    guild_id       BIGINT  NOT NULL,
    user_id        BIGINT  NOT NULL,
    kind           TEXT    NOT NULL,
    last_post_id   BIGINT  NOT NULL,
    last_opened_at BIGINT  NOT NULL,
    run            INTEGER NOT NULL,
    run_correct    INTEGER NOT NULL,
    best           INTEGER NOT NULL,
    best_correct   INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id, kind)
);

CREATE FUNCTION answers_forget_streaks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM learner_streaks WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id;
    RETURN NULL;
END $$;
CREATE TRIGGER answers_forget_streaks AFTER DELETE ON answers
    FOR EACH ROW EXECUTE FUNCTION answers_forget_streaks();

CREATE FUNCTION scheduled_posts_forget_streaks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM learner_streaks WHERE guild_id = OLD.guild_id AND kind = OLD.kind
        AND (last_opened_at > OLD.opens_at OR (last_opened_at = OLD.opens_at AND last_post_id >= OLD.post_id));
    RETURN NULL;
END $$;
CREATE TRIGGER scheduled_posts_forget_streaks AFTER DELETE ON posts
    FOR EACH ROW WHEN (OLD.origin = 'scheduled') EXECUTE FUNCTION scheduled_posts_forget_streaks();
