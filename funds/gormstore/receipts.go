package gormstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/jiujinan/jiujinan/funds"
	"github.com/jiujinan/jiujinan/kernel"
	mstore "github.com/jiujinan/jiujinan/marketplace/gormstore"
)

// The details of receipts (funds/receipt.go): the columns of migration
// 00022 on receipts, the donors' receipt profiles and a pledge's choice.

// receiptDetailRow is the part of a receipts row that ReceiptDetails maps.
type receiptDetailRow struct {
	Seq               int64
	DonorKind         string
	DonorCT           []byte
	DonorKID          string `gorm:"column:donor_kid"`
	DonorCreditCode   string
	OrgCreditCode     string
	OrgRegisteredName string
	Purpose           string
}

func detailRow(r *funds.Receipt) receiptDetailRow {
	return receiptDetailRow{Seq: r.Seq, DonorKind: string(r.DonorKind), DonorCT: r.DonorCT, DonorKID: r.DonorKID,
		DonorCreditCode: r.DonorCreditCode, OrgCreditCode: r.OrgCreditCode, OrgRegisteredName: r.OrgRegisteredName, Purpose: r.Purpose}
}

func (d receiptDetailRow) details(tt funds.TargetType) funds.ReceiptDetails {
	return funds.ReceiptDetails{Seq: d.Seq, TargetType: tt, DonorKind: funds.DonorKind(d.DonorKind), DonorCT: d.DonorCT,
		DonorKID: d.DonorKID, DonorCreditCode: d.DonorCreditCode, OrgCreditCode: d.OrgCreditCode,
		OrgRegisteredName: d.OrgRegisteredName, Purpose: d.Purpose}
}

// receiptSnapshot fills in what a receipt says of its charity's
// registration and of the gift's purpose, as they are in the transaction
// that issues it.
func (t *tx) receiptSnapshot(r *funds.Receipt) error {
	var org struct {
		CreditCode     string
		RegisteredName string
	}
	if err := t.g.Raw("SELECT credit_code, registered_name FROM organizations WHERE id = ?", r.OrgID).Scan(&org).Error; err != nil {
		return err
	}
	r.OrgCreditCode, r.OrgRegisteredName = org.CreditCode, org.RegisteredName
	var purpose []string
	err := t.g.Raw(`SELECT COALESCE(n.public_title, f.name, '') FROM pledges p
		LEFT JOIN needs n ON n.id = p.need_id AND p.target_type = 'need'
		LEFT JOIN fund_sources f ON f.id = p.source_id AND p.target_type <> 'need'
		WHERE p.id = ?`, r.PledgeID).Scan(&purpose).Error
	if err != nil {
		return err
	}
	r.Purpose = ""
	if len(purpose) > 0 {
		r.Purpose = purpose[0]
	}
	if r.Purpose == "" {
		r.Purpose = funds.GenericNeedPurpose
	}
	return nil
}

type donorProfileRow struct {
	UserID        int64 `gorm:"primaryKey;autoIncrement:false"`
	PersonCT      []byte
	PersonKID     string `gorm:"column:person_kid"`
	AsOrg         bool
	OrgName       string
	OrgCreditCode string
	UpdatedAt     time.Time
}

func (donorProfileRow) TableName() string { return "donor_receipt_profiles" }

// DonorProfile implements funds.ReceiptStore.
func (s *Store) DonorProfile(ctx context.Context, userID int64) (*funds.DonorProfile, error) {
	var r donorProfileRow
	if err := s.db.WithContext(ctx).Where("user_id = ?", userID).Take(&r).Error; err != nil {
		return nil, fmt.Errorf("donor profile: %w", mstore.MapError(err))
	}
	at := r.UpdatedAt.UTC()
	return &funds.DonorProfile{AsOrg: r.AsOrg, OrgName: r.OrgName, OrgCreditCode: r.OrgCreditCode, UpdatedAt: &at,
		PersonCT: r.PersonCT, PersonKID: r.PersonKID}, nil
}

// SaveDonorProfile implements funds.ReceiptStore.
func (s *Store) SaveDonorProfile(ctx context.Context, userID int64, p *funds.DonorProfile) error {
	row := donorProfileRow{UserID: userID, PersonCT: p.PersonCT, PersonKID: p.PersonKID, AsOrg: p.AsOrg, OrgName: p.OrgName,
		OrgCreditCode: p.OrgCreditCode, UpdatedAt: *p.UpdatedAt}
	return s.db.WithContext(ctx).Transaction(func(g *gorm.DB) error {
		if err := g.Where("user_id = ?", userID).Delete(&donorProfileRow{}).Error; err != nil {
			return err
		}
		return mstore.MapError(g.Create(&row).Error)
	})
}

type pledgeReceiptAsRow struct {
	PledgeID      int64 `gorm:"primaryKey;autoIncrement:false"`
	Kind          string
	OrgName       string
	OrgCreditCode string
}

func (pledgeReceiptAsRow) TableName() string { return "pledge_receipt_donors" }

// SetPledgeReceiptAs implements funds.Tx.
func (t *tx) SetPledgeReceiptAs(pledgeID int64, a funds.ReceiptAs) error {
	row := pledgeReceiptAsRow{PledgeID: pledgeID, Kind: string(a.Kind), OrgName: a.OrgName, OrgCreditCode: a.OrgCreditCode}
	return mstore.MapError(t.g.Create(&row).Error)
}

// PledgeReceiptAs implements funds.ReceiptStore.
func (s *Store) PledgeReceiptAs(ctx context.Context, pledgeID int64) (*funds.ReceiptAs, error) {
	var r pledgeReceiptAsRow
	err := s.db.WithContext(ctx).Where("pledge_id = ?", pledgeID).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("pledge receipt: %w", kernel.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return &funds.ReceiptAs{Kind: funds.DonorKind(r.Kind), OrgName: r.OrgName, OrgCreditCode: r.OrgCreditCode}, nil
}

// OrgReceipts implements funds.ReceiptStore.
func (s *Store) OrgReceipts(ctx context.Context, orgID int64, from, to time.Time) ([]funds.Receipt, error) {
	rs, err := s.receipts(ctx, "r.org_id = ? AND r.issued_at >= ? AND r.issued_at < ?", orgID, from, to)
	if err != nil {
		return nil, err
	}
	// Row ids need not follow the numbers (TiDB allocates them in ranges).
	slices.SortFunc(rs, func(a, b funds.Receipt) int {
		if a.Year != b.Year {
			return a.Year - b.Year
		}
		return int(a.Seq - b.Seq)
	})
	return rs, nil
}
