-- Allocation plans: a plan spends one or more funds' balances over open
-- needs; staff review it and execute it once, line by line. Lines name funds
-- and needs by public id; each line keeps its reasons, and after execution
-- its allocation or the reasons it was refused.

-- +goose Up
CREATE TABLE plans (
    id                  BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    public_id           VARCHAR(32)  NOT NULL,
    org_id              BIGINT       NOT NULL,
    fund_id             VARCHAR(32)  NOT NULL,
    source_ids          TEXT         NOT NULL,
    max_needs           BIGINT       NOT NULL DEFAULT 0,
    status              VARCHAR(16)  NOT NULL,
    needs_fully_funded  BIGINT       NOT NULL DEFAULT 0,
    needs_partly_funded BIGINT       NOT NULL DEFAULT 0,
    allocated_fen       BIGINT       NOT NULL DEFAULT 0,
    money_left_fen      BIGINT       NOT NULL DEFAULT 0,
    urgency_covered     BIGINT       NOT NULL DEFAULT 0,
    upper_bound         BIGINT       NOT NULL DEFAULT 0,
    greedy_covered      BIGINT       NOT NULL DEFAULT 0,
    created_by          VARCHAR(32)  NOT NULL,
    created_at          DATETIME(6)  NOT NULL,
    executed_by         VARCHAR(32)  NOT NULL DEFAULT '',
    executed_at         DATETIME(6)  NULL,
    applied_lines       BIGINT       NOT NULL DEFAULT 0,
    refused_lines       BIGINT       NOT NULL DEFAULT 0,
    applied_fen         BIGINT       NOT NULL DEFAULT 0,
    UNIQUE KEY plans_public_id (public_id),
    KEY plans_org (org_id, created_at),
    CONSTRAINT plans_org_fk FOREIGN KEY (org_id) REFERENCES organizations (id),
    CONSTRAINT plans_status CHECK (status IN ('planned', 'executing', 'executed'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE plan_lines (
    id            BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    plan_id       BIGINT       NOT NULL,
    seq           BIGINT       NOT NULL,
    source_kind   VARCHAR(16)  NOT NULL,
    source_id     VARCHAR(32)  NOT NULL,
    need_id       VARCHAR(32)  NOT NULL,
    amount_fen    BIGINT       NOT NULL,
    weight        BIGINT       NOT NULL,
    reasons       MEDIUMTEXT   NOT NULL,
    status        VARCHAR(16)  NOT NULL,
    allocation_id VARCHAR(32)  NOT NULL DEFAULT '',
    refusal       MEDIUMTEXT   NOT NULL,
    done_at       DATETIME(6)  NULL,
    UNIQUE KEY plan_lines_seq (plan_id, seq),
    CONSTRAINT plan_lines_plan_fk FOREIGN KEY (plan_id) REFERENCES plans (id),
    CONSTRAINT plan_lines_amount CHECK (amount_fen > 0),
    CONSTRAINT plan_lines_status CHECK (status IN ('planned', 'applied', 'refused'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE plan_lines;
DROP TABLE plans;
