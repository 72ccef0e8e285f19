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
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id     TEXT    NOT NULL UNIQUE,
    user_id       INTEGER NOT NULL UNIQUE REFERENCES users (id),
    load_limit    INTEGER NOT NULL,
    bg_status     TEXT    NOT NULL DEFAULT 'none',
    bg_checked_at DATETIME NULL,
    bg_note_ct    BLOB    NULL,
    bg_note_kid   TEXT    NOT NULL DEFAULT '',
    bg_set_by     TEXT    NOT NULL DEFAULT '',
    created_at    DATETIME NOT NULL,
    updated_at    DATETIME NOT NULL,
    CHECK (bg_status IN ('none', 'pending', 'cleared', 'expired')),
    CHECK (load_limit >= 1)
);
CREATE INDEX volunteers_bg ON volunteers (bg_status);

CREATE TABLE volunteer_skills (
    volunteer_id     INTEGER NOT NULL REFERENCES volunteers (id),
    service          TEXT    NOT NULL,
    level            INTEGER NOT NULL,
    cert_name        TEXT    NOT NULL DEFAULT '',
    cert_number_ct   BLOB    NULL,
    cert_number_kid  TEXT    NOT NULL DEFAULT '',
    cert_issuer      TEXT    NOT NULL DEFAULT '',
    cert_valid_until DATE    NULL,
    PRIMARY KEY (volunteer_id, service),
    CHECK (level BETWEEN 1 AND 3)
);
CREATE INDEX volunteer_skills_service ON volunteer_skills (service, level);

CREATE TABLE volunteer_regions (
    volunteer_id  INTEGER NOT NULL REFERENCES volunteers (id),
    region_code   TEXT    NOT NULL,
    region_prefix TEXT    NOT NULL,
    PRIMARY KEY (volunteer_id, region_code)
);
CREATE INDEX volunteer_regions_prefix ON volunteer_regions (region_prefix);

CREATE TABLE volunteer_availability (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    volunteer_id INTEGER NOT NULL REFERENCES volunteers (id),
    weekday      INTEGER NOT NULL,
    from_min     INTEGER NOT NULL,
    to_min       INTEGER NOT NULL,
    CHECK (weekday BETWEEN 1 AND 7),
    CHECK (from_min >= 0 AND from_min < to_min AND to_min <= 1440)
);
CREATE INDEX volunteer_availability_volunteer ON volunteer_availability (volunteer_id, weekday);

CREATE TABLE reports (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id       TEXT    NOT NULL UNIQUE,
    region_code     TEXT    NOT NULL,
    category        TEXT    NOT NULL DEFAULT '',
    description_ct  BLOB    NOT NULL,
    description_kid TEXT    NOT NULL,
    contact_ct      BLOB    NULL,
    contact_kid     TEXT    NOT NULL DEFAULT '',
    reporter        TEXT    NOT NULL DEFAULT '',
    token_hash      TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    owner_org_id    INTEGER NULL REFERENCES organizations (id),
    note_ct         BLOB    NULL,
    note_kid        TEXT    NOT NULL DEFAULT '',
    handled_by      TEXT    NOT NULL DEFAULT '',
    created_at      DATETIME NOT NULL,
    updated_at      DATETIME NOT NULL,
    CHECK (status IN ('new', 'accepted', 'need_posted', 'no_action'))
);
CREATE INDEX reports_region ON reports (region_code);

CREATE TABLE report_routes (
    report_id INTEGER NOT NULL REFERENCES reports (id),
    org_id    INTEGER NOT NULL REFERENCES organizations (id),
    distance  INTEGER NOT NULL,
    PRIMARY KEY (report_id, org_id)
);
CREATE INDEX report_routes_org ON report_routes (org_id, report_id);

CREATE TABLE volunteer_claims (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id    TEXT    NOT NULL UNIQUE,
    need_id      INTEGER NOT NULL REFERENCES needs (id),
    volunteer_id INTEGER NOT NULL REFERENCES volunteers (id),
    service      TEXT    NOT NULL,
    window_days  INTEGER NOT NULL,
    status       TEXT    NOT NULL,
    decided_by   TEXT    NOT NULL DEFAULT '',
    decided_at   DATETIME NULL,
    starts_at    DATETIME NULL,
    ends_at      DATETIME NULL,
    released_at  DATETIME NULL,
    created_at   DATETIME NOT NULL,
    updated_at   DATETIME NOT NULL,
    CHECK (status IN ('pending', 'approved', 'rejected', 'released')),
    CHECK (window_days BETWEEN 1 AND 30)
);
CREATE INDEX volunteer_claims_need ON volunteer_claims (need_id, status);
CREATE INDEX volunteer_claims_volunteer ON volunteer_claims (volunteer_id, status);

CREATE TABLE service_pledges (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id    TEXT    NOT NULL UNIQUE,
    need_id      INTEGER NOT NULL REFERENCES needs (id),
    volunteer_id INTEGER NOT NULL REFERENCES volunteers (id),
    service      TEXT    NOT NULL,
    minutes      INTEGER NOT NULL,
    logged_minutes INTEGER NOT NULL DEFAULT 0,
    status       TEXT    NOT NULL,
    decided_by   TEXT    NOT NULL DEFAULT '',
    decided_at   DATETIME NULL,
    created_at   DATETIME NOT NULL,
    updated_at   DATETIME NOT NULL,
    CHECK (status IN ('offered', 'accepted', 'declined')),
    CHECK (minutes BETWEEN 30 AND 12000),
    CHECK (logged_minutes >= 0)
);
CREATE INDEX service_pledges_need ON service_pledges (need_id, status);
CREATE INDEX service_pledges_volunteer ON service_pledges (volunteer_id);

CREATE TABLE service_logs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id    TEXT    NOT NULL UNIQUE,
    pledge_id    INTEGER NOT NULL REFERENCES service_pledges (id),
    minutes      INTEGER NOT NULL,
    service_date DATE    NOT NULL,
    note_ct      BLOB    NULL,
    note_kid     TEXT    NOT NULL DEFAULT '',
    logged_by    TEXT    NOT NULL,
    logged_role  TEXT    NOT NULL,
    created_at   DATETIME NOT NULL,
    CHECK (minutes BETWEEN 30 AND 1440)
);
CREATE INDEX service_logs_pledge ON service_logs (pledge_id);

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
