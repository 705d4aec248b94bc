-- Servers, schedules, posts, answers, leaderboard totals and practice cards.
-- Times are UTC milliseconds since the epoch; local dates are ISO dates in the server's timezone.

CREATE TABLE guilds (
    guild_id      INTEGER PRIMARY KEY,
    timezone      TEXT    NOT NULL DEFAULT 'Europe/London',
    week_start    INTEGER NOT NULL DEFAULT 0 CHECK (week_start BETWEEN 0 AND 6),  -- 0 = Monday
    tutor_role_id INTEGER,
    streak_bonus  INTEGER NOT NULL DEFAULT 0 CHECK (streak_bonus IN (0, 1)),
    created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE schedules (
    guild_id            INTEGER NOT NULL REFERENCES guilds (guild_id) ON DELETE CASCADE,
    kind                TEXT    NOT NULL CHECK (kind IN ('daily', 'spot', 'weekly')),
    channel_id          INTEGER NOT NULL,
    local_time          TEXT    NOT NULL,            -- HH:MM in the server's timezone
    weekdays            INTEGER NOT NULL DEFAULT 127 CHECK (weekdays BETWEEN 1 AND 127),  -- bit 0 = Monday
    role_id             INTEGER,                     -- study role to ping, if any
    close_after_minutes INTEGER NOT NULL DEFAULT 720 CHECK (close_after_minutes BETWEEN 5 AND 10080),
    enabled             INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    last_error          TEXT,
    last_error_at       INTEGER,
    PRIMARY KEY (guild_id, kind)
) STRICT;

CREATE TABLE posts (
    post_id        INTEGER PRIMARY KEY,
    guild_id       INTEGER NOT NULL,
    channel_id     INTEGER,
    message_id     INTEGER,
    kind           TEXT    NOT NULL CHECK (kind IN ('question', 'challenge')),
    origin         TEXT    NOT NULL CHECK (origin IN ('scheduled', 'manual', 'class', 'practice')),
    item_id        TEXT    NOT NULL,
    element_id     TEXT    NOT NULL,
    correct_option INTEGER NOT NULL,
    option_count   INTEGER NOT NULL CHECK (option_count BETWEEN 2 AND 5),
    local_date     TEXT,                             -- scheduled posts: the server-local date
    opens_at       INTEGER NOT NULL,
    closes_at      INTEGER,
    state          TEXT    NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
    class_quiz_id  INTEGER,
    CHECK (origin != 'scheduled' OR local_date IS NOT NULL)
) STRICT;

-- A scheduled post for a server, kind and local date exists once only.
CREATE UNIQUE INDEX posts_scheduled_once ON posts (guild_id, kind, local_date) WHERE origin = 'scheduled';
CREATE INDEX posts_by_guild ON posts (guild_id, kind, origin, opens_at);
CREATE INDEX posts_open ON posts (state, closes_at) WHERE state = 'open';
CREATE INDEX posts_by_item ON posts (guild_id, item_id);

CREATE TABLE answers (
    answer_id    INTEGER PRIMARY KEY,
    post_id      INTEGER NOT NULL REFERENCES posts (post_id) ON DELETE CASCADE,
    guild_id     INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    display_name TEXT    NOT NULL,
    choice       INTEGER NOT NULL,
    correct      INTEGER NOT NULL CHECK (correct IN (0, 1)),
    points       INTEGER NOT NULL CHECK (points >= 0),
    on_board     INTEGER NOT NULL CHECK (on_board IN (0, 1)),  -- practice answers are not on boards
    element_id   TEXT    NOT NULL,
    item_id      TEXT    NOT NULL,
    answered_at  INTEGER NOT NULL,
    elapsed_ms   INTEGER,
    UNIQUE (post_id, user_id)
) STRICT;

CREATE INDEX answers_board_period ON answers (guild_id, answered_at, user_id, points, correct, element_id) WHERE on_board = 1;
CREATE INDEX answers_by_user ON answers (user_id, answered_at);
CREATE INDEX answers_by_item ON answers (guild_id, item_id);

-- All-time totals, kept by triggers so a board never needs a scan or a reset job.
CREATE TABLE board_totals (
    guild_id     INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    points       INTEGER NOT NULL,
    answers      INTEGER NOT NULL,
    correct      INTEGER NOT NULL,
    display_name TEXT    NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX board_totals_rank ON board_totals (guild_id, points DESC, answers, user_id);

CREATE TABLE board_element_totals (
    guild_id     INTEGER NOT NULL,
    element_id   TEXT    NOT NULL,
    user_id      INTEGER NOT NULL,
    points       INTEGER NOT NULL,
    answers      INTEGER NOT NULL,
    correct      INTEGER NOT NULL,
    display_name TEXT    NOT NULL,
    PRIMARY KEY (guild_id, element_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX board_element_totals_rank ON board_element_totals (guild_id, element_id, points DESC, answers, user_id);

CREATE TRIGGER answers_add_to_board AFTER INSERT ON answers WHEN NEW.on_board = 1
BEGIN
    INSERT INTO board_totals (guild_id, user_id, points, answers, correct, display_name)
    VALUES (NEW.guild_id, NEW.user_id, NEW.points, 1, NEW.correct, NEW.display_name)
    ON CONFLICT (guild_id, user_id) DO UPDATE SET
        points = points + excluded.points,
        answers = answers + 1,
        correct = correct + excluded.correct,
        display_name = excluded.display_name;
    INSERT INTO board_element_totals (guild_id, element_id, user_id, points, answers, correct, display_name)
    VALUES (NEW.guild_id, NEW.element_id, NEW.user_id, NEW.points, 1, NEW.correct, NEW.display_name)
    ON CONFLICT (guild_id, element_id, user_id) DO UPDATE SET
        points = points + excluded.points,
        answers = answers + 1,
        correct = correct + excluded.correct,
        display_name = excluded.display_name;
END;

CREATE TRIGGER answers_remove_from_board AFTER DELETE ON answers WHEN OLD.on_board = 1
BEGIN
    UPDATE board_totals SET
        points = points - OLD.points, answers = answers - 1, correct = correct - OLD.correct
    WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id;
    DELETE FROM board_totals WHERE guild_id = OLD.guild_id AND user_id = OLD.user_id AND answers <= 0;
    UPDATE board_element_totals SET
        points = points - OLD.points, answers = answers - 1, correct = correct - OLD.correct
    WHERE guild_id = OLD.guild_id AND element_id = OLD.element_id AND user_id = OLD.user_id;
    DELETE FROM board_element_totals
    WHERE guild_id = OLD.guild_id AND element_id = OLD.element_id AND user_id = OLD.user_id AND answers <= 0;
END;

-- Personal practice: one FSRS card per learner and question.
CREATE TABLE practice_cards (
    user_id  INTEGER NOT NULL,
    item_id  TEXT    NOT NULL,
    card     TEXT    NOT NULL,   -- the fsrs Card as JSON
    due_at   INTEGER NOT NULL,
    reviews  INTEGER NOT NULL DEFAULT 0,
    lapses   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, item_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX practice_cards_due ON practice_cards (user_id, due_at);
