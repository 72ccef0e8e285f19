-- Indexes for the statistics (issue 19: 统计, 月报): each figure is a sum
-- over the rows of one table within a period, by the time the row records
-- (an event, a confirmation, an allocation, a payment, a referral, an
-- objection's resolution); these let a month or a year be read by range
-- instead of by a scan of the whole table.

-- +goose Up
CREATE INDEX need_events_action_at ON need_events (action, at);
CREATE INDEX pledges_confirmed_at ON pledges (confirmed_at);
CREATE INDEX allocations_created_at ON allocations (created_at);
CREATE INDEX disbursements_created_at ON disbursements (created_at);
CREATE INDEX referrals_created_at ON referrals (created_at);
CREATE INDEX need_objections_resolved_at ON need_objections (resolved_at);

-- +goose Down
DROP INDEX need_objections_resolved_at ON need_objections;
DROP INDEX referrals_created_at ON referrals;
DROP INDEX disbursements_created_at ON disbursements;
DROP INDEX allocations_created_at ON allocations;
DROP INDEX pledges_confirmed_at ON pledges;
DROP INDEX need_events_action_at ON need_events;
