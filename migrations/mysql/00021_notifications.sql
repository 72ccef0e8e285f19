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
    id         BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    dedup_key  VARCHAR(190) NOT NULL,
    kind       VARCHAR(40)  NOT NULL,
    body       TEXT         NOT NULL,
    created_us BIGINT       NOT NULL,
    fanned     TINYINT      NOT NULL DEFAULT 0,
    recipients INT          NOT NULL DEFAULT 0,
    fanned_us  BIGINT       NULL,
    UNIQUE KEY notify_events_key (dedup_key),
    KEY notify_events_waiting (fanned, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE notify_deliveries (
    id         BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    public_id  VARCHAR(32)  NOT NULL,
    event_id   BIGINT       NOT NULL,
    user_id    BIGINT       NOT NULL,
    channel    VARCHAR(8)   NOT NULL,
    state      VARCHAR(10)  NOT NULL,
    attempts   INT          NOT NULL DEFAULT 0,
    next_us    BIGINT       NOT NULL,
    last_reason VARCHAR(16) NOT NULL DEFAULT '',
    last_error VARCHAR(2000) NOT NULL DEFAULT '',
    created_us BIGINT       NOT NULL,
    updated_us BIGINT       NOT NULL,
    sent_us    BIGINT       NULL,
    UNIQUE KEY notify_deliveries_public (public_id),
    UNIQUE KEY notify_deliveries_once (event_id, user_id, channel),
    KEY notify_deliveries_due (state, next_us),
    KEY notify_deliveries_list (state, id),
    CONSTRAINT notify_deliveries_event FOREIGN KEY (event_id) REFERENCES notify_events (id),
    CONSTRAINT notify_deliveries_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE notify_inbox (
    id         BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    public_id  VARCHAR(32) NOT NULL,
    user_id    BIGINT      NOT NULL,
    event_id   BIGINT      NOT NULL,
    created_us BIGINT      NOT NULL,
    read_us    BIGINT      NULL,
    UNIQUE KEY notify_inbox_public (public_id),
    UNIQUE KEY notify_inbox_once (event_id, user_id),
    KEY notify_inbox_user (user_id, id),
    KEY notify_inbox_unread (user_id, read_us),
    CONSTRAINT notify_inbox_event FOREIGN KEY (event_id) REFERENCES notify_events (id),
    CONSTRAINT notify_inbox_owner FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE notify_choices (
    user_id    BIGINT      NOT NULL,
    kind       VARCHAR(40) NOT NULL,
    email      TINYINT     NOT NULL,
    sms        TINYINT     NOT NULL,
    updated_us BIGINT      NOT NULL,
    PRIMARY KEY (user_id, kind),
    CONSTRAINT notify_choices_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE notify_phones (
    user_id    BIGINT      NOT NULL PRIMARY KEY,
    phone_ct   BLOB        NOT NULL,
    phone_kid  VARCHAR(32) NOT NULL,
    updated_us BIGINT      NOT NULL,
    CONSTRAINT notify_phones_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE notify_leases (
    name       VARCHAR(64) NOT NULL PRIMARY KEY,
    holder     VARCHAR(64) NOT NULL,
    expires_us BIGINT      NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE notify_leases;
DROP TABLE notify_phones;
DROP TABLE notify_choices;
DROP TABLE notify_inbox;
DROP TABLE notify_deliveries;
DROP TABLE notify_events;
