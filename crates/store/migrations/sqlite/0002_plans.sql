-- Plans kept from planner runs: the summary columns lists need, beside the whole plan file.
CREATE TABLE plans (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at     INTEGER NOT NULL,
    scenario       TEXT NOT NULL,
    status         TEXT NOT NULL,
    unmet_weighted INTEGER NOT NULL,
    bound          INTEGER NOT NULL,
    options        TEXT NOT NULL,
    body           TEXT NOT NULL
);
CREATE INDEX plans_created ON plans (created_at);
