-- The course a server revises. NULL means the bot's default course (DEFAULT_COURSE, else the first one),
-- so servers set up before courses could be chosen keep the course they had.
ALTER TABLE guilds ADD COLUMN course_id TEXT;
