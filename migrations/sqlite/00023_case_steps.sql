-- The county's way of working (issue 19): the steps of a case with their
-- time limits in working days, measured end to end, escalated when missed;
-- town review → county approval; 一事一议 above an amount. See the MySQL
-- migration of the same number for what each column holds.

-- +goose Up
ALTER TABLE needs ADD COLUMN approval_step TEXT NOT NULL DEFAULT '';
ALTER TABLE needs ADD COLUMN escalated_level TEXT NOT NULL DEFAULT '';
ALTER TABLE needs ADD COLUMN case_due_at DATETIME NULL;
UPDATE needs SET approval_step = 'clearance' WHERE status = 'submitted';
CREATE INDEX needs_approval ON needs (status, approval_step, clearance_due_at);

ALTER TABLE reports ADD COLUMN followup_due_at DATETIME NULL;

CREATE TABLE case_steps (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id    TEXT     NOT NULL UNIQUE,
    step         TEXT     NOT NULL,
    subject_id   TEXT     NOT NULL,
    need_id      INTEGER  NULL REFERENCES needs (id),
    report_id    INTEGER  NULL REFERENCES reports (id),
    objection_id INTEGER  NULL REFERENCES need_objections (id),
    region_code  TEXT     NOT NULL,
    level        TEXT     NOT NULL,
    limit_days   INTEGER  NOT NULL,
    started_at   DATETIME NOT NULL,
    due_at       DATETIME NOT NULL,
    ended_at     DATETIME NULL,
    outcome      TEXT     NOT NULL DEFAULT '',
    ended_by     TEXT     NOT NULL DEFAULT '',
    reminded_at  DATETIME NULL,
    escalated_at DATETIME NULL,
    CHECK (step IN ('report_followup', 'clearance', 'town_review', 'county_approval', 'case_completion', 'objection'))
);
CREATE INDEX case_steps_open ON case_steps (ended_at, due_at);
CREATE INDEX case_steps_need ON case_steps (need_id, step);
CREATE INDEX case_steps_report ON case_steps (report_id);
CREATE INDEX case_steps_objection ON case_steps (objection_id);
CREATE INDEX case_steps_started ON case_steps (step, started_at);

CREATE TABLE step_escalations (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    step_id        INTEGER  NOT NULL REFERENCES case_steps (id),
    to_level       TEXT     NOT NULL,
    to_region_code TEXT     NOT NULL,
    at             DATETIME NOT NULL,
    UNIQUE (step_id, to_level)
);
CREATE INDEX step_escalations_to ON step_escalations (to_level, to_region_code);

CREATE TABLE group_decisions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id     TEXT     NOT NULL UNIQUE,
    need_id       INTEGER  NOT NULL REFERENCES needs (id),
    step          TEXT     NOT NULL,
    decision      TEXT     NOT NULL,
    decided_on    TEXT     NOT NULL,
    members       TEXT     NOT NULL,
    reasoning_ct  BLOB     NOT NULL,
    reasoning_kid TEXT     NOT NULL,
    requested_fen INTEGER  NOT NULL,
    recorded_by   TEXT     NOT NULL,
    recorded_at   DATETIME NOT NULL
);
CREATE INDEX group_decisions_need ON group_decisions (need_id);

-- +goose Down
DROP TABLE group_decisions;
DROP TABLE step_escalations;
DROP TABLE case_steps;
ALTER TABLE reports DROP COLUMN followup_due_at;
DROP INDEX needs_approval;
ALTER TABLE needs DROP COLUMN case_due_at;
ALTER TABLE needs DROP COLUMN escalated_level;
ALTER TABLE needs DROP COLUMN approval_step;
