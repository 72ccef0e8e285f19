-- The need lifecycle: events (who, when, why; the why encrypted), objections
-- during public notice, progress updates, and the columns on needs that the
-- lifecycle keeps (still-needed confirmation, suspension state).

-- +goose Up
ALTER TABLE needs ADD COLUMN still_needed_at DATETIME NULL;
ALTER TABLE needs ADD COLUMN suspended_from TEXT NOT NULL DEFAULT '';
ALTER TABLE needs ADD COLUMN notice_left_us INTEGER NOT NULL DEFAULT 0;

CREATE TABLE need_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id    TEXT    NOT NULL UNIQUE,
    need_id      INTEGER NOT NULL REFERENCES needs (id),
    at           DATETIME NOT NULL,
    actor        TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    from_status  TEXT    NOT NULL,
    to_status    TEXT    NOT NULL,
    note_ct      BLOB    NULL,
    note_kid     TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX need_events_need ON need_events (need_id, id);

CREATE TABLE need_objections (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id     TEXT    NOT NULL UNIQUE,
    need_id       INTEGER NOT NULL REFERENCES needs (id),
    created_at    DATETIME NOT NULL,
    created_by    TEXT    NOT NULL DEFAULT '',
    text_ct       BLOB    NOT NULL,
    text_kid      TEXT    NOT NULL,
    public_text   TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    resolved_at   DATETIME NULL,
    resolved_by   TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX need_objections_need ON need_objections (need_id, status);

CREATE TABLE need_updates (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id   TEXT    NOT NULL UNIQUE,
    need_id     INTEGER NOT NULL REFERENCES needs (id),
    created_at  DATETIME NOT NULL,
    created_by  TEXT    NOT NULL,
    text_ct     BLOB    NOT NULL,
    text_kid    TEXT    NOT NULL,
    public_text TEXT    NOT NULL
);
CREATE INDEX need_updates_need ON need_updates (need_id, id);

CREATE INDEX needs_cell ON needs (category, age_band, published_at);

-- +goose Down
DROP INDEX needs_cell;
DROP TABLE need_updates;
DROP TABLE need_objections;
DROP TABLE need_events;
ALTER TABLE needs DROP COLUMN notice_left_us;
ALTER TABLE needs DROP COLUMN suspended_from;
ALTER TABLE needs DROP COLUMN still_needed_at;
