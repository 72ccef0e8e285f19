package gormstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/kernel"
	mstore "github.com/jiujinan/jiujinan/marketplace/gormstore"
)

var (
	_ funds.RefundStore = (*Store)(nil)
	_ funds.RefundTx    = (*tx)(nil)
)

type refundRow struct {
	ID               int64 `gorm:"primaryKey"`
	PublicID         string
	PledgeID         int64
	OrgID            int64
	Channel          string
	OutRefundNo      string
	AmountFen        int64
	ReasonCT         []byte `gorm:"column:reason_ct"`
	ReasonKID        string `gorm:"column:reason_kid"`
	Status           string
	ProviderRefundID string
	BankReference    string
	Error            string
	Attempts         int
	RequestedBy      *int64
	JournalTx        string
	CreatedAt        time.Time
	UpdatedAt        time.Time
	NextAttemptAt    *time.Time
	SucceededAt      *time.Time
}

func (refundRow) TableName() string { return "pledge_refunds" }

type refundView struct {
	Row             refundRow `gorm:"embedded"`
	PledgePublicID  string
	PledgeReference string
	PledgeFen       int64
	OrgPublicID     string
}

func (v *refundView) domain() *funds.Refund {
	r := v.Row
	return &funds.Refund{ID: r.ID, PublicID: r.PublicID, PledgeID: r.PledgeID, PledgePublicID: v.PledgePublicID, PledgeReference: v.PledgeReference,
		PledgeFen: v.PledgeFen, OrgID: r.OrgID, OrgPublicID: v.OrgPublicID, Channel: funds.RefundChannel(r.Channel), OutRefundNo: r.OutRefundNo,
		AmountFen: r.AmountFen, ReasonCT: r.ReasonCT, ReasonKID: r.ReasonKID, Status: funds.RefundStatus(r.Status),
		ProviderRefundID: r.ProviderRefundID, BankReference: r.BankReference, Error: r.Error, Attempts: r.Attempts,
		RequestedBy: deref(r.RequestedBy), JournalTx: r.JournalTx, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		NextAttemptAt: utc(r.NextAttemptAt), SucceededAt: utc(r.SucceededAt)}
}

const refundSelect = `SELECT f.*, p.public_id AS pledge_public_id, p.reference AS pledge_reference, p.amount_fen AS pledge_fen,
	o.public_id AS org_public_id
	FROM pledge_refunds f JOIN pledges p ON p.id = f.pledge_id JOIN organizations o ON o.id = f.org_id `

func (s *Store) readRefunds(ctx context.Context, where string, args ...any) ([]funds.Refund, error) {
	var rows []refundView
	if err := s.db.WithContext(ctx).Raw(refundSelect+"WHERE "+where, args...).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]funds.Refund, len(rows))
	for i := range rows {
		out[i] = *rows[i].domain()
	}
	return out, nil
}

func (s *Store) readRefund(ctx context.Context, where string, arg any) (*funds.Refund, error) {
	rs, err := s.readRefunds(ctx, where, arg)
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, fmt.Errorf("refund: %w", kernel.ErrNotFound)
	}
	return &rs[0], nil
}

// Refund implements funds.RefundStore.
func (s *Store) Refund(ctx context.Context, publicID string) (*funds.Refund, error) {
	return s.readRefund(ctx, "f.public_id = ?", publicID)
}

// RefundByOutNo implements funds.RefundStore.
func (s *Store) RefundByOutNo(ctx context.Context, outRefundNo string) (*funds.Refund, error) {
	return s.readRefund(ctx, "f.out_refund_no = ?", outRefundNo)
}

// PledgeRefunds implements funds.RefundStore.
func (s *Store) PledgeRefunds(ctx context.Context, pledgeID int64) ([]funds.Refund, error) {
	return s.readRefunds(ctx, "f.pledge_id = ? ORDER BY f.id", pledgeID)
}

// DueRefunds implements funds.RefundStore.
func (s *Store) DueRefunds(ctx context.Context, now, staleBefore time.Time, limit int) ([]funds.Refund, error) {
	return s.readRefunds(ctx, `f.channel <> ? AND ((f.status = ? AND (f.next_attempt_at IS NULL OR f.next_attempt_at <= ?))
		OR (f.status = ? AND f.updated_at < ?)) ORDER BY f.id LIMIT ?`,
		string(funds.RefundBank), string(funds.RefundPending), now, string(funds.RefundProcessing), staleBefore, limit)
}

// UpdateRefund implements funds.RefundStore.
func (s *Store) UpdateRefund(ctx context.Context, r *funds.Refund, from funds.RefundStatus) (bool, error) {
	res := s.db.WithContext(ctx).Exec(`UPDATE pledge_refunds SET status = ?, out_refund_no = ?, provider_refund_id = ?, bank_reference = ?,
		error = ?, attempts = ?, updated_at = ?, next_attempt_at = ?, succeeded_at = ? WHERE id = ? AND status = ?`,
		string(r.Status), r.OutRefundNo, r.ProviderRefundID, r.BankReference, r.Error, r.Attempts, r.UpdatedAt, r.NextAttemptAt,
		r.SucceededAt, r.ID, string(from))
	if res.Error != nil {
		return false, mstore.MapError(res.Error)
	}
	return res.RowsAffected == 1, nil
}

// PledgePayments implements funds.RefundStore.
func (s *Store) PledgePayments(ctx context.Context, pledgeID int64) ([]string, error) {
	var ids []string
	err := s.db.WithContext(ctx).Raw("SELECT notification_id FROM payment_notifications WHERE pledge_id = ? ORDER BY id", pledgeID).Scan(&ids).Error
	return ids, err
}

// OpenRefunds implements funds.RefundStore.
func (s *Store) OpenRefunds(ctx context.Context, orgIDs []int64, limit int) ([]funds.Refund, error) {
	if len(orgIDs) == 0 {
		return nil, nil
	}
	return s.readRefunds(ctx, "f.org_id IN ? AND f.status <> ? ORDER BY f.id LIMIT ?", orgIDs, string(funds.RefundSucceeded), limit)
}

// InsertRefund implements funds.RefundTx.
func (t *tx) InsertRefund(r *funds.Refund) error {
	row := refundRow{PublicID: r.PublicID, PledgeID: r.PledgeID, OrgID: r.OrgID, Channel: string(r.Channel), OutRefundNo: r.OutRefundNo,
		AmountFen: r.AmountFen, ReasonCT: r.ReasonCT, ReasonKID: r.ReasonKID, Status: string(r.Status), ProviderRefundID: r.ProviderRefundID,
		BankReference: r.BankReference, Error: r.Error, Attempts: r.Attempts, RequestedBy: ref(r.RequestedBy), JournalTx: r.JournalTx,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, NextAttemptAt: r.NextAttemptAt, SucceededAt: r.SucceededAt}
	if err := t.g.Create(&row).Error; err != nil {
		return mstore.MapError(err)
	}
	r.ID = row.ID
	return nil
}

// RefundedFen implements funds.RefundTx.
func (t *tx) RefundedFen(pledgeID int64) (int64, error) {
	var n int64
	err := t.g.Raw("SELECT COALESCE(SUM(amount_fen), 0) FROM pledge_refunds WHERE pledge_id = ?", pledgeID).Scan(&n).Error
	return n, err
}
