-- The ledger: one scenario per database, entities in file order (seq), each entity's full
-- validated JSON in `body` with the columns that queries filter on beside it.
CREATE TABLE scenario (
    id          BIGINT PRIMARY KEY CHECK (id = 1),
    name        TEXT NOT NULL,
    body        TEXT NOT NULL,
    imported_at BIGINT NOT NULL
);

CREATE TABLE nations (
    code TEXT PRIMARY KEY,
    seq  BIGINT NOT NULL,
    name TEXT NOT NULL,
    body TEXT NOT NULL
);

CREATE TABLE capabilities (
    code   TEXT PRIMARY KEY,
    seq    BIGINT NOT NULL,
    domain TEXT NOT NULL,
    body   TEXT NOT NULL
);

CREATE TABLE sources (
    id        TEXT PRIMARY KEY,
    seq       BIGINT NOT NULL,
    published TEXT NOT NULL,
    body      TEXT NOT NULL
);

CREATE TABLE offers (
    id         TEXT PRIMARY KEY,
    seq        BIGINT NOT NULL,
    nation     TEXT NOT NULL REFERENCES nations (code),
    capability TEXT NOT NULL REFERENCES capabilities (code),
    status     TEXT NOT NULL,
    version    BIGINT NOT NULL DEFAULT 1,
    body       TEXT NOT NULL
);
CREATE INDEX offers_nation ON offers (nation);
CREATE INDEX offers_capability ON offers (capability);
CREATE INDEX offers_status ON offers (status);

-- Bi-temporal status history: `effective` is when a change takes effect (a date),
-- `recorded_at` when it was recorded (microseconds since the Unix epoch, UTC).
CREATE TABLE offer_status_changes (
    offer_id    TEXT NOT NULL REFERENCES offers (id) ON DELETE CASCADE,
    seq         BIGINT NOT NULL,
    status      TEXT NOT NULL,
    effective   TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    source_id   TEXT REFERENCES sources (id),
    note        TEXT,
    PRIMARY KEY (offer_id, seq)
);
CREATE INDEX offer_status_changes_recorded ON offer_status_changes (recorded_at);

CREATE TABLE requirements (
    id         TEXT PRIMARY KEY,
    seq        BIGINT NOT NULL,
    line       TEXT NOT NULL,
    capability TEXT NOT NULL REFERENCES capabilities (code),
    region     TEXT NOT NULL,
    body       TEXT NOT NULL
);
CREATE INDEX requirements_line ON requirements (line);

CREATE TABLE commitments (
    id     TEXT PRIMARY KEY,
    seq    BIGINT NOT NULL,
    kind   TEXT NOT NULL,
    nation TEXT NOT NULL REFERENCES nations (code),
    status TEXT NOT NULL,
    date   TEXT NOT NULL,
    body   TEXT NOT NULL
);
CREATE INDEX commitments_nation ON commitments (nation);
CREATE INDEX commitments_kind ON commitments (kind);
