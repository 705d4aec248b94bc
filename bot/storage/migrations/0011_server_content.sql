-- A server's own course: the elements and items its tutors uploaded from Discord. No column names a person:
-- the content belongs to the server, so /mydata has nothing to export or erase here.
CREATE TABLE server_elements (
    guild_id   INTEGER NOT NULL,
    element_id TEXT    NOT NULL,
    position   INTEGER NOT NULL,
    notes_json TEXT    NOT NULL,  -- the element without its questions and challenges
    PRIMARY KEY (guild_id, element_id)
) WITHOUT ROWID;

-- status: pending (waiting for review), approved (in the server's rotation) or rejected (kept out).
CREATE TABLE server_items (
    guild_id    INTEGER NOT NULL,
    item_id     TEXT    NOT NULL,
    element_id  TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('question', 'challenge')),
    status      TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    item_json   TEXT    NOT NULL,
    warnings    TEXT    NOT NULL DEFAULT '',  -- lint findings for this item, one per line
    created_at  INTEGER NOT NULL,
    position    INTEGER NOT NULL,
    PRIMARY KEY (guild_id, item_id),
    FOREIGN KEY (guild_id, element_id) REFERENCES server_elements (guild_id, element_id)
) WITHOUT ROWID;
CREATE INDEX server_items_pending ON server_items (guild_id, status, position);
