-- People: volunteer profiles (skills, regions, weekly availability,
-- background check), active-discovery reports and their routing, volunteer
-- claims of service needs, service pledges and the service logged on them.
--
-- For matching: a volunteer is volunteers.id; what they can do is
-- volunteer_skills (service, level 1 basic .. 3 professional), where they
-- serve is volunteer_regions (region_prefix: every need whose region_code
-- starts with it is inside), when is volunteer_availability (weekday 1 =
-- Monday .. 7, minutes from midnight, from < to), how much is
-- volunteers.load_limit against the active claims (status 'pending', or
-- 'approved' with ends_at in the future). A cleared background check is
-- bg_status = 'cleared'. Secrets (certificate numbers, notes, report text,
-- contacts) are AES-GCM sealed: *_ct with the key id in *_kid.

-- +goose Up
CREATE TABLE volunteers (
    id            BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    public_id     VARCHAR(32)  NOT NULL,
    user_id       BIGINT       NOT NULL,
    load_limit    INT          NOT NULL,
    bg_status     VARCHAR(16)  NOT NULL DEFAULT 'none',
    bg_checked_at DATETIME(6)  NULL,
    bg_note_ct    BLOB         NULL,
    bg_note_kid   VARCHAR(32)  NOT NULL DEFAULT '',
    bg_set_by     VARCHAR(32)  NOT NULL DEFAULT '',
    created_at    DATETIME(6)  NOT NULL,
    updated_at    DATETIME(6)  NOT NULL,
    UNIQUE KEY volunteers_public_id (public_id),
    UNIQUE KEY volunteers_user (user_id),
    KEY volunteers_bg (bg_status),
    CONSTRAINT volunteers_user_fk FOREIGN KEY (user_id) REFERENCES users (id),
    CONSTRAINT volunteers_bg_status CHECK (bg_status IN ('none', 'pending', 'cleared', 'expired')),
    CONSTRAINT volunteers_load_limit CHECK (load_limit >= 1)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE volunteer_skills (
    volunteer_id     BIGINT       NOT NULL,
    service          VARCHAR(32)  NOT NULL,
    level            INT          NOT NULL,
    cert_name        VARCHAR(200) NOT NULL DEFAULT '',
    cert_number_ct   BLOB         NULL,
    cert_number_kid  VARCHAR(32)  NOT NULL DEFAULT '',
    cert_issuer      VARCHAR(200) NOT NULL DEFAULT '',
    cert_valid_until DATE         NULL,
    PRIMARY KEY (volunteer_id, service),
    KEY volunteer_skills_service (service, level),
    CONSTRAINT volunteer_skills_volunteer_fk FOREIGN KEY (volunteer_id) REFERENCES volunteers (id),
    CONSTRAINT volunteer_skills_level CHECK (level BETWEEN 1 AND 3)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE volunteer_regions (
    volunteer_id  BIGINT      NOT NULL,
    region_code   VARCHAR(12) NOT NULL,
    region_prefix VARCHAR(12) NOT NULL,
    PRIMARY KEY (volunteer_id, region_code),
    KEY volunteer_regions_prefix (region_prefix),
    CONSTRAINT volunteer_regions_volunteer_fk FOREIGN KEY (volunteer_id) REFERENCES volunteers (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE volunteer_availability (
    id           BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    volunteer_id BIGINT NOT NULL,
    weekday      INT    NOT NULL,
    from_min     INT    NOT NULL,
    to_min       INT    NOT NULL,
    KEY volunteer_availability_volunteer (volunteer_id, weekday),
    CONSTRAINT volunteer_availability_volunteer_fk FOREIGN KEY (volunteer_id) REFERENCES volunteers (id),
    CONSTRAINT volunteer_availability_weekday CHECK (weekday BETWEEN 1 AND 7),
    CONSTRAINT volunteer_availability_span CHECK (from_min >= 0 AND from_min < to_min AND to_min <= 1440)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE reports (
    id              BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    public_id       VARCHAR(32) NOT NULL,
    region_code     VARCHAR(12) NOT NULL,
    category        VARCHAR(32) NOT NULL DEFAULT '',
    description_ct  MEDIUMBLOB  NOT NULL,
    description_kid VARCHAR(32) NOT NULL,
    contact_ct      BLOB        NULL,
    contact_kid     VARCHAR(32) NOT NULL DEFAULT '',
    reporter        VARCHAR(32) NOT NULL DEFAULT '',
    token_hash      CHAR(64)    NOT NULL,
    status          VARCHAR(16) NOT NULL,
    owner_org_id    BIGINT      NULL,
    note_ct         BLOB        NULL,
    note_kid        VARCHAR(32) NOT NULL DEFAULT '',
    handled_by      VARCHAR(32) NOT NULL DEFAULT '',
    created_at      DATETIME(6) NOT NULL,
    updated_at      DATETIME(6) NOT NULL,
    UNIQUE KEY reports_public_id (public_id),
    KEY reports_region (region_code),
    CONSTRAINT reports_owner_fk FOREIGN KEY (owner_org_id) REFERENCES organizations (id),
    CONSTRAINT reports_status CHECK (status IN ('new', 'accepted', 'need_posted', 'no_action'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE report_routes (
    report_id BIGINT NOT NULL,
    org_id    BIGINT NOT NULL,
    distance  INT    NOT NULL,
    PRIMARY KEY (report_id, org_id),
    KEY report_routes_org (org_id, report_id),
    CONSTRAINT report_routes_report_fk FOREIGN KEY (report_id) REFERENCES reports (id),
    CONSTRAINT report_routes_org_fk FOREIGN KEY (org_id) REFERENCES organizations (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE volunteer_claims (
    id           BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    public_id    VARCHAR(32) NOT NULL,
    need_id      BIGINT      NOT NULL,
    volunteer_id BIGINT      NOT NULL,
    service      VARCHAR(32) NOT NULL,
    window_days  INT         NOT NULL,
    status       VARCHAR(16) NOT NULL,
    decided_by   VARCHAR(32) NOT NULL DEFAULT '',
    decided_at   DATETIME(6) NULL,
    starts_at    DATETIME(6) NULL,
    ends_at      DATETIME(6) NULL,
    released_at  DATETIME(6) NULL,
    created_at   DATETIME(6) NOT NULL,
    updated_at   DATETIME(6) NOT NULL,
    UNIQUE KEY volunteer_claims_public_id (public_id),
    KEY volunteer_claims_need (need_id, status),
    KEY volunteer_claims_volunteer (volunteer_id, status),
    CONSTRAINT volunteer_claims_need_fk FOREIGN KEY (need_id) REFERENCES needs (id),
    CONSTRAINT volunteer_claims_volunteer_fk FOREIGN KEY (volunteer_id) REFERENCES volunteers (id),
    CONSTRAINT volunteer_claims_status CHECK (status IN ('pending', 'approved', 'rejected', 'released')),
    CONSTRAINT volunteer_claims_window CHECK (window_days BETWEEN 1 AND 30)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE service_pledges (
    id             BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    public_id      VARCHAR(32) NOT NULL,
    need_id        BIGINT      NOT NULL,
    volunteer_id   BIGINT      NOT NULL,
    service        VARCHAR(32) NOT NULL,
    minutes        INT         NOT NULL,
    logged_minutes INT         NOT NULL DEFAULT 0,
    status         VARCHAR(16) NOT NULL,
    decided_by     VARCHAR(32) NOT NULL DEFAULT '',
    decided_at     DATETIME(6) NULL,
    created_at     DATETIME(6) NOT NULL,
    updated_at     DATETIME(6) NOT NULL,
    UNIQUE KEY service_pledges_public_id (public_id),
    KEY service_pledges_need (need_id, status),
    KEY service_pledges_volunteer (volunteer_id),
    CONSTRAINT service_pledges_need_fk FOREIGN KEY (need_id) REFERENCES needs (id),
    CONSTRAINT service_pledges_volunteer_fk FOREIGN KEY (volunteer_id) REFERENCES volunteers (id),
    CONSTRAINT service_pledges_status CHECK (status IN ('offered', 'accepted', 'declined')),
    CONSTRAINT service_pledges_minutes CHECK (minutes BETWEEN 30 AND 12000),
    CONSTRAINT service_pledges_logged CHECK (logged_minutes >= 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE service_logs (
    id           BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    public_id    VARCHAR(32) NOT NULL,
    pledge_id    BIGINT      NOT NULL,
    minutes      INT         NOT NULL,
    service_date DATE        NOT NULL,
    note_ct      BLOB        NULL,
    note_kid     VARCHAR(32) NOT NULL DEFAULT '',
    logged_by    VARCHAR(32) NOT NULL,
    logged_role  VARCHAR(32) NOT NULL,
    created_at   DATETIME(6) NOT NULL,
    UNIQUE KEY service_logs_public_id (public_id),
    KEY service_logs_pledge (pledge_id),
    CONSTRAINT service_logs_pledge_fk FOREIGN KEY (pledge_id) REFERENCES service_pledges (id),
    CONSTRAINT service_logs_minutes CHECK (minutes BETWEEN 30 AND 1440)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE service_logs;
DROP TABLE service_pledges;
DROP TABLE volunteer_claims;
DROP TABLE report_routes;
DROP TABLE reports;
DROP TABLE volunteer_availability;
DROP TABLE volunteer_regions;
DROP TABLE volunteer_skills;
DROP TABLE volunteers;
