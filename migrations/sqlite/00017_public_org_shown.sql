-- Whether public surfaces may name the organization that posted a need
-- beside it (issue 16): only when the organization's region covers the
-- need's public region AND at least k published needs of the need's cell
-- (public region x category x age band) were posted by that organization,
-- so that the name, a quasi-identifier, does not single the need out.
-- Decided when the need is published; re-projection sets it false when it
-- changes the need's region (the next publication in the cell decides
-- again). Needs published before this migration start hidden.

-- +goose Up
ALTER TABLE needs ADD COLUMN public_org_shown INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE needs DROP COLUMN public_org_shown;
