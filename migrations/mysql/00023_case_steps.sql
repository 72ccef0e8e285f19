-- The county's way of working (issue 19): the steps of a case with their
-- time limits in working days (kernel.Calendar: China's public holidays and
-- make-up working days), measured end to end and escalated when missed.
--
-- needs.approval_step is the step a submitted need waits at: 'clearance'
-- (one step: any verifier of a civil affairs office covering its region
-- decides), 'town_review' (乡镇审核, a town office) or 'county_approval'
-- (县级审批, a county office); '' once decided. clearance_due_at is that
-- step's due time; escalated_level the level its step was escalated to
-- ('county', 'city') or ''. case_due_at is when the whole case should be
-- closed (办结时限). reports.followup_due_at is when an active-discovery
-- report should have been followed up.
--
-- case_steps holds one row per step of a case, for the pages and the
-- statistics: step (report_followup, clearance, town_review,
-- county_approval, case_completion, objection), subject_id (the public id
-- of the need, or of the report; an objection's step names its need),
-- need_id / report_id / objection_id, region_code (the need's or report's
-- exact region), level (the level of the office whose step it is),
-- limit_days (the limit in working days when it started), started_at,
-- due_at, ended_at (NULL while open), outcome (what ended it: passed,
-- cleared, rejected, referred, withdrawn, closed, upheld, dismissed,
-- accepted, need_posted, no_action), ended_by (a user's public id, or
-- 'system'), reminded_at (the "due soon" notice was sent) and escalated_at.
-- A step was handled within its limit when ended_at <= due_at.
--
-- step_escalations: one row per step and level it was escalated to
-- (UNIQUE step_id, to_level: the job escalates once however often it
-- runs), with the region code of the office it went to.
--
-- group_decisions: the 一事一议 of a county decision above the configured
-- amount: the members present (JSON [{name, role}], civil affairs staff,
-- at least 3), the date, the decision and the reasoning (sealed like other
-- notes: reasoning_ct under the data key reasoning_kid).

-- +goose Up
ALTER TABLE needs
    ADD COLUMN approval_step   VARCHAR(16) CHARACTER SET ascii NOT NULL DEFAULT '',
    ADD COLUMN escalated_level VARCHAR(16) CHARACTER SET ascii NOT NULL DEFAULT '',
    ADD COLUMN case_due_at     DATETIME(6) NULL,
    ADD KEY needs_approval (status, approval_step, clearance_due_at);
UPDATE needs SET approval_step = 'clearance' WHERE status = 'submitted';

ALTER TABLE reports ADD COLUMN followup_due_at DATETIME(6) NULL;

CREATE TABLE case_steps (
    id           BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    public_id    VARCHAR(32) NOT NULL,
    step         VARCHAR(16) CHARACTER SET ascii NOT NULL,
    subject_id   VARCHAR(32) NOT NULL,
    need_id      BIGINT      NULL,
    report_id    BIGINT      NULL,
    objection_id BIGINT      NULL,
    region_code  VARCHAR(12) NOT NULL,
    level        VARCHAR(16) CHARACTER SET ascii NOT NULL,
    limit_days   INT         NOT NULL,
    started_at   DATETIME(6) NOT NULL,
    due_at       DATETIME(6) NOT NULL,
    ended_at     DATETIME(6) NULL,
    outcome      VARCHAR(16) CHARACTER SET ascii NOT NULL DEFAULT '',
    ended_by     VARCHAR(32) NOT NULL DEFAULT '',
    reminded_at  DATETIME(6) NULL,
    escalated_at DATETIME(6) NULL,
    UNIQUE KEY case_steps_public_id (public_id),
    KEY case_steps_open (ended_at, due_at),
    KEY case_steps_need (need_id, step),
    KEY case_steps_report (report_id),
    KEY case_steps_objection (objection_id),
    KEY case_steps_started (step, started_at),
    CONSTRAINT case_steps_need_fk FOREIGN KEY (need_id) REFERENCES needs (id),
    CONSTRAINT case_steps_report_fk FOREIGN KEY (report_id) REFERENCES reports (id),
    CONSTRAINT case_steps_objection_fk FOREIGN KEY (objection_id) REFERENCES need_objections (id),
    CONSTRAINT case_steps_step CHECK (step IN ('report_followup', 'clearance', 'town_review', 'county_approval', 'case_completion', 'objection'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE step_escalations (
    id             BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    step_id        BIGINT      NOT NULL,
    to_level       VARCHAR(16) CHARACTER SET ascii NOT NULL,
    to_region_code VARCHAR(12) NOT NULL,
    at             DATETIME(6) NOT NULL,
    UNIQUE KEY step_escalations_once (step_id, to_level),
    KEY step_escalations_to (to_level, to_region_code),
    CONSTRAINT step_escalations_step_fk FOREIGN KEY (step_id) REFERENCES case_steps (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE group_decisions (
    id            BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    public_id     VARCHAR(32) NOT NULL,
    need_id       BIGINT      NOT NULL,
    step          VARCHAR(16) CHARACTER SET ascii NOT NULL,
    decision      VARCHAR(16) CHARACTER SET ascii NOT NULL,
    decided_on    CHAR(10)    CHARACTER SET ascii NOT NULL,
    members       TEXT        NOT NULL,
    reasoning_ct  MEDIUMBLOB  NOT NULL,
    reasoning_kid VARCHAR(32) NOT NULL,
    requested_fen BIGINT      NOT NULL,
    recorded_by   VARCHAR(32) NOT NULL,
    recorded_at   DATETIME(6) NOT NULL,
    UNIQUE KEY group_decisions_public_id (public_id),
    KEY group_decisions_need (need_id),
    CONSTRAINT group_decisions_need_fk FOREIGN KEY (need_id) REFERENCES needs (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE group_decisions;
DROP TABLE step_escalations;
DROP TABLE case_steps;
ALTER TABLE reports DROP COLUMN followup_due_at;
ALTER TABLE needs
    DROP KEY needs_approval,
    DROP COLUMN case_due_at,
    DROP COLUMN escalated_level,
    DROP COLUMN approval_step;
