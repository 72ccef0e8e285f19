-- The names of the statutory programmes that the payment record holds under
-- their own name (a programme an export names that has no code): the record
-- stores such a payment under the code kernel.NamedProgramme(name), and this
-- table keeps the name, so that the record says what the state paid in full.
-- payment_import_programmes: how many valid rows of an import batch named
-- such a programme, for the import's summary ("unknown programme: NAME × N");
-- written in the same transaction as the batch's progress.

-- +goose Up
CREATE TABLE statutory_programme_names (
    programme  TEXT NOT NULL PRIMARY KEY,
    name       TEXT NOT NULL
);

CREATE TABLE payment_import_programmes (
    batch_id   INTEGER NOT NULL,
    programme  TEXT    NOT NULL,
    n_rows     INTEGER NOT NULL,
    PRIMARY KEY (batch_id, programme)
);

-- +goose Down
DROP TABLE payment_import_programmes;
DROP TABLE statutory_programme_names;
