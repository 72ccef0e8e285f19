-- Allocation plans: a plan spends one or more funds' balances over open
-- needs; staff review it and execute it once, line by line. Lines name funds
-- and needs by public id; each line keeps its reasons, and after execution
-- its allocation or the reasons it was refused.

-- +goose Up
CREATE TABLE plans (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id           TEXT    NOT NULL UNIQUE,
    org_id              INTEGER NOT NULL REFERENCES organizations (id),
    fund_id             TEXT    NOT NULL,
    source_ids          TEXT    NOT NULL,
    max_needs           INTEGER NOT NULL DEFAULT 0,
    status              TEXT    NOT NULL,
    needs_fully_funded  INTEGER NOT NULL DEFAULT 0,
    needs_partly_funded INTEGER NOT NULL DEFAULT 0,
    allocated_fen       INTEGER NOT NULL DEFAULT 0,
    money_left_fen      INTEGER NOT NULL DEFAULT 0,
    urgency_covered     INTEGER NOT NULL DEFAULT 0,
    upper_bound         INTEGER NOT NULL DEFAULT 0,
    greedy_covered      INTEGER NOT NULL DEFAULT 0,
    created_by          TEXT    NOT NULL,
    created_at          DATETIME NOT NULL,
    executed_by         TEXT    NOT NULL DEFAULT '',
    executed_at         DATETIME NULL,
    applied_lines       INTEGER NOT NULL DEFAULT 0,
    refused_lines       INTEGER NOT NULL DEFAULT 0,
    applied_fen         INTEGER NOT NULL DEFAULT 0,
    CHECK (status IN ('planned', 'executing', 'executed'))
);
CREATE INDEX plans_org ON plans (org_id, created_at);

CREATE TABLE plan_lines (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id       INTEGER NOT NULL REFERENCES plans (id),
    seq           INTEGER NOT NULL,
    source_kind   TEXT    NOT NULL,
    source_id     TEXT    NOT NULL,
    need_id       TEXT    NOT NULL,
    amount_fen    INTEGER NOT NULL CHECK (amount_fen > 0),
    weight        INTEGER NOT NULL,
    reasons       TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    allocation_id TEXT    NOT NULL DEFAULT '',
    refusal       TEXT    NOT NULL DEFAULT '',
    done_at       DATETIME NULL,
    UNIQUE (plan_id, seq),
    CHECK (status IN ('planned', 'applied', 'refused'))
);

-- +goose Down
DROP TABLE plan_lines;
DROP TABLE plans;
