-- Objections during public notice (公示) as cases a covering verifier
-- resolves (issue 16). An objection no longer suspends or hides the need:
-- the need stays in notice, holds its notice (notice_ends_at NULL) and
-- takes no money while open_objections > 0; notice_planned_end is the end
-- the notice was published with, and the notice ends at the later of it
-- and the last objection's resolution, so that a dismissal never restarts
-- the notice.
-- An objection carries a contact sealed like other personal data
-- (contact_ct under the data key contact_kid), or is anonymous; addr_key is
-- a keyed hash (HMAC) of the client address for the per-address limit,
-- never the address itself; due_at is the verifier's due date; token_hash
-- the SHA-256 of the receipt token the objector looks the outcome up with.

-- +goose Up
ALTER TABLE needs
    ADD COLUMN open_objections    INT         NOT NULL DEFAULT 0,
    ADD COLUMN notice_planned_end DATETIME(6) NULL;
ALTER TABLE need_objections
    ADD COLUMN anonymous   TINYINT(1)   NOT NULL DEFAULT 1,
    ADD COLUMN contact_ct  VARBINARY(512) NULL,
    ADD COLUMN contact_kid VARCHAR(32)  CHARACTER SET ascii NOT NULL DEFAULT '',
    ADD COLUMN addr_key    VARCHAR(64)  CHARACTER SET ascii NOT NULL DEFAULT '',
    ADD COLUMN due_at      DATETIME(6)  NULL,
    ADD COLUMN token_hash  VARCHAR(64)  CHARACTER SET ascii NOT NULL DEFAULT '',
    ADD KEY need_objections_addr (addr_key, created_at),
    ADD KEY need_objections_due (status, due_at);
UPDATE needs SET open_objections = (SELECT COUNT(*) FROM need_objections o WHERE o.need_id = needs.id AND o.status = 'open');

-- Needs an objection suspended under the old rule go back to notice, held
-- until their objections are resolved, and to the public pages.
UPDATE needs SET status = 'notice', notice_planned_end = notice_ends_at, notice_ends_at = NULL, suspended_from = '', notice_left_us = 0
    WHERE status = 'suspended' AND suspended_from = 'notice' AND open_objections > 0;
INSERT INTO search_outbox (need_id, created_at)
    SELECT id, updated_at FROM needs WHERE status = 'notice' AND notice_ends_at IS NULL AND open_objections > 0;

-- +goose Down
ALTER TABLE need_objections
    DROP KEY need_objections_due,
    DROP KEY need_objections_addr,
    DROP COLUMN token_hash,
    DROP COLUMN due_at,
    DROP COLUMN addr_key,
    DROP COLUMN contact_kid,
    DROP COLUMN contact_ct,
    DROP COLUMN anonymous;
ALTER TABLE needs
    DROP COLUMN notice_planned_end,
    DROP COLUMN open_objections;
