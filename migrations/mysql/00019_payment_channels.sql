-- WeChat Pay and Alipay as donors use them, and refunds through the channel
-- the money came from (issue 18); see the SQLite migration of the same
-- number for what each table holds.

-- +goose Up
CREATE TABLE payment_merchants (
    org_id      BIGINT       NOT NULL,
    channel     VARCHAR(16)  NOT NULL,
    merchant_id VARCHAR(64)  NOT NULL,
    app_id      VARCHAR(64)  NOT NULL,
    details     TEXT         NOT NULL,
    secrets_ct  BLOB         NOT NULL,
    secrets_kid VARCHAR(64)  NOT NULL,
    updated_by  VARCHAR(32)  NOT NULL,
    updated_at  DATETIME(6)  NOT NULL,
    PRIMARY KEY (org_id, channel),
    CONSTRAINT payment_merchants_channel CHECK (channel IN ('wechat_pay', 'alipay')),
    CONSTRAINT payment_merchants_org_fk FOREIGN KEY (org_id) REFERENCES organizations (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE payment_orders (
    id         BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    pledge_id  BIGINT        NOT NULL,
    method     VARCHAR(16)   NOT NULL,
    pay_url    VARCHAR(1000) NOT NULL,
    created_at DATETIME(6)   NOT NULL,
    expires_at DATETIME(6)   NOT NULL,
    UNIQUE KEY payment_orders_pledge (pledge_id, method),
    CONSTRAINT payment_orders_pledge_fk FOREIGN KEY (pledge_id) REFERENCES pledges (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE pledge_refunds (
    id                 BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    public_id          VARCHAR(32)  NOT NULL,
    pledge_id          BIGINT       NOT NULL,
    org_id             BIGINT       NOT NULL,
    channel            VARCHAR(16)  NOT NULL,
    out_refund_no      VARCHAR(64)  NOT NULL,
    amount_fen         BIGINT       NOT NULL,
    reason_ct          BLOB         NULL,
    reason_kid         VARCHAR(64)  NOT NULL DEFAULT '',
    status             VARCHAR(16)  NOT NULL,
    provider_refund_id VARCHAR(64)  NOT NULL DEFAULT '',
    bank_reference     VARCHAR(64)  NOT NULL DEFAULT '',
    error              VARCHAR(500) NOT NULL DEFAULT '',
    attempts           INT          NOT NULL DEFAULT 0,
    requested_by       BIGINT       NULL,
    journal_tx         VARCHAR(32)  NOT NULL,
    created_at         DATETIME(6)  NOT NULL,
    updated_at         DATETIME(6)  NOT NULL,
    next_attempt_at    DATETIME(6)  NULL,
    succeeded_at       DATETIME(6)  NULL,
    UNIQUE KEY pledge_refunds_public_id (public_id),
    UNIQUE KEY pledge_refunds_out_no (out_refund_no),
    KEY pledge_refunds_pledge (pledge_id),
    KEY pledge_refunds_due (status, next_attempt_at),
    CONSTRAINT pledge_refunds_amount CHECK (amount_fen > 0),
    CONSTRAINT pledge_refunds_channel CHECK (channel IN ('wechat_pay', 'alipay', 'bank')),
    CONSTRAINT pledge_refunds_status CHECK (status IN ('pending', 'processing', 'succeeded', 'failed')),
    CONSTRAINT pledge_refunds_pledge_fk FOREIGN KEY (pledge_id) REFERENCES pledges (id),
    CONSTRAINT pledge_refunds_org_fk FOREIGN KEY (org_id) REFERENCES organizations (id),
    CONSTRAINT pledge_refunds_user_fk FOREIGN KEY (requested_by) REFERENCES users (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE payment_exceptions (
    id              BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    public_id       VARCHAR(32)  NOT NULL,
    org_id          BIGINT       NOT NULL,
    channel         VARCHAR(16)  NOT NULL,
    event_key       VARCHAR(100) NOT NULL,
    kind            VARCHAR(16)  NOT NULL,
    code            VARCHAR(32)  NOT NULL,
    provider_txn_id VARCHAR(64)  NOT NULL DEFAULT '',
    out_trade_no    VARCHAR(64)  NOT NULL DEFAULT '',
    out_refund_no   VARCHAR(64)  NOT NULL DEFAULT '',
    amount_fen      BIGINT       NOT NULL DEFAULT 0,
    currency        VARCHAR(8)   NOT NULL DEFAULT '',
    pledge_id       BIGINT       NULL,
    detail_ct       BLOB         NULL,
    detail_kid      VARCHAR(64)  NOT NULL DEFAULT '',
    times           INT          NOT NULL DEFAULT 1,
    first_at        DATETIME(6)  NOT NULL,
    last_at         DATETIME(6)  NOT NULL,
    resolved_at     DATETIME(6)  NULL,
    resolved_by     BIGINT       NULL,
    note_ct         BLOB         NULL,
    note_kid        VARCHAR(64)  NOT NULL DEFAULT '',
    UNIQUE KEY payment_exceptions_public_id (public_id),
    UNIQUE KEY payment_exceptions_event (channel, event_key, code),
    KEY payment_exceptions_org (org_id, resolved_at, last_at),
    CONSTRAINT payment_exceptions_org_fk FOREIGN KEY (org_id) REFERENCES organizations (id),
    CONSTRAINT payment_exceptions_pledge_fk FOREIGN KEY (pledge_id) REFERENCES pledges (id),
    CONSTRAINT payment_exceptions_user_fk FOREIGN KEY (resolved_by) REFERENCES users (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE INDEX payment_notifications_pledge ON payment_notifications (pledge_id);

-- +goose Down
DROP INDEX payment_notifications_pledge ON payment_notifications;
DROP TABLE payment_exceptions;
DROP TABLE pledge_refunds;
DROP TABLE payment_orders;
DROP TABLE payment_merchants;
