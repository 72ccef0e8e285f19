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
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id    TEXT     NOT NULL UNIQUE,
    org_id       INTEGER  NOT NULL REFERENCES organizations (id),
    format       TEXT     NOT NULL,
    file_name    TEXT     NOT NULL,
    file_sha256  TEXT     NOT NULL,
    created_by   INTEGER  NOT NULL REFERENCES users (id),
    created_at   DATETIME NOT NULL,
    finished_at  DATETIME NULL,
    status       TEXT     NOT NULL,
    period_from  DATETIME NULL,
    period_to    DATETIME NULL,
    line_count   INTEGER  NOT NULL DEFAULT 0,
    skipped      INTEGER  NOT NULL DEFAULT 0,
    matched      INTEGER  NOT NULL DEFAULT 0,
    already      INTEGER  NOT NULL DEFAULT 0,
    refunds      INTEGER  NOT NULL DEFAULT 0,
    mismatches   INTEGER  NOT NULL DEFAULT 0,
    paid_fen     INTEGER  NOT NULL DEFAULT 0,
    refunded_fen INTEGER  NOT NULL DEFAULT 0
);
CREATE INDEX reconciliation_runs_org ON reconciliation_runs (org_id, id);
CREATE INDEX reconciliation_runs_file ON reconciliation_runs (org_id, file_sha256);

CREATE TABLE reconciliation_lines (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id      INTEGER  NOT NULL REFERENCES reconciliation_runs (id),
    line_no     INTEGER  NOT NULL,
    kind        TEXT     NOT NULL,
    outcome     TEXT     NOT NULL,
    reference   TEXT     NOT NULL DEFAULT '',
    trade_no    TEXT     NOT NULL DEFAULT '',
    amount_fen  INTEGER  NOT NULL,
    pledge_fen  INTEGER  NOT NULL DEFAULT 0,
    pledge_id   INTEGER  NULL REFERENCES pledges (id),
    occurred_at DATETIME NULL
);
CREATE INDEX reconciliation_lines_run ON reconciliation_lines (run_id, outcome, line_no);
CREATE INDEX reconciliation_lines_pledge ON reconciliation_lines (pledge_id);

ALTER TABLE recurring_pledges ADD COLUMN agreement_channel TEXT NOT NULL DEFAULT '';
ALTER TABLE recurring_pledges ADD COLUMN agreement_id TEXT NOT NULL DEFAULT '';
ALTER TABLE recurring_runs ADD COLUMN reason_code TEXT NOT NULL DEFAULT '';
ALTER TABLE recurring_runs ADD COLUMN dispatch_claimed_at DATETIME NULL;
ALTER TABLE recurring_runs ADD COLUMN dispatched_at DATETIME NULL;
ALTER TABLE recurring_runs ADD COLUMN charge_state TEXT NOT NULL DEFAULT '';
UPDATE recurring_runs SET dispatched_at = created_at;
CREATE INDEX recurring_runs_dispatch ON recurring_runs (dispatched_at, created_at);

-- +goose Down
DROP INDEX recurring_runs_dispatch;
ALTER TABLE recurring_runs DROP COLUMN charge_state;
ALTER TABLE recurring_runs DROP COLUMN dispatched_at;
ALTER TABLE recurring_runs DROP COLUMN dispatch_claimed_at;
ALTER TABLE recurring_runs DROP COLUMN reason_code;
ALTER TABLE recurring_pledges DROP COLUMN agreement_id;
ALTER TABLE recurring_pledges DROP COLUMN agreement_channel;
DROP TABLE reconciliation_lines;
DROP TABLE reconciliation_runs;
