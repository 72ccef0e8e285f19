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

type allocationRow struct {
	ID              int64 `gorm:"primaryKey"`
	PublicID        string
	SourceID        int64
	NeedID          int64
	AmountFen       int64
	Status          string
	CreatedBy       int64
	CreatedAt       time.Time
	ScreeningResult string
	PayeeType       string
	PayeeCt         []byte
	PayeeKid        string
	PayeeMasked     string
	DisbursedBy     *int64
	DisbursedAt     *time.Time
}

func (allocationRow) TableName() string { return "allocations" }

type allocationView struct {
	Row               allocationRow `gorm:"embedded"`
	SourcePublicID    string
	SourceKind        string
	SourceName        string
	SourceOrgID       int64
	SourceOrgPublicID string
	NeedPublicID      string
}

func (v *allocationView) domain() *funds.Allocation {
	return &funds.Allocation{ID: v.Row.ID, PublicID: v.Row.PublicID, SourceID: v.Row.SourceID, SourcePublicID: v.SourcePublicID,
		SourceKind: funds.SourceKind(v.SourceKind), SourceName: v.SourceName, SourceOrgID: v.SourceOrgID,
		SourceOrgPublicID: v.SourceOrgPublicID, NeedID: v.Row.NeedID, NeedPublicID: v.NeedPublicID, AmountFen: v.Row.AmountFen,
		Status: funds.AllocationStatus(v.Row.Status), CreatedBy: v.Row.CreatedBy, CreatedAt: v.Row.CreatedAt.UTC(),
		Screening: kernel.ScreeningOutcome(v.Row.ScreeningResult), PayeeType: funds.PayeeType(v.Row.PayeeType), PayeeCT: v.Row.PayeeCt,
		PayeeKID: v.Row.PayeeKid, PayeeMasked: v.Row.PayeeMasked, DisbursedBy: deref(v.Row.DisbursedBy), DisbursedAt: utc(v.Row.DisbursedAt)}
}

const allocationSelect = `SELECT a.*, s.public_id AS source_public_id, s.kind AS source_kind, s.name AS source_name,
	s.org_id AS source_org_id, o.public_id AS source_org_public_id, n.public_id AS need_public_id
	FROM allocations a JOIN fund_sources s ON s.id = a.source_id JOIN organizations o ON o.id = s.org_id
	JOIN needs n ON n.id = a.need_id `

func readAllocations(g *gorm.DB, where string, args ...any) ([]funds.Allocation, error) {
	var rows []allocationView
	if err := g.Raw(allocationSelect+"WHERE "+where, args...).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]funds.Allocation, len(rows))
	for i := range rows {
		out[i] = *rows[i].domain()
	}
	return out, nil
}

func readAllocation(g *gorm.DB, where string, arg any) (*funds.Allocation, error) {
	as, err := readAllocations(g, where, arg)
	if err != nil {
		return nil, err
	}
	if len(as) == 0 {
		return nil, fmt.Errorf("allocation: %w", kernel.ErrNotFound)
	}
	return &as[0], nil
}

// Allocation implements funds.Store.
func (s *Store) Allocation(ctx context.Context, publicID string) (*funds.Allocation, error) {
	return readAllocation(s.db.WithContext(ctx), "a.public_id = ?", publicID)
}

// AllocationsOf implements funds.Store.
func (s *Store) AllocationsOf(ctx context.Context, sourceID, needID int64) ([]funds.Allocation, error) {
	if sourceID != 0 {
		return readAllocations(s.db.WithContext(ctx), "a.source_id = ? ORDER BY a.id", sourceID)
	}
	return readAllocations(s.db.WithContext(ctx), "a.need_id = ? ORDER BY a.id", needID)
}

func (t *tx) InsertAllocation(a *funds.Allocation) error {
	row := allocationRow{PublicID: a.PublicID, SourceID: a.SourceID, NeedID: a.NeedID, AmountFen: a.AmountFen, Status: string(a.Status),
		CreatedBy: a.CreatedBy, CreatedAt: a.CreatedAt, ScreeningResult: string(a.Screening)}
	if err := t.g.Create(&row).Error; err != nil {
		return mstore.MapError(err)
	}
	a.ID = row.ID
	return nil
}

func (t *tx) LockAllocation(publicID string) (*funds.Allocation, error) {
	var ids []int64
	if err := t.g.Raw("SELECT id FROM allocations WHERE public_id = ?"+t.s.forUpdate(), publicID).Scan(&ids).Error; err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("allocation: %w", kernel.ErrNotFound)
	}
	return readAllocation(t.g, "a.id = ?", ids[0])
}

func (t *tx) UpdateAllocation(a *funds.Allocation) error {
	return t.g.Exec(`UPDATE allocations SET status = ?, payee_type = ?, payee_ct = ?, payee_kid = ?, payee_masked = ?,
		disbursed_by = ?, disbursed_at = ? WHERE id = ?`, string(a.Status), string(a.PayeeType), a.PayeeCT, a.PayeeKID,
		a.PayeeMasked, ref(a.DisbursedBy), a.DisbursedAt, a.ID).Error
}
