package gormstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"gorm.io/gorm"

	"github.com/jiujinan/jiujinan/funds"
	mstore "github.com/jiujinan/jiujinan/marketplace/gormstore"
)

type pledgeRow struct {
	ID              int64 `gorm:"primaryKey"`
	PublicID        string
	Reference       string
	DonorID         int64
	OrgID           int64
	TargetType      string
	SourceID        *int64
	NeedID          *int64
	TargetPublicID  string
	AmountFen       int64
	Status          string
	ConfirmedVia    string
	ConfirmedBy     *int64
	MatchedPledgeID *int64
	RecurringID     *int64
	CreatedAt       time.Time
	ExpiresAt       time.Time
	ConfirmedAt     *time.Time
	RefundedAt      *time.Time
}

func (pledgeRow) TableName() string { return "pledges" }

type pledgeView struct {
	Row           pledgeRow `gorm:"embedded"`
	DonorPublicID string
	OrgPublicID   string
	OrgName       string
	ReceiptID     *string
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

func ref(v int64) *int64 {
	if v == 0 {
		return nil
	}
	return &v
}

func (v *pledgeView) domain() *funds.Pledge {
	p := &funds.Pledge{ID: v.Row.ID, PublicID: v.Row.PublicID, Reference: v.Row.Reference, DonorID: v.Row.DonorID, DonorPublicID: v.DonorPublicID,
		OrgID: v.Row.OrgID, OrgPublicID: v.OrgPublicID, OrgName: v.OrgName, TargetType: funds.TargetType(v.Row.TargetType),
		SourceID: deref(v.Row.SourceID), NeedID: deref(v.Row.NeedID), TargetPublicID: v.Row.TargetPublicID, AmountFen: v.Row.AmountFen,
		Status: funds.PledgeStatus(v.Row.Status), ConfirmedVia: funds.ConfirmVia(v.Row.ConfirmedVia), ConfirmedBy: deref(v.Row.ConfirmedBy),
		MatchedPledgeID: deref(v.Row.MatchedPledgeID), RecurringID: deref(v.Row.RecurringID), CreatedAt: v.Row.CreatedAt.UTC(),
		ExpiresAt: v.Row.ExpiresAt.UTC(), ConfirmedAt: utc(v.Row.ConfirmedAt), RefundedAt: utc(v.Row.RefundedAt)}
	if v.ReceiptID != nil {
		p.ReceiptID = *v.ReceiptID
	}
	return p
}

const pledgeSelect = `SELECT p.*, u.public_id AS donor_public_id, o.public_id AS org_public_id, o.name AS org_name, r.public_id AS receipt_id
	FROM pledges p JOIN users u ON u.id = p.donor_id JOIN organizations o ON o.id = p.org_id
	LEFT JOIN receipts r ON r.pledge_id = p.id `

func readPledges(g *gorm.DB, where string, args ...any) ([]funds.Pledge, error) {
	var rows []pledgeView
	if err := g.Raw(pledgeSelect+"WHERE "+where, args...).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]funds.Pledge, len(rows))
	for i := range rows {
		out[i] = *rows[i].domain()
	}
	return out, nil
}

func readPledge(g *gorm.DB, where string, arg any) (*funds.Pledge, error) {
	ps, err := readPledges(g, where, arg)
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, fmt.Errorf("pledge: %w", kernel.ErrNotFound)
	}
	return &ps[0], nil
}

// Pledge implements funds.Store.
func (s *Store) Pledge(ctx context.Context, publicID string) (*funds.Pledge, error) {
	return readPledge(s.db.WithContext(ctx), "p.public_id = ?", publicID)
}

// PledgeByReference implements funds.Store.
func (s *Store) PledgeByReference(ctx context.Context, reference string) (*funds.Pledge, error) {
	return readPledge(s.db.WithContext(ctx), "p.reference = ?", reference)
}

// DonorPledges implements funds.Store.
func (s *Store) DonorPledges(ctx context.Context, donorID int64) ([]funds.Pledge, error) {
	return readPledges(s.db.WithContext(ctx), "p.donor_id = ? ORDER BY p.id DESC", donorID)
}

// PendingPledgesOf implements funds.Store.
func (s *Store) PendingPledgesOf(ctx context.Context, orgIDs []int64, limit int) ([]funds.Pledge, error) {
	if len(orgIDs) == 0 {
		return nil, nil
	}
	return readPledges(s.db.WithContext(ctx), "p.org_id IN ? AND p.status = ? AND p.matched_pledge_id IS NULL ORDER BY p.expires_at, p.id LIMIT ?",
		orgIDs, string(funds.PledgePending), limit)
}

