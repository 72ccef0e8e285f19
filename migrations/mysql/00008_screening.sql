-- Screening against duplicate and missed relief: every screening run with
-- its checks, verifiers' overrides of blocks, and referrals (转介) to civil
-- affairs. Free text a person writes (reasons, notes) is stored only
-- AES-GCM sealed (*_ct with its key id), like every private text.

-- +goose Up
CREATE TABLE screenings (
    id                  BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    public_id           VARCHAR(32)  NOT NULL,
    need_id             BIGINT       NOT NULL,
    stage               VARCHAR(16)  NOT NULL,
    result              VARCHAR(8)   NOT NULL,
    checks              MEDIUMTEXT   NOT NULL,
    amount_fen          BIGINT       NOT NULL DEFAULT 0,
    block_fingerprint   CHAR(64)     NOT NULL DEFAULT '',
    warn_fingerprint    CHAR(64)     NOT NULL DEFAULT '',
    overridden          TINYINT      NOT NULL DEFAULT 0,
    latest              TINYINT      NOT NULL DEFAULT 1,
    decision            VARCHAR(16)  NOT NULL DEFAULT '',
    decided_by          VARCHAR(32)  NOT NULL DEFAULT '',
    decided_at          DATETIME(6)  NULL,
    decision_reason_ct  BLOB         NULL,
    decision_reason_kid VARCHAR(32)  NOT NULL DEFAULT '',
    at                  DATETIME(6)  NOT NULL,
    UNIQUE KEY screenings_public_id (public_id),
    KEY screenings_need (need_id, id),
    KEY screenings_queue (latest, decision, result),
    CONSTRAINT screenings_need_fk FOREIGN KEY (need_id) REFERENCES needs (id),
    CONSTRAINT screenings_result CHECK (result IN ('clear', 'warn', 'block')),
    CONSTRAINT screenings_decision CHECK (decision IN ('', 'acknowledge', 'override', 'uphold'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE screening_overrides (
    id           BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    need_id      BIGINT       NOT NULL,
    screening_id BIGINT       NOT NULL,
    verifier     VARCHAR(32)  NOT NULL,
    reason_ct    BLOB         NOT NULL,
    reason_kid   VARCHAR(32)  NOT NULL,
    fingerprint  CHAR(64)     NOT NULL,
    created_at   DATETIME(6)  NOT NULL,
    KEY screening_overrides_need (need_id, fingerprint),
    CONSTRAINT screening_overrides_need_fk FOREIGN KEY (need_id) REFERENCES needs (id),
    CONSTRAINT screening_overrides_screening_fk FOREIGN KEY (screening_id) REFERENCES screenings (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE referrals (
    id         BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    public_id  VARCHAR(32)  NOT NULL,
    need_id    BIGINT       NOT NULL,
    programme  VARCHAR(16)  NOT NULL,
    reason     VARCHAR(500) NOT NULL,
    status     VARCHAR(16)  NOT NULL,
    taken_by   VARCHAR(32)  NOT NULL DEFAULT '',
    notes_ct   MEDIUMBLOB   NULL,
    notes_kid  VARCHAR(32)  NOT NULL DEFAULT '',
    created_at DATETIME(6)  NOT NULL,
    updated_at DATETIME(6)  NOT NULL,
    closed_at  DATETIME(6)  NULL,
    UNIQUE KEY referrals_public_id (public_id),
    UNIQUE KEY referrals_need_programme (need_id, programme),
    KEY referrals_status (status, id),
    CONSTRAINT referrals_need_fk FOREIGN KEY (need_id) REFERENCES needs (id),
    CONSTRAINT referrals_status_ck CHECK (status IN ('open', 'accepted', 'closed'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE referrals;
DROP TABLE screening_overrides;
DROP TABLE screenings;
