package gormstore

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/jiujinan/jiujinan/funds"
	mstore "github.com/jiujinan/jiujinan/marketplace/gormstore"
)

type lotRow struct {
	ID           int64 `gorm:"primaryKey"`
	NeedID       int64
	Kind         string
	SourceID     *int64
	AllocationID *int64
	PledgeID     *int64
	RootPledgeID *int64
	AmountFen    int64
	PaidFen      int64
	CreatedAt    time.Time
	// NeedPublicID is read by PledgeLots only.
	NeedPublicID string `gorm:"->;-:migration"`
}

func (lotRow) TableName() string { return "need_lots" }

func (r *lotRow) domain() funds.Lot {
	return funds.Lot{ID: r.ID, NeedID: r.NeedID, Kind: funds.LotKind(r.Kind), SourceID: deref(r.SourceID), AllocationID: deref(r.AllocationID),
		PledgeID: deref(r.PledgeID), RootPledgeID: deref(r.RootPledgeID), AmountFen: r.AmountFen, PaidFen: r.PaidFen, CreatedAt: r.CreatedAt.UTC()}
}

func readLots(g *gorm.DB, where string, args ...any) ([]funds.Lot, error) {
	var rows []lotRow
	if err := g.Raw("SELECT l.* FROM need_lots l WHERE "+where, args...).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]funds.Lot, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	return out, nil
}

func (t *tx) AddLot(l *funds.Lot) error {
	row := lotRow{NeedID: l.NeedID, Kind: string(l.Kind), SourceID: ref(l.SourceID), AllocationID: ref(l.AllocationID),
		PledgeID: ref(l.PledgeID), RootPledgeID: ref(l.RootPledgeID), AmountFen: l.AmountFen, PaidFen: l.PaidFen, CreatedAt: l.CreatedAt}
	if err := t.g.Omit("NeedPublicID").Create(&row).Error; err != nil {
		return mstore.MapError(err)
	}
	l.ID = row.ID
	return nil
}

func (t *tx) NeedLots(needID int64) ([]funds.Lot, error) {
	return readLots(t.g, "l.need_id = ? ORDER BY l.id", needID)
}

func (t *tx) UpdateLot(l *funds.Lot) error {
	return t.g.Exec("UPDATE need_lots SET amount_fen = ?, paid_fen = ? WHERE id = ?", l.AmountFen, l.PaidFen, l.ID).Error
}

type disbursementRow struct {
	ID              int64 `gorm:"primaryKey"`
	PublicID        string
	NeedID          int64
	OrgID           int64
	AllocationID    *int64
	AmountFen       int64
	PayeeType       string
	ProviderKind    string
	PayeeCt         []byte
	PayeeKid        string
	PayeeMasked     string
	ReferenceMasked string
	CreatedBy       int64
	CreatedAt       time.Time
}

func (disbursementRow) TableName() string { return "disbursements" }

type disbursementPartRow struct {
	ID             int64 `gorm:"primaryKey"`
	DisbursementID int64
	LotID          int64
	AmountFen      int64
}

func (disbursementPartRow) TableName() string { return "disbursement_parts" }

func (t *tx) InsertDisbursement(d *funds.Disbursement) error {
	row := disbursementRow{PublicID: d.PublicID, NeedID: d.NeedID, OrgID: d.OrgID, AllocationID: ref(d.AllocationID), AmountFen: d.AmountFen,
		PayeeType: string(d.PayeeType), ProviderKind: string(d.ProviderKind), PayeeCt: d.PayeeCT, PayeeKid: d.PayeeKID,
		PayeeMasked: d.PayeeMasked, ReferenceMasked: d.ReferenceMasked, CreatedBy: d.CreatedBy, CreatedAt: d.CreatedAt}
	if err := t.g.Create(&row).Error; err != nil {
		return mstore.MapError(err)
	}
	d.ID = row.ID
	if len(d.Parts) == 0 {
		return nil
	}
	parts := make([]disbursementPartRow, len(d.Parts))
	for i, p := range d.Parts {
		parts[i] = disbursementPartRow{DisbursementID: d.ID, LotID: p.LotID, AmountFen: p.AmountFen}
	}
	return t.g.Create(&parts).Error
}

func (t *tx) SetAllocationsPaid(ids []int64, by int64, at time.Time) error {
	return t.g.Exec("UPDATE allocations SET status = ?, disbursed_by = COALESCE(disbursed_by, ?), disbursed_at = COALESCE(disbursed_at, ?) WHERE id IN ? AND status = ?",
		string(funds.AllocDisbursed), by, at, ids, string(funds.AllocAllocated)).Error
}

// NeedLots implements funds.Store.
func (s *Store) NeedLots(ctx context.Context, needID int64) ([]funds.Lot, error) {
	return readLots(s.db.WithContext(ctx), "l.need_id = ? ORDER BY l.id", needID)
}

type disbursementView struct {
	Row          disbursementRow `gorm:"embedded"`
	NeedPublicID string
	OrgPublicID  string
}

