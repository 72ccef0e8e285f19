-- Reconciliation with the providers' daily bills (对账单) and the bank's
-- statements (issue 18), and the monthly gift's reminders and charges.
--
-- reconciliation_runs: one import of a bill file by federation staff of
-- the receiving organization: who, when, which file (its name and SHA-256,
-- never its content), what kind of bill, the China days it covers and its
-- counts. status: 'running' while its lines are matched, 'done' after; a
-- run left 'running' was interrupted (a restart), and importing the file
-- again is harmless (every confirmation is idempotent).
-- reconciliation_lines: what each line of the bill came to, and the
-- pledges confirmed through a provider that the bill lacks (line 0).
-- outcome: matched, already, refunded (a refund the ledger has too) or the
-- code of a mismatch (funds.Mismatch*). Only what matching needs is kept:
-- the merchant order number or reference, the provider's transaction
-- number and the amount; no payer account, name or open id.
--
-- recurring_pledges.agreement_*: the provider's agreement (委托代扣 /
-- 周期扣款 contract) that lets the month's pledge be charged without the
-- donor; empty: the donor is reminded with a pay link.
-- recurring_runs: reason_code says why a month was skipped in words the
-- pages translate; dispatch_claimed_at is the lease of the instance
-- reminding the donor or charging the month, dispatched_at when that was
-- done, charge_state what charging did ('', requested, failed). Months made
-- before this migration are counted as dispatched: nobody is reminded of
-- an old month.

-- +goose Up
CREATE TABLE reconciliation_runs (
    id           BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    public_id    VARCHAR(32)  NOT NULL,
    org_id       BIGINT       NOT NULL,
    format       VARCHAR(16)  NOT NULL,
    file_name    VARCHAR(255) NOT NULL,
    file_sha256  CHAR(64)     CHARACTER SET ascii NOT NULL,
    created_by   BIGINT       NOT NULL,
    created_at   DATETIME(6)  NOT NULL,
    finished_at  DATETIME(6)  NULL,
    status       VARCHAR(16)  NOT NULL,
    period_from  DATETIME(6)  NULL,
    period_to    DATETIME(6)  NULL,
    line_count   BIGINT       NOT NULL DEFAULT 0,
    skipped      BIGINT       NOT NULL DEFAULT 0,
    matched      BIGINT       NOT NULL DEFAULT 0,
    already      BIGINT       NOT NULL DEFAULT 0,
    refunds      BIGINT       NOT NULL DEFAULT 0,
    mismatches   BIGINT       NOT NULL DEFAULT 0,
    paid_fen     BIGINT       NOT NULL DEFAULT 0,
    refunded_fen BIGINT       NOT NULL DEFAULT 0,
    UNIQUE KEY reconciliation_runs_public_id (public_id),
    KEY reconciliation_runs_org (org_id, id),
    KEY reconciliation_runs_file (org_id, file_sha256),
    CONSTRAINT reconciliation_runs_org_fk FOREIGN KEY (org_id) REFERENCES organizations (id),
    CONSTRAINT reconciliation_runs_user_fk FOREIGN KEY (created_by) REFERENCES users (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE reconciliation_lines (
    id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    run_id      BIGINT       NOT NULL,
    line_no     BIGINT       NOT NULL,
    kind        VARCHAR(16)  NOT NULL,
    outcome     VARCHAR(32)  NOT NULL,
    reference   VARCHAR(64)  NOT NULL DEFAULT '',
    trade_no    VARCHAR(64)  NOT NULL DEFAULT '',
    amount_fen  BIGINT       NOT NULL,
    pledge_fen  BIGINT       NOT NULL DEFAULT 0,
    pledge_id   BIGINT       NULL,
    occurred_at DATETIME(6)  NULL,
    KEY reconciliation_lines_run (run_id, outcome, line_no),
    KEY reconciliation_lines_pledge (pledge_id),
    CONSTRAINT reconciliation_lines_run_fk FOREIGN KEY (run_id) REFERENCES reconciliation_runs (id),
    CONSTRAINT reconciliation_lines_pledge_fk FOREIGN KEY (pledge_id) REFERENCES pledges (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

ALTER TABLE recurring_pledges
    ADD COLUMN agreement_channel VARCHAR(16) NOT NULL DEFAULT '',
    ADD COLUMN agreement_id      VARCHAR(64) NOT NULL DEFAULT '';
ALTER TABLE recurring_runs
    ADD COLUMN reason_code         VARCHAR(32) NOT NULL DEFAULT '',
    ADD COLUMN dispatch_claimed_at DATETIME(6) NULL,
    ADD COLUMN dispatched_at       DATETIME(6) NULL,
    ADD COLUMN charge_state        VARCHAR(16) NOT NULL DEFAULT '',
    ADD KEY recurring_runs_dispatch (dispatched_at, created_at);
UPDATE recurring_runs SET dispatched_at = created_at;

-- +goose Down
ALTER TABLE recurring_runs
    DROP KEY recurring_runs_dispatch,
    DROP COLUMN charge_state,
    DROP COLUMN dispatched_at,
    DROP COLUMN dispatch_claimed_at,
    DROP COLUMN reason_code;
ALTER TABLE recurring_pledges
    DROP COLUMN agreement_id,
    DROP COLUMN agreement_channel;
DROP TABLE reconciliation_lines;
DROP TABLE reconciliation_runs;
