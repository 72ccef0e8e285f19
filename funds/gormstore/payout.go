package gormstore

import (
	"context"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/kernel"
	mstore "github.com/jiujinan/jiujinan/marketplace/gormstore"
)

// NeedsToPay implements funds.Store. The region index narrows the
// candidates; the receiving organization is the service's to decide.
func (s *Store) NeedsToPay(ctx context.Context, regionPrefix string, afterID int64, limit int) ([]funds.NeedState, error) {
	var rows []needRow
	err := s.db.WithContext(ctx).Raw("SELECT "+needCols+` FROM needs WHERE region_code LIKE ? AND id > ? AND funded_fen > disbursed_fen
		AND status NOT IN ? ORDER BY id LIMIT ?`, mstore.LikePrefix(regionPrefix), afterID,
		[]string{string(kernel.NeedWithdrawn), string(kernel.NeedClosed)}, limit).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]funds.NeedState, len(rows))
	for i := range rows {
		out[i] = *rows[i].domain()
	}
	return out, nil
}

// SourceRefs implements funds.Store.
func (s *Store) SourceRefs(ctx context.Context, ids []int64) ([]funds.SourceRef, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var rows []struct {
		ID       int64
		PublicID string
		Kind     string
		Name     string
	}
	if err := s.db.WithContext(ctx).Raw("SELECT id, public_id, kind, name FROM fund_sources WHERE id IN ? ORDER BY id", ids).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]funds.SourceRef, len(rows))
	for i, r := range rows {
		out[i] = funds.SourceRef{ID: r.ID, PublicID: r.PublicID, Kind: funds.SourceKind(r.Kind), Name: r.Name}
	}
	return out, nil
}
