-- PostgreSQL form of 0013.
CREATE TABLE identify_claims (
    bucket     INTEGER NOT NULL PRIMARY KEY,
    claimed_at BIGINT  NOT NULL
);
