-- The course a server revises, and the course of one of its schedules. NULL means: for a server, the bot's
-- default course (DEFAULT_COURSE, else the first one), so servers set up before courses could be chosen keep
-- the course they had; for a schedule, the server's course.
ALTER TABLE guilds ADD COLUMN course_id TEXT;
ALTER TABLE schedules ADD COLUMN course_id TEXT;
