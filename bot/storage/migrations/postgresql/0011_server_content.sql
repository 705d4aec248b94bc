-- PostgreSQL form of 0011.
CREATE TABLE server_elements (
    guild_id   BIGINT  NOT NULL,
    element_id TEXT    NOT NULL,
    position   INTEGER NOT NULL,
    notes_json TEXT    NOT NULL,
    PRIMARY KEY (guild_id, element_id)
);

CREATE TABLE server_items (
    guild_id    BIGINT  NOT NULL,
    item_id     TEXT    NOT NULL,
    element_id  TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('question', 'challenge')),
    status      TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    item_json   TEXT    NOT NULL,
    warnings    TEXT    NOT NULL DEFAULT '',
    created_at  BIGINT  NOT NULL,
    position    INTEGER NOT NULL,
    PRIMARY KEY (guild_id, item_id),
    FOREIGN KEY (guild_id, element_id) REFERENCES server_elements (guild_id, element_id)
);
CREATE INDEX server_items_pending ON server_items (guild_id, status, position);
