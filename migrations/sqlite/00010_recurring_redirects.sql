-- Monthly recurring pledges (月捐) and the donors' choices for money given
-- to a need that ended before it was fully funded (moved to another need or
-- fund, or refunded; a default after a deadline).
-- The recurring_pledges table of 00007 was never used: it is rebuilt with
-- the target, the fallback and one row per generated month.

-- +goose Up
DROP TABLE recurring_pledges;
CREATE TABLE recurring_pledges (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id          TEXT    NOT NULL UNIQUE,
    donor_id           INTEGER NOT NULL REFERENCES users (id),
    target_type        TEXT    NOT NULL,
    source_id          INTEGER NULL,
    need_id            INTEGER NULL,
    target_public_id   TEXT    NOT NULL,
    fallback_source_id INTEGER NULL,
    fallback_public_id TEXT    NOT NULL DEFAULT '',
    amount_fen         INTEGER NOT NULL CHECK (amount_fen > 0),
    day_of_month       INTEGER NOT NULL CHECK (day_of_month BETWEEN 1 AND 28),
    status             TEXT    NOT NULL,
    next_at            DATETIME NOT NULL,
    created_at         DATETIME NOT NULL,
    updated_at         DATETIME NOT NULL
);
CREATE INDEX recurring_pledges_due ON recurring_pledges (status, next_at);
CREATE INDEX recurring_pledges_donor ON recurring_pledges (donor_id, id);

-- One row per recurring pledge and month: the primary key is what makes a
-- month's pledge happen once however many generators run.
CREATE TABLE recurring_runs (
    recurring_id INTEGER NOT NULL,
    period       TEXT    NOT NULL,
    outcome      TEXT    NOT NULL,
    pledge_id    INTEGER NULL,
    reason       TEXT    NOT NULL DEFAULT '',
    created_at   DATETIME NOT NULL,
    PRIMARY KEY (recurring_id, period)
);

CREATE TABLE pledge_redirects (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id         TEXT    NOT NULL UNIQUE,
    pledge_id         INTEGER NOT NULL,
    need_id           INTEGER NOT NULL,
    reason            TEXT    NOT NULL,
    from_need_fen     INTEGER NOT NULL,
    from_held_fen     INTEGER NOT NULL,
    amount_fen        INTEGER NOT NULL CHECK (amount_fen > 0),
    deadline          DATETIME NOT NULL,
    status            TEXT    NOT NULL,
    action            TEXT    NOT NULL DEFAULT '',
    target_id         INTEGER NULL,
    target_public_id  TEXT    NOT NULL DEFAULT '',
    decided_by        TEXT    NOT NULL DEFAULT '',
    created_at        DATETIME NOT NULL,
    applied_at        DATETIME NULL,
    UNIQUE (pledge_id, need_id)
);
CREATE INDEX pledge_redirects_due ON pledge_redirects (status, deadline);
CREATE INDEX pledge_redirects_target ON pledge_redirects (action, target_id);

-- +goose Down
DROP TABLE pledge_redirects;
DROP TABLE recurring_runs;
DROP TABLE recurring_pledges;
CREATE TABLE recurring_pledges (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id    TEXT    NOT NULL UNIQUE,
    donor_id     INTEGER NOT NULL,
    source_id    INTEGER NOT NULL,
    amount_fen   INTEGER NOT NULL CHECK (amount_fen > 0),
    day_of_month INTEGER NOT NULL,
    status       TEXT    NOT NULL,
    next_at      DATETIME NOT NULL,
    created_at   DATETIME NOT NULL
);
CREATE INDEX recurring_pledges_due ON recurring_pledges (status, next_at);
