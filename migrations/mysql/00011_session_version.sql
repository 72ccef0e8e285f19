-- A per-account session version: every token carries the version it was
-- issued under, and a request is refused when the account's version has
-- moved on since. Logout (and anything else that must end an account's
-- sessions) increments it. Read with the user row each request already
-- loads, so the check costs no extra query.

-- +goose Up
ALTER TABLE users ADD COLUMN session_version BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE users DROP COLUMN session_version;
