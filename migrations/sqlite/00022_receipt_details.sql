-- Receipts a donor can use (issue 18): the charity's unified social credit
-- code (统一社会信用代码) and registered name (登记名称); the donor's name
-- for receipts — a person's real name (and, optionally, resident ID number
-- for the official 公益事业捐赠统一票据) sealed like every identity, or an
-- organization's name and credit code, or 匿名 — kept on the donor's account
-- and, when pledging, chosen for one pledge; and on each receipt what it
-- said when it was issued: the charity's code and registered name, the
-- donor as described, the purpose (the need's public title, or the fund or
-- project's name) and its sequence number within the charity's year.
--
-- Receipts issued before this migration keep their donor_name (the donor's
-- display name then) with donor_kind ''. The sequence numbers of existing
-- receipts are read from their numbers (YYYY-CODE-SEQ), and (org_id, year,
-- seq) is unique: one receipt per number of a charity's year.

-- +goose Up
ALTER TABLE organizations ADD COLUMN credit_code TEXT NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN registered_name TEXT NOT NULL DEFAULT '';

CREATE TABLE donor_receipt_profiles (
    user_id         INTEGER PRIMARY KEY,
    person_ct       BLOB    NULL,
    person_kid      TEXT    NOT NULL DEFAULT '',
    as_org          INTEGER NOT NULL DEFAULT 0,
    org_name        TEXT    NOT NULL DEFAULT '',
    org_credit_code TEXT    NOT NULL DEFAULT '',
    updated_at      DATETIME NOT NULL
);

CREATE TABLE pledge_receipt_donors (
    pledge_id       INTEGER PRIMARY KEY,
    kind            TEXT    NOT NULL,
    org_name        TEXT    NOT NULL DEFAULT '',
    org_credit_code TEXT    NOT NULL DEFAULT ''
);

ALTER TABLE receipts ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE receipts ADD COLUMN donor_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE receipts ADD COLUMN donor_ct BLOB NULL;
ALTER TABLE receipts ADD COLUMN donor_kid TEXT NOT NULL DEFAULT '';
ALTER TABLE receipts ADD COLUMN donor_credit_code TEXT NOT NULL DEFAULT '';
ALTER TABLE receipts ADD COLUMN org_credit_code TEXT NOT NULL DEFAULT '';
ALTER TABLE receipts ADD COLUMN org_registered_name TEXT NOT NULL DEFAULT '';
ALTER TABLE receipts ADD COLUMN purpose TEXT NOT NULL DEFAULT '';
UPDATE receipts SET seq = CAST(substr(number, instr(substr(number, 6), '-') + 6) AS INTEGER);
CREATE UNIQUE INDEX receipts_org_year_seq ON receipts (org_id, year, seq);
CREATE INDEX receipts_org_issued ON receipts (org_id, issued_at);

-- +goose Down
DROP INDEX receipts_org_issued;
DROP INDEX receipts_org_year_seq;
ALTER TABLE receipts DROP COLUMN purpose;
ALTER TABLE receipts DROP COLUMN org_registered_name;
ALTER TABLE receipts DROP COLUMN org_credit_code;
ALTER TABLE receipts DROP COLUMN donor_credit_code;
ALTER TABLE receipts DROP COLUMN donor_kid;
ALTER TABLE receipts DROP COLUMN donor_ct;
ALTER TABLE receipts DROP COLUMN donor_kind;
ALTER TABLE receipts DROP COLUMN seq;
DROP TABLE pledge_receipt_donors;
DROP TABLE donor_receipt_profiles;
ALTER TABLE organizations DROP COLUMN registered_name;
ALTER TABLE organizations DROP COLUMN credit_code;
