-- Accounts, organizations, memberships and the hash-chained audit log.

-- +goose Up
CREATE TABLE organizations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id   TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    region_code TEXT    NOT NULL,
    created_at  DATETIME NOT NULL
);
CREATE INDEX organizations_region ON organizations (region_code);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id     TEXT    NOT NULL UNIQUE,
    email         TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    display_name  TEXT    NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until  DATETIME NULL,
    created_at    DATETIME NOT NULL
);

CREATE TABLE memberships (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    org_id     INTEGER NULL REFERENCES organizations (id),
    role       TEXT    NOT NULL,
    created_at DATETIME NOT NULL
);
CREATE INDEX memberships_user ON memberships (user_id);
CREATE INDEX memberships_org_role ON memberships (org_id, role);

-- One chain per stream (an account, a need, a fund...), so that unrelated
-- writes never wait on one another; audit_heads holds each chain's tip.
CREATE TABLE audit_heads (
    stream TEXT    NOT NULL PRIMARY KEY,
    seq    INTEGER NOT NULL,
    hash   TEXT    NOT NULL
);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    stream      TEXT    NOT NULL,
    seq         INTEGER NOT NULL,
    at_us       INTEGER NOT NULL,
    actor       TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    object_type TEXT    NOT NULL,
    object_id   TEXT    NOT NULL,
    detail      TEXT    NOT NULL,
    prev_hash   TEXT    NOT NULL,
    hash        TEXT    NOT NULL,
    UNIQUE (stream, seq)
);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE audit_heads;
DROP TABLE memberships;
DROP TABLE users;
DROP TABLE organizations;
