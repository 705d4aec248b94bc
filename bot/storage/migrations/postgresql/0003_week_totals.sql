-- PostgreSQL form of 0003.

ALTER TABLE answers ADD COLUMN week_key TEXT;

CREATE TABLE board_week_totals (
    guild_id BIGINT  NOT NULL,
    week_key TEXT    NOT NULL,
    user_id  BIGINT  NOT NULL,
    points   INTEGER NOT NULL,
    answers  INTEGER NOT NULL,
    correct  INTEGER NOT NULL,
    PRIMARY KEY (guild_id, week_key, user_id)
);
CREATE INDEX board_week_totals_rank ON board_week_totals (guild_id, week_key, points DESC, answers, user_id);

CREATE FUNCTION answers_add_to_week() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO board_week_totals AS t (guild_id, week_key, user_id, points, answers, correct)
    VALUES (NEW.guild_id, NEW.week_key, NEW.user_id, NEW.points, 1, NEW.correct)
    ON CONFLICT (guild_id, week_key, user_id) DO UPDATE SET
        points = t.points + excluded.points,
        answers = t.answers + 1,
        correct = t.correct + excluded.correct;
    RETURN NULL;
END $$;
CREATE TRIGGER answers_add_to_week AFTER INSERT ON answers
    FOR EACH ROW WHEN (NEW.on_board = 1 AND NEW.week_key IS NOT NULL) EXECUTE FUNCTION answers_add_to_week();

CREATE FUNCTION answers_remove_from_week() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE board_week_totals SET
        points = points - OLD.points, answers = answers - 1, correct = correct - OLD.correct
    WHERE guild_id = OLD.guild_id AND week_key = OLD.week_key AND user_id = OLD.user_id;
    DELETE FROM board_week_totals
    WHERE guild_id = OLD.guild_id AND week_key = OLD.week_key AND user_id = OLD.user_id AND answers <= 0;
    RETURN NULL;
END $$;
CREATE TRIGGER answers_remove_from_week AFTER DELETE ON answers
    FOR EACH ROW WHEN (OLD.on_board = 1 AND OLD.week_key IS NOT NULL) EXECUTE FUNCTION answers_remove_from_week();
