-- The statutory payment record (政府救助发放记录) and its imports.
--
-- statutory_payments holds one row per payment, keyed by what makes a
-- payment the same payment: the person's pseudonym (HMAC-SHA256 of the
-- normalized ID number, hex; the raw number is never stored), programme,
-- period, amount and issuing region. That natural key is the primary key
-- (the dedup key: the same row imported twice adds nothing) and, leading
-- with the pseudonym, also the index screening reads, so the table is one
-- B-tree. A payment's public id is derived from its key (matching.PaymentID).
-- Rows carry the batch that brought them; readers see only rows of batches
-- whose status is 'done', so an interrupted import is invisible until a
-- rerun completes it. An import first appends its rows to
-- payment_import_rows (cheap: no random index writes), then merges them
-- part by part in key order (see matching/paymentimport.go).

-- +goose Up
CREATE TABLE payment_import_batches (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id    TEXT    NOT NULL UNIQUE,
    file_sha256  TEXT    NOT NULL,
    file_name    TEXT    NOT NULL DEFAULT '',
    status       TEXT    NOT NULL,
    lines_done   INTEGER NOT NULL DEFAULT 0,
    parts        INTEGER NOT NULL DEFAULT 1,
    staged       INTEGER NOT NULL DEFAULT 0,
    merged_parts INTEGER NOT NULL DEFAULT 0,
    accepted     INTEGER NOT NULL DEFAULT 0,
    duplicates   INTEGER NOT NULL DEFAULT 0,
    rejected     INTEGER NOT NULL DEFAULT 0,
    created_by   TEXT    NOT NULL DEFAULT '',
    lease        TEXT    NOT NULL DEFAULT '',
    error        TEXT    NOT NULL DEFAULT '',
    created_at   DATETIME NOT NULL,
    updated_at   DATETIME NOT NULL,
    finished_at  DATETIME NULL,
    CHECK (status IN ('running', 'done', 'failed'))
);
CREATE INDEX payment_import_batches_sha ON payment_import_batches (file_sha256);

CREATE TABLE payment_import_errors (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    batch_id  INTEGER NOT NULL REFERENCES payment_import_batches (id),
    line      INTEGER NOT NULL,
    error     TEXT    NOT NULL
);
CREATE INDEX payment_import_errors_batch ON payment_import_errors (batch_id, line);

-- Rows of an import in progress, in parts by the leading bits of the
-- pseudonym, appended in line order; each part is merged into
-- statutory_payments in key order in a transaction of its own, then deleted.
CREATE TABLE payment_import_rows (
    batch_id     INTEGER NOT NULL,
    part         INTEGER NOT NULL,
    line         INTEGER NOT NULL,
    pseudonym    TEXT    NOT NULL,
    programme    TEXT    NOT NULL,
    period_from  DATE    NOT NULL,
    period_to    DATE    NOT NULL,
    amount_fen   INTEGER NOT NULL,
    region_code  TEXT    NOT NULL,
    PRIMARY KEY (batch_id, part, line)
) WITHOUT ROWID;

CREATE TABLE statutory_payments (
    pseudonym    TEXT    NOT NULL,
    programme    TEXT    NOT NULL,
    period_from  DATE    NOT NULL,
    period_to    DATE    NOT NULL,
    amount_fen   INTEGER NOT NULL,
    region_code  TEXT    NOT NULL,
    batch_id     INTEGER NOT NULL,
    PRIMARY KEY (pseudonym, programme, period_from, period_to, amount_fen, region_code)
) WITHOUT ROWID;

-- +goose Down
DROP TABLE statutory_payments;
DROP TABLE payment_import_rows;
DROP TABLE payment_import_errors;
DROP TABLE payment_import_batches;
