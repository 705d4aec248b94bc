-- Weekly leaderboard totals, kept by triggers like the all-time ones, so "this week" needs no scan.
-- week_key is the local date the answer's week starts on, in the server's timezone and week start;
-- it is set when the answer is recorded and recomputed if the server changes either setting.

ALTER TABLE answers ADD COLUMN week_key TEXT;

CREATE TABLE board_week_totals (
    guild_id INTEGER NOT NULL,
    week_key TEXT    NOT NULL,
    user_id  INTEGER NOT NULL,
    points   INTEGER NOT NULL,
    answers  INTEGER NOT NULL,
    correct  INTEGER NOT NULL,
    PRIMARY KEY (guild_id, week_key, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX board_week_totals_rank ON board_week_totals (guild_id, week_key, points DESC, answers, user_id);

CREATE TRIGGER answers_add_to_week AFTER INSERT ON answers WHEN NEW.on_board = 1 AND NEW.week_key IS NOT NULL
BEGIN
    INSERT INTO board_week_totals (guild_id, week_key, user_id, points, answers, correct)
    VALUES (NEW.guild_id, NEW.week_key, NEW.user_id, NEW.points, 1, NEW.correct)
    ON CONFLICT (guild_id, week_key, user_id) DO UPDATE SET
        points = points + excluded.points,
        answers = answers + 1,
        correct = correct + excluded.correct;
END;

CREATE TRIGGER answers_remove_from_week AFTER DELETE ON answers WHEN OLD.on_board = 1 AND OLD.week_key IS NOT NULL
BEGIN
    UPDATE board_week_totals SET
        points = points - OLD.points, answers = answers - 1, correct = correct - OLD.correct
    WHERE guild_id = OLD.guild_id AND week_key = OLD.week_key AND user_id = OLD.user_id;
    DELETE FROM board_week_totals
    WHERE guild_id = OLD.guild_id AND week_key = OLD.week_key AND user_id = OLD.user_id AND answers <= 0;
END;
