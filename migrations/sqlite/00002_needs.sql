-- Beneficiaries (private) and their needs.

-- +goose Up
CREATE TABLE beneficiaries (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id     TEXT    NOT NULL UNIQUE,
    org_id        INTEGER NOT NULL REFERENCES organizations (id),
    pseudonym     TEXT    NOT NULL,
    identity_ct   BLOB    NOT NULL,
    identity_kid  TEXT    NOT NULL,
    region_code   TEXT    NOT NULL,
    age_band      TEXT    NOT NULL,
    sex           TEXT    NOT NULL,
    household_types TEXT  NOT NULL DEFAULT '',
    created_at    DATETIME NOT NULL
);
CREATE INDEX beneficiaries_pseudonym ON beneficiaries (pseudonym);

CREATE TABLE needs (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id             TEXT    NOT NULL UNIQUE,
    org_id                INTEGER NOT NULL REFERENCES organizations (id),
    created_by            INTEGER NOT NULL REFERENCES users (id),
    beneficiary_id        INTEGER NOT NULL REFERENCES beneficiaries (id),
    pseudonym             TEXT    NOT NULL,
    status                TEXT    NOT NULL,
    category              TEXT    NOT NULL,
    urgency               TEXT    NOT NULL,
    region_code           TEXT    NOT NULL,
    public_region_code    TEXT    NOT NULL DEFAULT '',
    age_band              TEXT    NOT NULL,
    household_types       TEXT    NOT NULL DEFAULT '',
    public_household_types TEXT   NOT NULL DEFAULT '',
    private_ct            BLOB    NOT NULL,
    private_kid           TEXT    NOT NULL,
    public_title          TEXT    NOT NULL DEFAULT '',
    public_story          TEXT    NOT NULL DEFAULT '',
    verified_cost_fen     INTEGER NOT NULL,
    statutory_relief_fen  INTEGER NOT NULL,
    requested_fen         INTEGER NOT NULL,
    funded_fen            INTEGER NOT NULL DEFAULT 0,
    disbursed_fen         INTEGER NOT NULL DEFAULT 0,
    cost_from             DATETIME NOT NULL,
    cost_to               DATETIME NOT NULL,
    service_needs         TEXT    NOT NULL DEFAULT '',
    deadline              DATETIME NULL,
    emergency             INTEGER NOT NULL DEFAULT 0,
    consent_public        INTEGER NOT NULL DEFAULT 0,
    screening_result      TEXT    NOT NULL DEFAULT '',
    block_override        INTEGER NOT NULL DEFAULT 0,
    submitted_at          DATETIME NULL,
    clearance_due_at      DATETIME NULL,
    cleared_at            DATETIME NULL,
    notice_ends_at        DATETIME NULL,
    published_at          DATETIME NULL,
    closed_at             DATETIME NULL,
    created_at            DATETIME NOT NULL,
    updated_at            DATETIME NOT NULL,
    version               INTEGER NOT NULL DEFAULT 1,
    CHECK (funded_fen >= 0 AND funded_fen <= requested_fen),
    CHECK (disbursed_fen >= 0 AND disbursed_fen <= funded_fen)
);
CREATE INDEX needs_status ON needs (status, urgency);
CREATE INDEX needs_org_status ON needs (org_id, status);
CREATE INDEX needs_pseudonym ON needs (pseudonym, category);
CREATE INDEX needs_region ON needs (region_code);
CREATE INDEX needs_clearance_due ON needs (status, clearance_due_at);

-- +goose Down
DROP TABLE needs;
DROP TABLE beneficiaries;
