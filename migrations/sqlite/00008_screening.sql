-- Screening against duplicate and missed relief: every screening run with
-- its checks, verifiers' overrides of blocks, and referrals (转介) to civil
-- affairs. Free text a person writes (reasons, notes) is stored only
-- AES-GCM sealed (*_ct with its key id), like every private text.

-- +goose Up
CREATE TABLE screenings (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id           TEXT    NOT NULL UNIQUE,
    need_id             INTEGER NOT NULL REFERENCES needs (id),
    stage               TEXT    NOT NULL,
    result              TEXT    NOT NULL,
    checks              TEXT    NOT NULL,
    amount_fen          INTEGER NOT NULL DEFAULT 0,
    block_fingerprint   TEXT    NOT NULL DEFAULT '',
    warn_fingerprint    TEXT    NOT NULL DEFAULT '',
    overridden          INTEGER NOT NULL DEFAULT 0,
    latest              INTEGER NOT NULL DEFAULT 1,
    decision            TEXT    NOT NULL DEFAULT '',
    decided_by          TEXT    NOT NULL DEFAULT '',
    decided_at          DATETIME NULL,
    decision_reason_ct  BLOB    NULL,
    decision_reason_kid TEXT    NOT NULL DEFAULT '',
    at                  DATETIME NOT NULL,
    CHECK (result IN ('clear', 'warn', 'block')),
    CHECK (decision IN ('', 'acknowledge', 'override', 'uphold'))
);
CREATE INDEX screenings_need ON screenings (need_id, id);
CREATE INDEX screenings_queue ON screenings (latest, decision, result);

CREATE TABLE screening_overrides (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    need_id      INTEGER NOT NULL REFERENCES needs (id),
    screening_id INTEGER NOT NULL REFERENCES screenings (id),
    verifier     TEXT    NOT NULL,
    reason_ct    BLOB    NOT NULL,
    reason_kid   TEXT    NOT NULL,
    fingerprint  TEXT    NOT NULL,
    created_at   DATETIME NOT NULL
);
CREATE INDEX screening_overrides_need ON screening_overrides (need_id, fingerprint);

CREATE TABLE referrals (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id  TEXT    NOT NULL UNIQUE,
    need_id    INTEGER NOT NULL REFERENCES needs (id),
    programme  TEXT    NOT NULL,
    reason     TEXT    NOT NULL,
    status     TEXT    NOT NULL,
    taken_by   TEXT    NOT NULL DEFAULT '',
    notes_ct   BLOB    NULL,
    notes_kid  TEXT    NOT NULL DEFAULT '',
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    closed_at  DATETIME NULL,
    UNIQUE (need_id, programme),
    CHECK (status IN ('open', 'accepted', 'closed'))
);
CREATE INDEX referrals_status ON referrals (status, id);

-- +goose Down
DROP TABLE referrals;
DROP TABLE screening_overrides;
DROP TABLE screenings;
