package gormstore

import (
	"context"
	"fmt"
)

// ConfirmedDonor implements marketplace.NeedDonors: a confirmed pledge of
// the user's own to the need (a matching gift is the fund's, not a donor's).
func (s *Store) ConfirmedDonor(ctx context.Context, userID, needID int64) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Raw("SELECT COUNT(*) FROM pledges WHERE donor_id = ? AND need_id = ? AND target_type = 'need' AND status = 'confirmed' AND matched_pledge_id IS NULL",
		userID, needID).Scan(&n).Error
	if err != nil {
		return false, fmt.Errorf("confirmed donor: %w", err)
	}
	return n > 0, nil
}
