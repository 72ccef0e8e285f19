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
    id           BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    public_id    VARCHAR(32)  NOT NULL,
    file_sha256  CHAR(64)     CHARACTER SET ascii NOT NULL,
    file_name    VARCHAR(255) NOT NULL DEFAULT '',
    status       VARCHAR(16)  NOT NULL,
    lines_done   BIGINT       NOT NULL DEFAULT 0,
    parts        INT          NOT NULL DEFAULT 1,
    staged       BIGINT       NOT NULL DEFAULT 0,
    merged_parts INT          NOT NULL DEFAULT 0,
    accepted     BIGINT       NOT NULL DEFAULT 0,
    duplicates   BIGINT       NOT NULL DEFAULT 0,
    rejected     BIGINT       NOT NULL DEFAULT 0,
    created_by   VARCHAR(64)  NOT NULL DEFAULT '',
    lease        VARCHAR(64)  NOT NULL DEFAULT '',
    error        VARCHAR(1000) NOT NULL DEFAULT '',
    created_at   DATETIME(6)  NOT NULL,
    updated_at   DATETIME(6)  NOT NULL,
    finished_at  DATETIME(6)  NULL,
    UNIQUE KEY payment_import_batches_public (public_id),
    KEY payment_import_batches_sha (file_sha256),
    CONSTRAINT payment_import_batches_status CHECK (status IN ('running', 'done', 'failed'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE payment_import_errors (
    id        BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    batch_id  BIGINT       NOT NULL,
    line      BIGINT       NOT NULL,
    error     VARCHAR(255) NOT NULL,
    KEY payment_import_errors_batch (batch_id, line),
    CONSTRAINT payment_import_errors_batch_fk FOREIGN KEY (batch_id) REFERENCES payment_import_batches (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- Rows of an import in progress, in parts by the leading bits of the
-- pseudonym, appended in line order; each part is merged into
-- statutory_payments in key order in a transaction of its own, then deleted.
CREATE TABLE payment_import_rows (
    batch_id     BIGINT      NOT NULL,
    part         INT         NOT NULL,
    line         BIGINT      NOT NULL,
    pseudonym    CHAR(64)    CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    programme    VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    period_from  DATE        NOT NULL,
    period_to    DATE        NOT NULL,
    amount_fen   BIGINT      NOT NULL,
    region_code  VARCHAR(12) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    PRIMARY KEY (batch_id, part, line)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE statutory_payments (
    pseudonym    CHAR(64)    CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    programme    VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    period_from  DATE        NOT NULL,
    period_to    DATE        NOT NULL,
    amount_fen   BIGINT      NOT NULL,
    region_code  VARCHAR(12) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    batch_id     BIGINT      NOT NULL,
    PRIMARY KEY (pseudonym, programme, period_from, period_to, amount_fen, region_code)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE statutory_payments;
DROP TABLE payment_import_rows;
DROP TABLE payment_import_errors;
DROP TABLE payment_import_batches;
