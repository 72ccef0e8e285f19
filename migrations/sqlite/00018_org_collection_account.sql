-- The collection account of an organization (issue 17): where donors
-- transfer a pledge. The receiving charity (the charity federation with
-- public fundraising status that funds.ReceivingOrg picks) shows it on the
-- donor's own pledge page with the pledge's reference. A payment link is
-- kept as text (an https address of the organization's own donation page),
-- not an uploaded QR image: a donor on a phone cannot scan a QR code shown
-- on that phone, a link can be tapped, and a text field is audited and
-- checked like the others with no image store to run.

-- +goose Up
ALTER TABLE organizations ADD COLUMN collection_account_name TEXT NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN collection_bank TEXT NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN collection_account_no TEXT NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN collection_pay_link TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE organizations DROP COLUMN collection_pay_link;
ALTER TABLE organizations DROP COLUMN collection_account_no;
ALTER TABLE organizations DROP COLUMN collection_bank;
ALTER TABLE organizations DROP COLUMN collection_account_name;
