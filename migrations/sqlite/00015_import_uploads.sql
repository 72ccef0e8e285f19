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
ALTER TABLE payment_import_batches ADD COLUMN source TEXT NOT NULL DEFAULT 'cli';
ALTER TABLE payment_import_batches ADD COLUMN upload_file TEXT NOT NULL DEFAULT '';
ALTER TABLE payment_import_batches ADD COLUMN upload_key BLOB NULL;
ALTER TABLE payment_import_batches ADD COLUMN upload_key_id TEXT NOT NULL DEFAULT '';
ALTER TABLE payment_import_batches ADD COLUMN upload_size INTEGER NOT NULL DEFAULT 0;
ALTER TABLE payment_import_batches ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
CREATE INDEX payment_import_batches_upload ON payment_import_batches (upload_file);

-- +goose Down
DROP INDEX payment_import_batches_upload;
ALTER TABLE payment_import_batches DROP COLUMN attempts;
ALTER TABLE payment_import_batches DROP COLUMN upload_size;
ALTER TABLE payment_import_batches DROP COLUMN upload_key_id;
ALTER TABLE payment_import_batches DROP COLUMN upload_key;
ALTER TABLE payment_import_batches DROP COLUMN upload_file;
ALTER TABLE payment_import_batches DROP COLUMN source;
