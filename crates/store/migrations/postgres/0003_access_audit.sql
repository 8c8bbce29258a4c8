-- Releasability of ledger records, users and their credentials, the hash-chained audit log
-- and the planner's background jobs.
ALTER TABLE offers ADD COLUMN releasability TEXT NOT NULL DEFAULT 'coalition';
ALTER TABLE commitments ADD COLUMN releasability TEXT NOT NULL DEFAULT 'coalition';
ALTER TABLE sources ADD COLUMN releasability TEXT NOT NULL DEFAULT 'coalition';

CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL,
    nation        TEXT,
    password_hash TEXT NOT NULL,
    disabled      BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL
);

-- Browser sessions and API tokens are stored as SHA-256 hashes of the secret the client holds.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    csrf       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    name       TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

-- Every state change, in the transaction that made it. `hash` covers the row's fields and
-- `prev_hash`, and `audit_head` holds the last link so that deleting the newest rows shows too.
CREATE TABLE audit_log (
    seq           BIGINT PRIMARY KEY,
    at            BIGINT NOT NULL,
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
    id   BIGINT PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, 'genesis');

CREATE TABLE plan_jobs (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    state        TEXT NOT NULL,
    options      TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    progress     TEXT,
    plan_id      BIGINT REFERENCES plans (id),
    error        TEXT
);
