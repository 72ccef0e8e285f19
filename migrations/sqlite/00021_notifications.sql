-- Notifications (issue 18): the outbox of events, written in the
-- transaction of the change that caused them (or right after it), one per
-- key; the deliveries a dispatcher makes of each event, one per recipient
-- and channel, with their tries; the in-app inbox, one message per event
-- and user whatever the resends; each user's choices and sealed phone
-- number; and the lease that lets one dispatcher of a cluster work at a
-- time. Times are microseconds since 1970 (UTC), compared as numbers on
-- both databases.

-- +goose Up
CREATE TABLE notify_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    dedup_key  TEXT    NOT NULL UNIQUE,
    kind       TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    created_us INTEGER NOT NULL,
    fanned     INTEGER NOT NULL DEFAULT 0,
    recipients INTEGER NOT NULL DEFAULT 0,
    fanned_us  INTEGER NULL
);
CREATE INDEX notify_events_waiting ON notify_events (fanned, id);

CREATE TABLE notify_deliveries (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id  TEXT    NOT NULL UNIQUE,
    event_id   INTEGER NOT NULL REFERENCES notify_events (id),
    user_id    INTEGER NOT NULL REFERENCES users (id),
    channel    TEXT    NOT NULL,
    state      TEXT    NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    next_us    INTEGER NOT NULL,
    last_reason TEXT   NOT NULL DEFAULT '',
    last_error TEXT    NOT NULL DEFAULT '',
    created_us INTEGER NOT NULL,
    updated_us INTEGER NOT NULL,
    sent_us    INTEGER NULL,
    UNIQUE (event_id, user_id, channel)
);
CREATE INDEX notify_deliveries_due ON notify_deliveries (state, next_us);
CREATE INDEX notify_deliveries_list ON notify_deliveries (state, id);

CREATE TABLE notify_inbox (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id  TEXT    NOT NULL UNIQUE,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    event_id   INTEGER NOT NULL REFERENCES notify_events (id),
    created_us INTEGER NOT NULL,
    read_us    INTEGER NULL,
    UNIQUE (event_id, user_id)
);
CREATE INDEX notify_inbox_user ON notify_inbox (user_id, id);
CREATE INDEX notify_inbox_unread ON notify_inbox (user_id, read_us);

CREATE TABLE notify_choices (
    user_id    INTEGER NOT NULL REFERENCES users (id),
    kind       TEXT    NOT NULL,
    email      INTEGER NOT NULL,
    sms        INTEGER NOT NULL,
    updated_us INTEGER NOT NULL,
    PRIMARY KEY (user_id, kind)
);

CREATE TABLE notify_phones (
    user_id    INTEGER NOT NULL PRIMARY KEY REFERENCES users (id),
    phone_ct   BLOB    NOT NULL,
    phone_kid  TEXT    NOT NULL,
    updated_us INTEGER NOT NULL
);

CREATE TABLE notify_leases (
    name       TEXT    NOT NULL PRIMARY KEY,
    holder     TEXT    NOT NULL,
    expires_us INTEGER NOT NULL
);

-- +goose Down
DROP TABLE notify_leases;
DROP TABLE notify_phones;
DROP TABLE notify_choices;
DROP TABLE notify_inbox;
DROP TABLE notify_deliveries;
DROP TABLE notify_events;
