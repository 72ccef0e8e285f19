-- Monthly recurring pledges (月捐) and the donors' choices for money given
-- to a need that ended before it was fully funded (moved to another need or
-- fund, or refunded; a default after a deadline).
-- The recurring_pledges table of 00007 was never used: it is rebuilt with
-- the target, the fallback and one row per generated month.

-- +goose Up
DROP TABLE recurring_pledges;
CREATE TABLE recurring_pledges (
    id                 BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    public_id          VARCHAR(32)  NOT NULL,
    donor_id           BIGINT       NOT NULL,
    target_type        VARCHAR(16)  NOT NULL,
    source_id          BIGINT       NULL,
    need_id            BIGINT       NULL,
    target_public_id   VARCHAR(32)  NOT NULL,
    fallback_source_id BIGINT       NULL,
    fallback_public_id VARCHAR(32)  NOT NULL DEFAULT '',
    amount_fen         BIGINT       NOT NULL,
    day_of_month       INT          NOT NULL,
    status             VARCHAR(16)  NOT NULL,
    next_at            DATETIME(6)  NOT NULL,
    created_at         DATETIME(6)  NOT NULL,
    updated_at         DATETIME(6)  NOT NULL,
    UNIQUE KEY recurring_pledges_public_id (public_id),
    KEY recurring_pledges_due (status, next_at),
    KEY recurring_pledges_donor (donor_id, id),
    CONSTRAINT recurring_pledges_amount CHECK (amount_fen > 0),
    CONSTRAINT recurring_pledges_day CHECK (day_of_month BETWEEN 1 AND 28),
    CONSTRAINT recurring_pledges_donor_fk FOREIGN KEY (donor_id) REFERENCES users (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- One row per recurring pledge and month: the primary key is what makes a
-- month's pledge happen once however many generators run.
CREATE TABLE recurring_runs (
    recurring_id BIGINT       NOT NULL,
    period       CHAR(7)      NOT NULL,
    outcome      VARCHAR(16)  NOT NULL,
    pledge_id    BIGINT       NULL,
    reason       VARCHAR(255) NOT NULL DEFAULT '',
    created_at   DATETIME(6)  NOT NULL,
    PRIMARY KEY (recurring_id, period)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE pledge_redirects (
    id                BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    public_id         VARCHAR(32)  NOT NULL,
    pledge_id         BIGINT       NOT NULL,
    need_id           BIGINT       NOT NULL,
    reason            VARCHAR(16)  NOT NULL,
    from_need_fen     BIGINT       NOT NULL,
    from_held_fen     BIGINT       NOT NULL,
    amount_fen        BIGINT       NOT NULL,
    deadline          DATETIME(6)  NOT NULL,
    status            VARCHAR(16)  NOT NULL,
    action            VARCHAR(16)  NOT NULL DEFAULT '',
    target_id         BIGINT       NULL,
    target_public_id  VARCHAR(32)  NOT NULL DEFAULT '',
    decided_by        VARCHAR(16)  NOT NULL DEFAULT '',
    created_at        DATETIME(6)  NOT NULL,
    applied_at        DATETIME(6)  NULL,
    UNIQUE KEY pledge_redirects_public_id (public_id),
    UNIQUE KEY pledge_redirects_pledge_need (pledge_id, need_id),
    KEY pledge_redirects_due (status, deadline),
    KEY pledge_redirects_target (action, target_id),
    CONSTRAINT pledge_redirects_amount CHECK (amount_fen > 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE pledge_redirects;
DROP TABLE recurring_runs;
DROP TABLE recurring_pledges;
CREATE TABLE recurring_pledges (
    id           BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    public_id    VARCHAR(32)  NOT NULL,
    donor_id     BIGINT       NOT NULL,
    source_id    BIGINT       NOT NULL,
    amount_fen   BIGINT       NOT NULL,
    day_of_month INT          NOT NULL,
    status       VARCHAR(16)  NOT NULL,
    next_at      DATETIME(6)  NOT NULL,
    created_at   DATETIME(6)  NOT NULL,
    UNIQUE KEY recurring_pledges_public_id (public_id),
    KEY recurring_pledges_due (status, next_at),
    CONSTRAINT recurring_pledges_amount CHECK (amount_fen > 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
