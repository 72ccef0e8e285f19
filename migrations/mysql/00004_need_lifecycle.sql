-- The need lifecycle: events (who, when, why; the why encrypted), objections
-- during public notice, progress updates, and the columns on needs that the
-- lifecycle keeps (still-needed confirmation, suspension state).

-- +goose Up
ALTER TABLE needs ADD COLUMN still_needed_at DATETIME(6) NULL;
ALTER TABLE needs ADD COLUMN suspended_from VARCHAR(16) NOT NULL DEFAULT '';
ALTER TABLE needs ADD COLUMN notice_left_us BIGINT NOT NULL DEFAULT 0;

CREATE TABLE need_events (
    id          BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    public_id   VARCHAR(32) NOT NULL,
    need_id     BIGINT      NOT NULL,
    at          DATETIME(6) NOT NULL,
    actor       VARCHAR(32) NOT NULL,
    action      VARCHAR(32) NOT NULL,
    from_status VARCHAR(16) NOT NULL,
    to_status   VARCHAR(16) NOT NULL,
    note_ct     MEDIUMBLOB  NULL,
    note_kid    VARCHAR(32) NOT NULL DEFAULT '',
    UNIQUE KEY need_events_public_id (public_id),
    KEY need_events_need (need_id, id),
    CONSTRAINT need_events_need_fk FOREIGN KEY (need_id) REFERENCES needs (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE need_objections (
    id          BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    public_id   VARCHAR(32) NOT NULL,
    need_id     BIGINT      NOT NULL,
    created_at  DATETIME(6) NOT NULL,
    created_by  VARCHAR(32) NOT NULL DEFAULT '',
    text_ct     MEDIUMBLOB  NOT NULL,
    text_kid    VARCHAR(32) NOT NULL,
    public_text TEXT        NOT NULL,
    status      VARCHAR(16) NOT NULL,
    resolved_at DATETIME(6) NULL,
    resolved_by VARCHAR(32) NOT NULL DEFAULT '',
    UNIQUE KEY need_objections_public_id (public_id),
    KEY need_objections_need (need_id, status),
    CONSTRAINT need_objections_need_fk FOREIGN KEY (need_id) REFERENCES needs (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE need_updates (
    id          BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    public_id   VARCHAR(32) NOT NULL,
    need_id     BIGINT      NOT NULL,
    created_at  DATETIME(6) NOT NULL,
    created_by  VARCHAR(32) NOT NULL,
    text_ct     MEDIUMBLOB  NOT NULL,
    text_kid    VARCHAR(32) NOT NULL,
    public_text MEDIUMTEXT  NOT NULL,
    UNIQUE KEY need_updates_public_id (public_id),
    KEY need_updates_need (need_id, id),
    CONSTRAINT need_updates_need_fk FOREIGN KEY (need_id) REFERENCES needs (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE INDEX needs_cell ON needs (category, age_band, published_at);

-- +goose Down
DROP INDEX needs_cell ON needs;
DROP TABLE need_updates;
DROP TABLE need_objections;
DROP TABLE need_events;
ALTER TABLE needs DROP COLUMN notice_left_us;
ALTER TABLE needs DROP COLUMN suspended_from;
ALTER TABLE needs DROP COLUMN still_needed_at;
