-- WeChat Pay and Alipay as donors use them, and refunds through the channel
-- the money came from (issue 18).
--
-- payment_merchants holds each charity's merchant credentials per channel:
-- the ids shown to staff in plain columns, every key (the APIv3 key, the
-- private keys, the provider's certificates and public keys) in one JSON
-- sealed with the data key (AES-256-GCM, key id beside it, bound to the
-- organization and channel). payment_orders keeps the WeChat Pay Native
-- code a donor scans, so that the page shows it again without a new order.
-- pledge_refunds is the refund of a confirmed pledge: posted in the ledger
-- (journal_tx) in the same transaction as its row, then sent to the
-- provider (out_refund_no is the provider's idempotency key) or, for a bank
-- transfer, recorded once staff made the transfer. payment_exceptions
-- keeps every verified notification the ledger could not take (an unknown
-- order, another amount, a pledge already refunded, a refund the service
-- never asked for) for reconciliation, once per provider event and reason,
-- with the notification itself sealed.

-- +goose Up
CREATE TABLE payment_merchants (
    org_id      INTEGER  NOT NULL REFERENCES organizations (id),
    channel     TEXT     NOT NULL,
    merchant_id TEXT     NOT NULL,
    app_id      TEXT     NOT NULL,
    details     TEXT     NOT NULL DEFAULT '{}',
    secrets_ct  BLOB     NOT NULL,
    secrets_kid TEXT     NOT NULL,
    updated_by  TEXT     NOT NULL,
    updated_at  DATETIME NOT NULL,
    PRIMARY KEY (org_id, channel),
    CHECK (channel IN ('wechat_pay', 'alipay'))
);

CREATE TABLE payment_orders (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    pledge_id  INTEGER  NOT NULL REFERENCES pledges (id),
    method     TEXT     NOT NULL,
    pay_url    TEXT     NOT NULL,
    created_at DATETIME NOT NULL,
    expires_at DATETIME NOT NULL,
    UNIQUE (pledge_id, method)
);

CREATE TABLE pledge_refunds (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id          TEXT     NOT NULL UNIQUE,
    pledge_id          INTEGER  NOT NULL REFERENCES pledges (id),
    org_id             INTEGER  NOT NULL REFERENCES organizations (id),
    channel            TEXT     NOT NULL,
    out_refund_no      TEXT     NOT NULL UNIQUE,
    amount_fen         INTEGER  NOT NULL,
    reason_ct          BLOB     NULL,
    reason_kid         TEXT     NOT NULL DEFAULT '',
    status             TEXT     NOT NULL,
    provider_refund_id TEXT     NOT NULL DEFAULT '',
    bank_reference     TEXT     NOT NULL DEFAULT '',
    error              TEXT     NOT NULL DEFAULT '',
    attempts           INTEGER  NOT NULL DEFAULT 0,
    requested_by       INTEGER  NULL REFERENCES users (id),
    journal_tx         TEXT     NOT NULL,
    created_at         DATETIME NOT NULL,
    updated_at         DATETIME NOT NULL,
    next_attempt_at    DATETIME NULL,
    succeeded_at       DATETIME NULL,
    CHECK (amount_fen > 0),
    CHECK (channel IN ('wechat_pay', 'alipay', 'bank')),
    CHECK (status IN ('pending', 'processing', 'succeeded', 'failed'))
);
CREATE INDEX pledge_refunds_pledge ON pledge_refunds (pledge_id);
CREATE INDEX pledge_refunds_due ON pledge_refunds (status, next_attempt_at);

CREATE TABLE payment_exceptions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id       TEXT     NOT NULL UNIQUE,
    org_id          INTEGER  NOT NULL REFERENCES organizations (id),
    channel         TEXT     NOT NULL,
    event_key       TEXT     NOT NULL,
    kind            TEXT     NOT NULL,
    code            TEXT     NOT NULL,
    provider_txn_id TEXT     NOT NULL DEFAULT '',
    out_trade_no    TEXT     NOT NULL DEFAULT '',
    out_refund_no   TEXT     NOT NULL DEFAULT '',
    amount_fen      INTEGER  NOT NULL DEFAULT 0,
    currency        TEXT     NOT NULL DEFAULT '',
    pledge_id       INTEGER  NULL REFERENCES pledges (id),
    detail_ct       BLOB     NULL,
    detail_kid      TEXT     NOT NULL DEFAULT '',
    times           INTEGER  NOT NULL DEFAULT 1,
    first_at        DATETIME NOT NULL,
    last_at         DATETIME NOT NULL,
    resolved_at     DATETIME NULL,
    resolved_by     INTEGER  NULL REFERENCES users (id),
    note_ct         BLOB     NULL,
    note_kid        TEXT     NOT NULL DEFAULT '',
    UNIQUE (channel, event_key, code)
);
CREATE INDEX payment_exceptions_org ON payment_exceptions (org_id, resolved_at, last_at);

-- A pledge's payments by the provider's transaction id (notification ids
-- "wechat_pay:<transaction_id>", "alipay:<trade_no>"), read by refunds.
CREATE INDEX payment_notifications_pledge ON payment_notifications (pledge_id);

-- +goose Down
DROP INDEX payment_notifications_pledge;
DROP TABLE payment_exceptions;
DROP TABLE pledge_refunds;
DROP TABLE payment_orders;
DROP TABLE payment_merchants;