func readDisbursements(g *gorm.DB, where string, args ...any) ([]funds.Disbursement, error) {
	var rows []disbursementView
	if err := g.Raw(`SELECT d.*, n.public_id AS need_public_id, o.public_id AS org_public_id FROM disbursements d
		JOIN needs n ON n.id = d.need_id JOIN organizations o ON o.id = d.org_id WHERE `+where, args...).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]funds.Disbursement, len(rows))
	for i, v := range rows {
		r := v.Row
		out[i] = funds.Disbursement{ID: r.ID, PublicID: r.PublicID, NeedID: r.NeedID, NeedPublicID: v.NeedPublicID, OrgID: r.OrgID,
			OrgPublicID: v.OrgPublicID, AllocationID: deref(r.AllocationID), AmountFen: r.AmountFen, PayeeType: funds.PayeeType(r.PayeeType),
			ProviderKind: funds.ProviderKind(r.ProviderKind), PayeeCT: r.PayeeCt, PayeeKID: r.PayeeKid, PayeeMasked: r.PayeeMasked,
			ReferenceMasked: r.ReferenceMasked, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt.UTC()}
	}
	return out, nil
}

// withParts fills each disbursement's parts, only those from lots when lots is not nil.
func withParts(g *gorm.DB, ds []funds.Disbursement, lots []int64) error {
	if len(ds) == 0 {
		return nil
	}
	ids := make([]int64, len(ds))
	at := map[int64]int{}
	for i := range ds {
		ids[i] = ds[i].ID
		at[ds[i].ID] = i
	}
	where, args := "p.disbursement_id IN ?", []any{ids}
	if lots != nil {
		where, args = where+" AND p.lot_id IN ?", append(args, lots)
	}
	var parts []struct {
		DisbursementID int64
		LotID          int64
		AmountFen      int64
		Kind           string
	}
	if err := g.Raw("SELECT p.disbursement_id, p.lot_id, p.amount_fen, l.kind FROM disbursement_parts p JOIN need_lots l ON l.id = p.lot_id WHERE "+where+" ORDER BY p.id", args...).
		Scan(&parts).Error; err != nil {
		return err
	}
	for _, p := range parts {
		d := &ds[at[p.DisbursementID]]
		d.Parts = append(d.Parts, funds.DisbursementPart{LotID: p.LotID, Kind: funds.LotKind(p.Kind), AmountFen: p.AmountFen})
	}
	return nil
}

// NeedDisbursements implements funds.Store.
func (s *Store) NeedDisbursements(ctx context.Context, needID int64) ([]funds.Disbursement, error) {
	g := s.db.WithContext(ctx)
	ds, err := readDisbursements(g, "d.need_id = ? ORDER BY d.id", needID)
	if err != nil {
		return nil, err
	}
	return ds, withParts(g, ds, nil)
}

// PledgeLots implements funds.Store.
func (s *Store) PledgeLots(ctx context.Context, pledgeIDs []int64) ([]funds.Lot, map[int64]string, error) {
	if len(pledgeIDs) == 0 {
		return nil, map[int64]string{}, nil
	}
	var rows []lotRow
	if err := s.db.WithContext(ctx).Raw(`SELECT l.*, n.public_id AS need_public_id FROM need_lots l JOIN needs n ON n.id = l.need_id
		WHERE l.root_pledge_id IN ? ORDER BY l.id`, pledgeIDs).Scan(&rows).Error; err != nil {
		return nil, nil, err
	}
	out := make([]funds.Lot, len(rows))
	needs := map[int64]string{}
	for i := range rows {
		out[i] = rows[i].domain()
		needs[rows[i].NeedID] = rows[i].NeedPublicID
	}
	return out, needs, nil
}

// AllocationLots implements funds.Store.
func (s *Store) AllocationLots(ctx context.Context, allocationIDs []int64) ([]funds.Lot, error) {
	if len(allocationIDs) == 0 {
		return nil, nil
	}
	return readLots(s.db.WithContext(ctx), "l.allocation_id IN ? ORDER BY l.id", allocationIDs)
}

// LotDisbursements implements funds.Store.
func (s *Store) LotDisbursements(ctx context.Context, lotIDs []int64) ([]funds.Disbursement, error) {
	if len(lotIDs) == 0 {
		return nil, nil
	}
	g := s.db.WithContext(ctx)
	ds, err := readDisbursements(g, "d.id IN (SELECT disbursement_id FROM disbursement_parts WHERE lot_id IN ?) ORDER BY d.id", lotIDs)
	if err != nil {
		return nil, err
	}
	return ds, withParts(g, ds, lotIDs)
}

// StrandedMatches implements funds.Store.
func (s *Store) StrandedMatches(ctx context.Context, limit int) ([]string, error) {
	var ids []string
	err := s.db.WithContext(ctx).Raw(`SELECT p.public_id FROM needs n JOIN need_lots l ON l.need_id = n.id JOIN pledges p ON p.id = l.pledge_id
		WHERE n.status IN ('withdrawn', 'closed') AND l.kind = 'match' AND l.amount_fen > l.paid_fen
		AND NOT EXISTS (SELECT 1 FROM need_lots g WHERE g.need_id = n.id AND g.kind = 'gift' AND g.pledge_id = l.root_pledge_id AND g.amount_fen > g.paid_fen)
		ORDER BY l.id LIMIT ?`, limit).Scan(&ids).Error
	return ids, err
}
