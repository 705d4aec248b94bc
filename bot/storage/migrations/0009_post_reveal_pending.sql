-- A post closed in the database whose message may still show open buttons: set when the post closes,
-- cleared once the closing edit is done (or there is no message to edit). A stop between the two leaves
-- it set, and the next start finishes the edit.
ALTER TABLE posts ADD COLUMN reveal_pending INTEGER NOT NULL DEFAULT 0 CHECK (reveal_pending IN (0, 1));
CREATE INDEX posts_reveal_pending ON posts (post_id) WHERE reveal_pending = 1;
