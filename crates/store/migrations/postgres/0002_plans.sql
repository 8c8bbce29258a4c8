-- Plans kept from planner runs: the summary columns lists need, beside the whole plan file.
CREATE TABLE plans (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at     BIGINT NOT NULL,
    scenario       TEXT NOT NULL,
    status         TEXT NOT NULL,
    unmet_weighted BIGINT NOT NULL,
    bound          BIGINT NOT NULL,
    options        TEXT NOT NULL,
    body           TEXT NOT NULL
);
CREATE INDEX plans_created ON plans (created_at);
