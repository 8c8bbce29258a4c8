-- Releasability of ledger records, users and their credentials, the hash-chained audit log
-- and the planner's background jobs.
ALTER TABLE offers ADD COLUMN releasability TEXT NOT NULL DEFAULT 'coalition';
ALTER TABLE commitments ADD COLUMN releasability TEXT NOT NULL DEFAULT 'coalition';
ALTER TABLE sources ADD COLUMN releasability TEXT NOT NULL DEFAULT 'coalition';

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL,
    nation        TEXT,
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

-- Browser sessions and API tokens are stored as SHA-256 hashes of the secret the client holds.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    csrf       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    name       TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);

-- Every state change, in the transaction that made it. `hash` covers the row's fields and
-- `prev_hash`, and `audit_head` holds the last link so that deleting the newest rows shows too.
CREATE TABLE audit_log (
    seq           INTEGER PRIMARY KEY,
    at            INTEGER NOT NULL,
    actor         TEXT NOT NULL,
    action        TEXT NOT NULL,
    entity_kind   TEXT NOT NULL,
    entity_id     TEXT NOT NULL,
    nation        TEXT,
    releasability TEXT NOT NULL,
    before_value  TEXT,
    after_value   TEXT,
    source_ref    TEXT,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL
);
CREATE INDEX audit_log_entity ON audit_log (entity_kind, entity_id);

CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, 'genesis');

CREATE TABLE plan_jobs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    state        TEXT NOT NULL,
    options      TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    progress     TEXT,
    plan_id      INTEGER REFERENCES plans (id),
    error        TEXT
);
