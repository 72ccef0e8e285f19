-- An import batch is the one job of an import, whether the file came from
-- the command line or was uploaded on the page or the API (issue 15).
-- source: 'cli' or 'web'. An uploaded file is kept, until its import is
-- done, only sealed: upload_file names the spool in the instance's upload
-- folder (AES-256-GCM under a random key), upload_key is that key sealed
-- with the service's data key upload_key_id, upload_size its size in bytes.
-- An instance that holds the spool resumes the batch after a crash or a
-- restart; attempts counts the runs of the batch, so that one that keeps
-- failing stops being resumed on its own.

-- +goose Up
ALTER TABLE payment_import_batches
    ADD COLUMN source        VARCHAR(8)   CHARACTER SET ascii NOT NULL DEFAULT 'cli',
    ADD COLUMN upload_file   VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
    ADD COLUMN upload_key    VARBINARY(128) NULL,
    ADD COLUMN upload_key_id VARCHAR(64)  CHARACTER SET ascii NOT NULL DEFAULT '',
    ADD COLUMN upload_size   BIGINT       NOT NULL DEFAULT 0,
    ADD COLUMN attempts      INT          NOT NULL DEFAULT 0,
    ADD KEY payment_import_batches_upload (upload_file);

-- +goose Down
ALTER TABLE payment_import_batches
    DROP KEY payment_import_batches_upload,
    DROP COLUMN attempts,
    DROP COLUMN upload_size,
    DROP COLUMN upload_key_id,
    DROP COLUMN upload_key,
    DROP COLUMN upload_file,
    DROP COLUMN source;