// ConfirmedPledgesTo implements funds.Store.
func (s *Store) ConfirmedPledgesTo(ctx context.Context, sourceID int64) ([]funds.Pledge, error) {
	return readPledges(s.db.WithContext(ctx), "p.source_id = ? AND p.status = ? AND p.matched_pledge_id IS NULL ORDER BY p.confirmed_at, p.id",
		sourceID, string(funds.PledgeConfirmed))
}

// ExpirePledges implements funds.Store.
func (s *Store) ExpirePledges(ctx context.Context, now time.Time) (int64, error) {
	res := s.db.WithContext(ctx).Exec("UPDATE pledges SET status = ? WHERE status = ? AND expires_at <= ?",
		string(funds.PledgeExpired), string(funds.PledgePending), now)
	return res.RowsAffected, res.Error
}

func (t *tx) InsertPledge(p *funds.Pledge) error {
	row := pledgeRow{PublicID: p.PublicID, Reference: p.Reference, DonorID: p.DonorID, OrgID: p.OrgID, TargetType: string(p.TargetType),
		SourceID: ref(p.SourceID), NeedID: ref(p.NeedID), TargetPublicID: p.TargetPublicID, AmountFen: p.AmountFen,
		Status: string(p.Status), ConfirmedVia: string(p.ConfirmedVia), ConfirmedBy: ref(p.ConfirmedBy),
		MatchedPledgeID: ref(p.MatchedPledgeID), RecurringID: ref(p.RecurringID), CreatedAt: p.CreatedAt, ExpiresAt: p.ExpiresAt,
		ConfirmedAt: p.ConfirmedAt}
	if err := t.g.Create(&row).Error; err != nil {
		return mstore.MapError(err)
	}
	p.ID = row.ID
	return nil
}

func (t *tx) LockPledge(publicID string) (*funds.Pledge, error) {
	var ids []int64
	if err := t.g.Raw("SELECT id FROM pledges WHERE public_id = ?"+t.s.forUpdate(), publicID).Scan(&ids).Error; err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("pledge: %w", kernel.ErrNotFound)
	}
	return readPledge(t.g, "p.id = ?", ids[0])
}

func (t *tx) UpdatePledge(p *funds.Pledge) error {
	return t.g.Exec("UPDATE pledges SET status = ?, confirmed_via = ?, confirmed_by = ?, confirmed_at = ?, refunded_at = ? WHERE id = ?",
		string(p.Status), string(p.ConfirmedVia), ref(p.ConfirmedBy), p.ConfirmedAt, p.RefundedAt, p.ID).Error
}

func (t *tx) MatchedFen(sourceID, donorID int64) (int64, int64, error) {
	var rows []struct {
		Total int64
		Donor int64
	}
	err := t.g.Raw(`SELECT COALESCE(SUM(m.amount_fen), 0) AS total,
		COALESCE(SUM(CASE WHEN d.donor_id = ? THEN m.amount_fen ELSE 0 END), 0) AS donor
		FROM pledges m JOIN pledges d ON d.id = m.matched_pledge_id
		WHERE m.source_id = ? AND m.status = ?`, donorID, sourceID, string(funds.PledgeConfirmed)).Scan(&rows).Error
	if err != nil || len(rows) == 0 {
		return 0, 0, err
	}
	return rows[0].Total, rows[0].Donor, nil
}

func (t *tx) MatchingFunds() ([]funds.Source, error) {
	var rows []sourceView
	if err := t.g.Raw(t.s.sourceSelect()+"WHERE s.kind = ? AND s.status = ? AND s.match_ratio_pct > 0 ORDER BY s.id",
		string(funds.KindFund), string(funds.SourceActive)).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]funds.Source, len(rows))
	for i := range rows {
		out[i] = *rows[i].domain()
	}
	return out, nil
}

func (t *tx) IsMember(userID, orgID int64) (bool, error) {
	var n int64
	err := t.g.Raw("SELECT COUNT(*) FROM memberships WHERE user_id = ? AND org_id = ?", userID, orgID).Scan(&n).Error
	return n > 0, err
}

func (t *tx) MatchesOf(pledgeID int64) ([]funds.Pledge, error) {
	return readPledges(t.g, "p.matched_pledge_id = ? AND p.status = ? ORDER BY p.id", pledgeID, string(funds.PledgeConfirmed))
}

func (t *tx) RecordNotification(id string, pledgeID int64, at time.Time) error {
	err := t.g.Exec("INSERT INTO payment_notifications (notification_id, pledge_id, received_at) VALUES (?, ?, ?)", id, pledgeID, at).Error
	if err != nil {
		if mapped := mstore.MapError(err); mapped != err {
			return funds.ErrReplayed
		}
		return err
	}
	return nil
}
