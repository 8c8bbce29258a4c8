-- Commitments change one at a time (stages recorded, CSV imports), so they carry a version for
-- optimistic concurrency. Reference tables (exchange rates, country figures) are kept as the
-- CSV text they were imported from.
ALTER TABLE commitments ADD COLUMN version BIGINT NOT NULL DEFAULT 1;

CREATE TABLE reference_data (
    name       TEXT PRIMARY KEY,
    body       TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL
);
