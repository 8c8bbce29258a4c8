-- Ceasefire monitoring as an append-only log: observations, observation effort and monitors'
-- split and merge decisions, in the order they were recorded. Incidents are worked out from
-- the log, so replaying it gives the same incidents. An observation id is taken once.
CREATE TABLE monitor_log (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT NOT NULL,
    ref          TEXT NOT NULL,
    body         TEXT NOT NULL,
    recorded_at  INTEGER NOT NULL,
    recorded_by  TEXT NOT NULL
);
CREATE UNIQUE INDEX monitor_log_ref ON monitor_log (kind, ref);
