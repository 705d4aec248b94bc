-- Every answer updated two rank indexes (weekly and per-element totals) besides the totals themselves: two to
-- three more pages written per answer, a quarter of the answer path's cost under a burst. A week or an element
-- of even the largest server is a few thousand rows, which SQLite sorts in about a millisecond, so these boards
-- read their totals by primary key instead. The all-time board keeps its rank index (its goal is 1 ms).
DROP INDEX IF EXISTS board_week_totals_rank;
DROP INDEX IF EXISTS board_element_totals_rank;
