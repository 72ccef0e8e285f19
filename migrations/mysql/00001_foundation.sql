-- Accounts, organizations, memberships and the hash-chained audit log.

-- +goose Up
CREATE TABLE organizations (
    id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    public_id   VARCHAR(32)  NOT NULL,
    name        VARCHAR(200) NOT NULL,
    kind        VARCHAR(32)  NOT NULL,
    region_code VARCHAR(12)  NOT NULL,
    created_at  DATETIME(6)  NOT NULL,
    UNIQUE KEY organizations_public_id (public_id),
    KEY organizations_region (region_code)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE users (
    id            BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    public_id     VARCHAR(32)  NOT NULL,
    email         VARCHAR(254) NOT NULL,
    password_hash VARCHAR(200) NOT NULL,
    display_name  VARCHAR(100) NOT NULL,
    disabled      TINYINT      NOT NULL DEFAULT 0,
    failed_logins INT          NOT NULL DEFAULT 0,
    locked_until  DATETIME(6)  NULL,
    created_at    DATETIME(6)  NOT NULL,
    UNIQUE KEY users_public_id (public_id),
    UNIQUE KEY users_email (email)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE memberships (
    id         BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id    BIGINT      NOT NULL,
    org_id     BIGINT      NULL,
    role       VARCHAR(32) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    KEY memberships_user (user_id),
    KEY memberships_org_role (org_id, role),
    CONSTRAINT memberships_user_fk FOREIGN KEY (user_id) REFERENCES users (id),
    CONSTRAINT memberships_org_fk FOREIGN KEY (org_id) REFERENCES organizations (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- One chain per stream (an account, a need, a fund...), so that unrelated
-- writes never wait on one another; audit_heads holds each chain's tip.
CREATE TABLE audit_heads (
    stream VARCHAR(100) NOT NULL PRIMARY KEY,
    seq    BIGINT       NOT NULL,
    hash   CHAR(64)     NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE audit_log (
    id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    stream      VARCHAR(100) NOT NULL,
    seq         BIGINT       NOT NULL,
    at_us       BIGINT       NOT NULL,
    actor       VARCHAR(64)  NOT NULL,
    action      VARCHAR(64)  NOT NULL,
    object_type VARCHAR(32)  NOT NULL,
    object_id   VARCHAR(64)  NOT NULL,
    detail      TEXT         NOT NULL,
    prev_hash   CHAR(64)     NOT NULL,
    hash        CHAR(64)     NOT NULL,
    UNIQUE KEY audit_log_stream_seq (stream, seq),
    KEY audit_log_object (object_type, object_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- +goose Down
DROP TABLE audit_log;
DROP TABLE audit_heads;
DROP TABLE memberships;
DROP TABLE users;
DROP TABLE organizations;
