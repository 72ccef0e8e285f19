-- Funds: named funds and projects (money sources), the double-entry ledger,
-- pledges, allocations, disbursements, receipts, idempotency keys, payment
-- notifications and the public disclosure register.

-- +goose Up
CREATE TABLE fund_sources (
    id              BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    public_id       VARCHAR(32)   NOT NULL,
    kind            VARCHAR(16)   NOT NULL,
    org_id          BIGINT        NOT NULL,
    name            VARCHAR(200)  NOT NULL,
    namer           VARCHAR(200)  NOT NULL DEFAULT '',
    purpose         TEXT          NOT NULL,
    restrictions    TEXT          NOT NULL,
    budget_fen      BIGINT        NOT NULL DEFAULT 0,
    period_from     DATETIME(6)   NULL,
    period_to       DATETIME(6)   NULL,
    status          VARCHAR(16)   NOT NULL,
    match_ratio_pct BIGINT        NOT NULL DEFAULT 0,
    match_donor_cap_fen BIGINT    NOT NULL DEFAULT 0,
    match_total_cap_fen BIGINT    NOT NULL DEFAULT 0,
    last_report_at  DATETIME(6)   NULL,
    created_by      BIGINT        NOT NULL,
    created_at      DATETIME(6)   NOT NULL,
    UNIQUE KEY fund_sources_public_id (public_id),
    KEY fund_sources_kind (kind, status),
    CONSTRAINT fund_sources_org_fk FOREIGN KEY (org_id) REFERENCES organizations (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE ledger_accounts (
    id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    code        VARCHAR(80)  NOT NULL,
    kind        VARCHAR(16)  NOT NULL,
    balance_fen BIGINT       NOT NULL DEFAULT 0,
    created_at  DATETIME(6)  NOT NULL,
    UNIQUE KEY ledger_accounts_code (code),
    CONSTRAINT ledger_accounts_no_overdraft CHECK (kind NOT IN ('fund', 'project', 'need', 'held') OR balance_fen >= 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE ledger_transactions (
    id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    public_id   VARCHAR(32)  NOT NULL,
    kind        VARCHAR(32)  NOT NULL,
    reverses_id BIGINT       NULL,
    ref_type    VARCHAR(16)  NOT NULL DEFAULT '',
    ref_id      VARCHAR(32)  NOT NULL DEFAULT '',
    memo        VARCHAR(200) NOT NULL DEFAULT '',
    created_at  DATETIME(6)  NOT NULL,
    UNIQUE KEY ledger_transactions_public_id (public_id),
    KEY ledger_transactions_ref (ref_type, ref_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE ledger_entries (
    id             BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    transaction_id BIGINT NOT NULL,
    account_id     BIGINT NOT NULL,
    amount_fen     BIGINT NOT NULL,
    KEY ledger_entries_tx (transaction_id),
    KEY ledger_entries_account (account_id, id),
    CONSTRAINT ledger_entries_tx_fk FOREIGN KEY (transaction_id) REFERENCES ledger_transactions (id),
    CONSTRAINT ledger_entries_account_fk FOREIGN KEY (account_id) REFERENCES ledger_accounts (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE pledges (
    id               BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    public_id        VARCHAR(32)  NOT NULL,
    reference        VARCHAR(32)  NOT NULL,
    donor_id         BIGINT       NOT NULL,
    org_id           BIGINT       NOT NULL,
    target_type      VARCHAR(16)  NOT NULL,
    source_id        BIGINT       NULL,
    need_id          BIGINT       NULL,
    target_public_id VARCHAR(32)  NOT NULL,
    amount_fen       BIGINT       NOT NULL,
    status           VARCHAR(16)  NOT NULL,
    confirmed_via    VARCHAR(16)  NOT NULL DEFAULT '',
    confirmed_by     BIGINT       NULL,
    matched_pledge_id BIGINT      NULL,
    recurring_id     BIGINT       NULL,
    created_at       DATETIME(6)  NOT NULL,
    expires_at       DATETIME(6)  NOT NULL,
    confirmed_at     DATETIME(6)  NULL,
    refunded_at      DATETIME(6)  NULL,
    UNIQUE KEY pledges_public_id (public_id),
    UNIQUE KEY pledges_reference (reference),
    KEY pledges_donor (donor_id, created_at),
    KEY pledges_status (status, expires_at),
    KEY pledges_source (source_id, status),
    KEY pledges_need (need_id, status),
    CONSTRAINT pledges_amount CHECK (amount_fen > 0),
    CONSTRAINT pledges_donor_fk FOREIGN KEY (donor_id) REFERENCES users (id),
    CONSTRAINT pledges_org_fk FOREIGN KEY (org_id) REFERENCES organizations (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE recurring_pledges (
    id           BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    public_id    VARCHAR(32)  NOT NULL,
    donor_id     BIGINT       NOT NULL,
    source_id    BIGINT       NOT NULL,
    amount_fen   BIGINT       NOT NULL,
    day_of_month INT          NOT NULL,
    status       VARCHAR(16)  NOT NULL,
    next_at      DATETIME(6)  NOT NULL,
    created_at   DATETIME(6)  NOT NULL,
    UNIQUE KEY recurring_pledges_public_id (public_id),
    KEY recurring_pledges_due (status, next_at),
    CONSTRAINT recurring_pledges_amount CHECK (amount_fen > 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE allocations (
    id                 BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    public_id          VARCHAR(32)  NOT NULL,
    source_id          BIGINT       NOT NULL,
    need_id            BIGINT       NOT NULL,
    amount_fen         BIGINT       NOT NULL,
    status             VARCHAR(16)  NOT NULL,
    created_by         BIGINT       NOT NULL,
    created_at         DATETIME(6)  NOT NULL,
    screening_result   VARCHAR(8)   NOT NULL DEFAULT '',
    payee_type         VARCHAR(16)  NOT NULL DEFAULT '',
    payee_ct           BLOB         NULL,
    payee_kid          VARCHAR(32)  NOT NULL DEFAULT '',
    payee_masked       VARCHAR(200) NOT NULL DEFAULT '',
    disbursed_by       BIGINT       NULL,
    disbursed_at       DATETIME(6)  NULL,
    UNIQUE KEY allocations_public_id (public_id),
    KEY allocations_source_need (source_id, need_id),
    KEY allocations_need (need_id),
    CONSTRAINT allocations_amount CHECK (amount_fen > 0),
    CONSTRAINT allocations_source_fk FOREIGN KEY (source_id) REFERENCES fund_sources (id),
    CONSTRAINT allocations_need_fk FOREIGN KEY (need_id) REFERENCES needs (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE disclosures (
    id               BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    public_id        VARCHAR(32)  NOT NULL,
    kind             VARCHAR(16)  NOT NULL,
    need_public_id   VARCHAR(32)  NOT NULL,
    category         VARCHAR(32)  NOT NULL,
    region_code      VARCHAR(12)  NOT NULL,
    amount_fen       BIGINT       NOT NULL,
    source_type      VARCHAR(16)  NOT NULL,
    source_public_id VARCHAR(32)  NOT NULL,
    source_name      VARCHAR(200) NOT NULL,
    ref_public_id    VARCHAR(32)  NOT NULL,
    emergency        TINYINT      NOT NULL DEFAULT 0,
    notice_ends_at   DATETIME(6)  NULL,
    occurred_at      DATETIME(6)  NOT NULL,
    UNIQUE KEY disclosures_public_id (public_id),
    KEY disclosures_at (occurred_at, id),
    KEY disclosures_source (source_public_id, occurred_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE receipt_counters (
    org_id   BIGINT NOT NULL,
    year     INT    NOT NULL,
    last_seq BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, year)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE receipts (
    id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    public_id   VARCHAR(32)  NOT NULL,
    number      VARCHAR(40)  NOT NULL,
    org_id      BIGINT       NOT NULL,
    year        INT          NOT NULL,
    pledge_id   BIGINT       NOT NULL,
    donor_id    BIGINT       NOT NULL,
    donor_name  VARCHAR(100) NOT NULL,
    org_name    VARCHAR(200) NOT NULL,
    amount_fen  BIGINT       NOT NULL,
    issued_at   DATETIME(6)  NOT NULL,
    voided_at   DATETIME(6)  NULL,
    UNIQUE KEY receipts_public_id (public_id),
    UNIQUE KEY receipts_number (number),
    UNIQUE KEY receipts_pledge (pledge_id),
    KEY receipts_donor (donor_id, year)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE idempotency_keys (
    id              BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id         BIGINT       NOT NULL,
    idem_key        VARCHAR(255) NOT NULL,
    request_hash    CHAR(64)     NOT NULL,
    state           VARCHAR(8)   NOT NULL,
    response_status INT          NOT NULL DEFAULT 0,
    response_body   MEDIUMBLOB   NULL,
    created_at      DATETIME(6)  NOT NULL,
    done_at         DATETIME(6)  NULL,
    UNIQUE KEY idempotency_keys_user_key (user_id, idem_key),
    KEY idempotency_keys_created (created_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE payment_notifications (
    id              BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    notification_id VARCHAR(100) NOT NULL,
    pledge_id       BIGINT       NOT NULL,
    received_at     DATETIME(6)  NOT NULL,
    UNIQUE KEY payment_notifications_id (notification_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

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
