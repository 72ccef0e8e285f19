package gormstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/funds"
)

// ---- the dispatch of a monthly pledge's months (reminder or charge)

// UndispatchedMonths implements funds.Store.
func (s *Store) UndispatchedMonths(ctx context.Context, staleBefore time.Time, limit int) ([]funds.Month, error) {
	var rows []struct {
		RecurringID int64
		Period      string
		ChargeState string
	}
	err := s.db.WithContext(ctx).Raw(`SELECT recurring_id, period, charge_state FROM recurring_runs
		WHERE dispatched_at IS NULL AND pledge_id IS NOT NULL AND (dispatch_claimed_at IS NULL OR dispatch_claimed_at < ?)
		ORDER BY created_at, recurring_id LIMIT ?`, staleBefore, limit).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]funds.Month, len(rows))
	for i, r := range rows {
		out[i] = funds.Month{RecurringID: r.RecurringID, Period: r.Period, ChargeState: r.ChargeState}
	}
	return out, nil
}

// ClaimMonth implements funds.Store: one conditional update, which of two
// dispatchers only one wins.
func (s *Store) ClaimMonth(ctx context.Context, m funds.Month, now, staleBefore time.Time) (bool, error) {
	res := s.db.WithContext(ctx).Exec(`UPDATE recurring_runs SET dispatch_claimed_at = ? WHERE recurring_id = ? AND period = ?
		AND dispatched_at IS NULL AND (dispatch_claimed_at IS NULL OR dispatch_claimed_at < ?)`, now, m.RecurringID, m.Period, staleBefore)
	if res.Error != nil {
		return false, res.Error
	}
	return res.RowsAffected == 1, nil
}

// MonthPledge implements funds.Store.
func (s *Store) MonthPledge(ctx context.Context, m funds.Month) (*funds.Recurring, *funds.Pledge, error) {
	g := s.db.WithContext(ctx)
	rs, err := readRecurring(g, "id = ?", m.RecurringID)
	if err != nil {
		return nil, nil, err
	}
	if len(rs) == 0 {
		return nil, nil, fmt.Errorf("monthly pledge: %w", kernel.ErrNotFound)
	}
	var ids []int64
	if err := g.Raw("SELECT pledge_id FROM recurring_runs WHERE recurring_id = ? AND period = ? AND pledge_id IS NOT NULL",
		m.RecurringID, m.Period).Scan(&ids).Error; err != nil {
		return nil, nil, err
	}
	if len(ids) == 0 {
		return nil, nil, fmt.Errorf("month's pledge: %w", kernel.ErrNotFound)
	}
	p, err := readPledge(g, "p.id = ?", ids[0])
	if err != nil {
		return nil, nil, err
	}
	return &rs[0], p, nil
}

// FinishMonth implements funds.Store.
func (s *Store) FinishMonth(ctx context.Context, m funds.Month, chargeState string, at time.Time) error {
	return s.db.WithContext(ctx).Exec("UPDATE recurring_runs SET dispatched_at = ?, charge_state = ? WHERE recurring_id = ? AND period = ?",
		at, chargeState, m.RecurringID, m.Period).Error
}

// SetChargeState implements funds.Store.
func (s *Store) SetChargeState(ctx context.Context, m funds.Month, chargeState string) error {
	return s.db.WithContext(ctx).Exec("UPDATE recurring_runs SET charge_state = ? WHERE recurring_id = ? AND period = ?",
		chargeState, m.RecurringID, m.Period).Error
}

// SetRecurringAgreement implements funds.Store.
func (s *Store) SetRecurringAgreement(ctx context.Context, publicID, channel, agreementID string, at time.Time) error {
	res := s.db.WithContext(ctx).Exec("UPDATE recurring_pledges SET agreement_channel = ?, agreement_id = ?, updated_at = ? WHERE public_id = ?",
		channel, agreementID, at, publicID)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		// MySQL counts changed rows: the same values again change none.
		if _, err := s.Recurring(ctx, publicID); err != nil {
			return err
		}
	}
	return nil
}
