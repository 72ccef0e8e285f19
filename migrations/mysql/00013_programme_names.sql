-- The names of the statutory programmes that the payment record holds under
-- their own name (a programme an export names that has no code): the record
-- stores such a payment under the code kernel.NamedProgramme(name), and this
-- table keeps the name, so that the record says what the state paid in full.
-- payment_import_programmes: how many valid rows of an import batch named
-- such a programme, for the import's summary ("unknown programme: NAME × N");
-- written in the same transaction as the batch's progress.

-- +goose Up
CREATE TABLE statutory_programme_names (
    programme  VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    name       VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    PRIMARY KEY (programme)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE payment_import_programmes (
    batch_id   BIGINT      NOT NULL,
    programme  VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    n_rows     BIGINT      NOT NULL,
    PRIMARY KEY (batch_id, programme)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE payment_import_programmes;
DROP TABLE statutory_programme_names;
