package gormstore

import (
	"context"
	"time"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/kernel"
)

var _ funds.AidStore = (*Store)(nil)

const aidWhere = `FROM disbursements d JOIN needs n ON n.id = d.need_id
	WHERE n.region_code LIKE ? AND d.created_at >= ? AND d.created_at < ?`

// CountCharityAid implements funds.AidStore.
func (s *Store) CountCharityAid(ctx context.Context, regionPrefix string, from, to time.Time) (int, int64, error) {
	var r struct {
		N     int
		MaxID *int64
	}
	if err := s.db.WithContext(ctx).Raw(`SELECT COUNT(*) AS n, MAX(d.id) AS max_id `+aidWhere,
		regionPrefix+"%", from, to).Scan(&r).Error; err != nil {
		return 0, 0, err
	}
	if r.MaxID == nil {
		return r.N, 0, nil
	}
	return r.N, *r.MaxID, nil
}

// aidPage is how many disbursements EachCharityAid reads at once: the
// cursor is closed before fn runs, since fn reads the database too (and
// SQLite has one connection).
const aidPage = 500

// EachCharityAid implements funds.AidStore, in row id order (the order
// they were made).
func (s *Store) EachCharityAid(ctx context.Context, regionPrefix string, from, to time.Time, maxID int64, fn func(funds.AidRow) error) error {
	var after int64
	for {
		var page []struct {
			ID           int64
			PublicID     string
			Category     string
			RegionCode   string
			AmountFen    int64
			PayeeType    string
			ProviderKind string
			CreatedAt    time.Time
		}
		if err := s.db.WithContext(ctx).Raw(`SELECT d.id, n.public_id, n.category, n.region_code, d.amount_fen, d.payee_type, d.provider_kind, d.created_at `+
			aidWhere+` AND d.id > ? AND d.id <= ? ORDER BY d.id LIMIT ?`, regionPrefix+"%", from, to, after, maxID, aidPage).Scan(&page).Error; err != nil {
			return err
		}
		for _, r := range page {
			if err := fn(funds.AidRow{ID: r.ID, NeedPublicID: r.PublicID, Category: kernel.Category(r.Category), RegionCode: r.RegionCode,
				AmountFen: r.AmountFen, PayeeType: funds.PayeeType(r.PayeeType), ProviderKind: funds.ProviderKind(r.ProviderKind), At: r.CreatedAt.UTC()}); err != nil {
				return err
			}
			after = r.ID
		}
		if len(page) < aidPage {
			return nil
		}
	}
}
