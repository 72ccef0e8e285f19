-- Funds: named funds and projects (money sources), the double-entry ledger,
-- pledges, allocations, disbursements, receipts, idempotency keys, payment
-- notifications and the public disclosure register.

-- +goose Up
CREATE TABLE fund_sources (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id       TEXT    NOT NULL UNIQUE,
    kind            TEXT    NOT NULL,
    org_id          INTEGER NOT NULL REFERENCES organizations (id),
    name            TEXT    NOT NULL,
    namer           TEXT    NOT NULL DEFAULT '',
    purpose         TEXT    NOT NULL,
    restrictions    TEXT    NOT NULL,
    budget_fen      INTEGER NOT NULL DEFAULT 0,
    period_from     DATETIME NULL,
    period_to       DATETIME NULL,
    status          TEXT    NOT NULL,
    match_ratio_pct INTEGER NOT NULL DEFAULT 0,
    match_donor_cap_fen INTEGER NOT NULL DEFAULT 0,
    match_total_cap_fen INTEGER NOT NULL DEFAULT 0,
    last_report_at  DATETIME NULL,
    created_by      INTEGER NOT NULL,
    created_at      DATETIME NOT NULL
);
CREATE INDEX fund_sources_kind ON fund_sources (kind, status);

CREATE TABLE ledger_accounts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    code        TEXT    NOT NULL UNIQUE,
    kind        TEXT    NOT NULL,
    balance_fen INTEGER NOT NULL DEFAULT 0,
    created_at  DATETIME NOT NULL,
    CHECK (kind NOT IN ('fund', 'project', 'need', 'held') OR balance_fen >= 0)
);

CREATE TABLE ledger_transactions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id   TEXT    NOT NULL UNIQUE,
    kind        TEXT    NOT NULL,
    reverses_id INTEGER NULL,
    ref_type    TEXT    NOT NULL DEFAULT '',
    ref_id      TEXT    NOT NULL DEFAULT '',
    memo        TEXT    NOT NULL DEFAULT '',
    created_at  DATETIME NOT NULL
);
CREATE INDEX ledger_transactions_ref ON ledger_transactions (ref_type, ref_id);

CREATE TABLE ledger_entries (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    transaction_id INTEGER NOT NULL REFERENCES ledger_transactions (id),
    account_id     INTEGER NOT NULL REFERENCES ledger_accounts (id),
    amount_fen     INTEGER NOT NULL
);
CREATE INDEX ledger_entries_tx ON ledger_entries (transaction_id);
CREATE INDEX ledger_entries_account ON ledger_entries (account_id, id);

CREATE TABLE pledges (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id        TEXT    NOT NULL UNIQUE,
    reference        TEXT    NOT NULL UNIQUE,
    donor_id         INTEGER NOT NULL REFERENCES users (id),
    org_id           INTEGER NOT NULL REFERENCES organizations (id),
    target_type      TEXT    NOT NULL,
    source_id        INTEGER NULL,
    need_id          INTEGER NULL,
    target_public_id TEXT    NOT NULL,
    amount_fen       INTEGER NOT NULL CHECK (amount_fen > 0),
    status           TEXT    NOT NULL,
    confirmed_via    TEXT    NOT NULL DEFAULT '',
    confirmed_by     INTEGER NULL,
    matched_pledge_id INTEGER NULL,
    recurring_id     INTEGER NULL,
    created_at       DATETIME NOT NULL,
    expires_at       DATETIME NOT NULL,
    confirmed_at     DATETIME NULL,
    refunded_at      DATETIME NULL
);
CREATE INDEX pledges_donor ON pledges (donor_id, created_at);
CREATE INDEX pledges_status ON pledges (status, expires_at);
CREATE INDEX pledges_source ON pledges (source_id, status);
CREATE INDEX pledges_need ON pledges (need_id, status);

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

CREATE TABLE allocations (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id          TEXT    NOT NULL UNIQUE,
    source_id          INTEGER NOT NULL REFERENCES fund_sources (id),
    need_id            INTEGER NOT NULL REFERENCES needs (id),
    amount_fen         INTEGER NOT NULL CHECK (amount_fen > 0),
    status             TEXT    NOT NULL,
    created_by         INTEGER NOT NULL,
    created_at         DATETIME NOT NULL,
    screening_result   TEXT    NOT NULL DEFAULT '',
    payee_type         TEXT    NOT NULL DEFAULT '',
    payee_ct           BLOB    NULL,
    payee_kid          TEXT    NOT NULL DEFAULT '',
    payee_masked       TEXT    NOT NULL DEFAULT '',
    disbursed_by       INTEGER NULL,
    disbursed_at       DATETIME NULL
);
CREATE INDEX allocations_source_need ON allocations (source_id, need_id);
CREATE INDEX allocations_need ON allocations (need_id);

CREATE TABLE disclosures (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id        TEXT    NOT NULL UNIQUE,
    kind             TEXT    NOT NULL,
    need_public_id   TEXT    NOT NULL,
    category         TEXT    NOT NULL,
    region_code      TEXT    NOT NULL,
    amount_fen       INTEGER NOT NULL,
    source_type      TEXT    NOT NULL,
    source_public_id TEXT    NOT NULL,
    source_name      TEXT    NOT NULL,
    ref_public_id    TEXT    NOT NULL,
    emergency        INTEGER NOT NULL DEFAULT 0,
    notice_ends_at   DATETIME NULL,
    occurred_at      DATETIME NOT NULL
);
CREATE INDEX disclosures_at ON disclosures (occurred_at, id);
CREATE INDEX disclosures_source ON disclosures (source_public_id, occurred_at);

CREATE TABLE receipt_counters (
    org_id   INTEGER NOT NULL,
    year     INTEGER NOT NULL,
    last_seq INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, year)
);

CREATE TABLE receipts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id   TEXT    NOT NULL UNIQUE,
    number      TEXT    NOT NULL UNIQUE,
    org_id      INTEGER NOT NULL,
    year        INTEGER NOT NULL,
    pledge_id   INTEGER NOT NULL UNIQUE,
    donor_id    INTEGER NOT NULL,
    donor_name  TEXT    NOT NULL,
    org_name    TEXT    NOT NULL,
    amount_fen  INTEGER NOT NULL,
    issued_at   DATETIME NOT NULL,
    voided_at   DATETIME NULL
);
CREATE INDEX receipts_donor ON receipts (donor_id, year);

CREATE TABLE idempotency_keys (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id         INTEGER NOT NULL,
    idem_key        TEXT    NOT NULL,
    request_hash    TEXT    NOT NULL,
    state           TEXT    NOT NULL,
    response_status INTEGER NOT NULL DEFAULT 0,
    response_body   BLOB    NULL,
    created_at      DATETIME NOT NULL,
    done_at         DATETIME NULL,
    UNIQUE (user_id, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

CREATE TABLE payment_notifications (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    notification_id TEXT    NOT NULL UNIQUE,
    pledge_id       INTEGER NOT NULL,
    received_at     DATETIME NOT NULL
);

-- +goose Down
DROP TABLE payment_notifications;
DROP TABLE idempotency_keys;
DROP TABLE receipts;
DROP TABLE receipt_counters;
DROP TABLE disclosures;
DROP TABLE allocations;
DROP TABLE recurring_pledges;
DROP TABLE pledges;
DROP TABLE ledger_entries;
DROP TABLE ledger_transactions;
DROP TABLE ledger_accounts;
DROP TABLE fund_sources;
