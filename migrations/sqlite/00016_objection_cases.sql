-- Objections during public notice (公示) as cases a covering verifier
-- resolves (issue 16); see the MySQL migration of the same number.

-- +goose Up
ALTER TABLE needs ADD COLUMN open_objections INTEGER NOT NULL DEFAULT 0;
ALTER TABLE needs ADD COLUMN notice_planned_end DATETIME NULL;
ALTER TABLE need_objections ADD COLUMN anonymous INTEGER NOT NULL DEFAULT 1;
ALTER TABLE need_objections ADD COLUMN contact_ct BLOB NULL;
ALTER TABLE need_objections ADD COLUMN contact_kid TEXT NOT NULL DEFAULT '';
ALTER TABLE need_objections ADD COLUMN addr_key TEXT NOT NULL DEFAULT '';
ALTER TABLE need_objections ADD COLUMN due_at DATETIME NULL;
ALTER TABLE need_objections ADD COLUMN token_hash TEXT NOT NULL DEFAULT '';
CREATE INDEX need_objections_addr ON need_objections (addr_key, created_at);
CREATE INDEX need_objections_due ON need_objections (status, due_at);
UPDATE needs SET open_objections = (SELECT COUNT(*) FROM need_objections o WHERE o.need_id = needs.id AND o.status = 'open');

-- Needs an objection suspended under the old rule go back to notice, held
-- until their objections are resolved, and to the public pages.
UPDATE needs SET status = 'notice', notice_planned_end = notice_ends_at, notice_ends_at = NULL, suspended_from = '', notice_left_us = 0
    WHERE status = 'suspended' AND suspended_from = 'notice' AND open_objections > 0;
INSERT INTO search_outbox (need_id, created_at)
    SELECT id, updated_at FROM needs WHERE status = 'notice' AND notice_ends_at IS NULL AND open_objections > 0;

-- +goose Down
DROP INDEX need_objections_due;
DROP INDEX need_objections_addr;
ALTER TABLE need_objections DROP COLUMN token_hash;
ALTER TABLE need_objections DROP COLUMN due_at;
ALTER TABLE need_objections DROP COLUMN addr_key;
ALTER TABLE need_objections DROP COLUMN contact_kid;
ALTER TABLE need_objections DROP COLUMN contact_ct;
ALTER TABLE need_objections DROP COLUMN anonymous;
ALTER TABLE needs DROP COLUMN notice_planned_end;
ALTER TABLE needs DROP COLUMN open_objections;
