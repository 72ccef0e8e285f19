package gormstore

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/jiujinan/jiujinan/marketplace"
)

// householdRow is one member of a need's household (migration 00014).
type householdRow struct {
	NeedID    int64
	Ordinal   int
	Pseudonym string
	Role      string
}

func (householdRow) TableName() string { return "need_household" }

// insertHousehold writes the household of a need in tx.
func insertHousehold(tx *gorm.DB, needID int64, members []marketplace.HouseholdMember) error {
	if len(members) == 0 {
		return nil
	}
	rows := make([]householdRow, len(members))
	for i, m := range members {
		rows[i] = householdRow{NeedID: needID, Ordinal: m.Ordinal, Pseudonym: m.Pseudonym, Role: string(m.Role)}
	}
	if err := tx.Create(&rows).Error; err != nil {
		return MapError(err)
	}
	return nil
}

// NeedsWithoutHousehold implements marketplace.NeedStore.
func (s *Store) NeedsWithoutHousehold(ctx context.Context, afterID int64, limit int) ([]marketplace.SealedHousehold, error) {
	var rows []struct {
		NeedID              int64
		NeedPublicID        string
		BeneficiaryPublicID string
		IdentityCT          []byte `gorm:"column:identity_ct"`
		IdentityKID         string `gorm:"column:identity_kid"`
	}
	err := s.db.WithContext(ctx).Raw(`SELECT n.id AS need_id, n.public_id AS need_public_id, b.public_id AS beneficiary_public_id,
		b.identity_ct, b.identity_kid
		FROM needs n JOIN beneficiaries b ON b.id = n.beneficiary_id
		WHERE n.id > ? AND NOT EXISTS (SELECT 1 FROM need_household h WHERE h.need_id = n.id)
		ORDER BY n.id LIMIT ?`, afterID, limit).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("needs without household: %w", err)
	}
	out := make([]marketplace.SealedHousehold, len(rows))
	for i, r := range rows {
		out[i] = marketplace.SealedHousehold{NeedID: r.NeedID, NeedPublicID: r.NeedPublicID, BeneficiaryPublicID: r.BeneficiaryPublicID,
			IdentityCT: r.IdentityCT, IdentityKID: r.IdentityKID}
	}
	return out, nil
}

// SetHousehold implements marketplace.NeedStore. The need's row is locked
// first (on MySQL; SQLite's write lock serves), so that two processes
// filling in households at once do not both write one.
func (s *Store) SetHousehold(ctx context.Context, needID int64, members []marketplace.HouseholdMember) (bool, error) {
	written := false
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var id []int64
		if err := ForUpdate(tx.Table("needs").Select("id").Where("id = ?", needID)).Scan(&id).Error; err != nil {
			return err
		}
		if len(id) == 0 {
			return fmt.Errorf("need %d: %w", needID, MapError(gorm.ErrRecordNotFound))
		}
		var n int64
		if err := tx.Model(&householdRow{}).Where("need_id = ?", needID).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		written = true
		return insertHousehold(tx, needID, members)
	})
	if err != nil {
		return false, fmt.Errorf("set household: %w", err)
	}
	return written, nil
}
