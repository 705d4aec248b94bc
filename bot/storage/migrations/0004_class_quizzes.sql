-- Live class quizzes: one row per quiz; its questions are ordinary posts with origin 'class' and
-- class_quiz_id set. A channel has at most one live (not finished) quiz, enforced here.

CREATE TABLE class_quizzes (
    quiz_id        INTEGER PRIMARY KEY,
    guild_id       INTEGER NOT NULL,
    channel_id     INTEGER NOT NULL,
    tutor_id       INTEGER NOT NULL,
    element_id     TEXT,
    question_count INTEGER NOT NULL CHECK (question_count BETWEEN 1 AND 20),
    seconds        INTEGER NOT NULL CHECK (seconds BETWEEN 10 AND 120),
    mode           TEXT    NOT NULL CHECK (mode IN ('timed', 'paced')),
    state          TEXT    NOT NULL DEFAULT 'lobby' CHECK (state IN ('lobby', 'question', 'reveal', 'finished')),
    current_index  INTEGER NOT NULL DEFAULT -1,
    started_at     INTEGER NOT NULL,
    ended_at       INTEGER,
    end_reason     TEXT,
    CHECK ((state = 'finished') = (ended_at IS NOT NULL))
) STRICT;

CREATE UNIQUE INDEX class_quizzes_one_live_per_channel ON class_quizzes (channel_id) WHERE state != 'finished';
CREATE INDEX class_quizzes_by_guild ON class_quizzes (guild_id, started_at);
CREATE INDEX posts_by_class_quiz ON posts (class_quiz_id) WHERE class_quiz_id IS NOT NULL;
