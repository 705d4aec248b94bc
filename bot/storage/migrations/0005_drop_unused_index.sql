-- answers_by_item served no query (reports reach answers through their posts), yet every answer paid
-- to keep it up to date; the answer path's INSERT is the writer's main cost under a burst.
DROP INDEX IF EXISTS answers_by_item;
