package gormstore

import (
	"context"

	"gorm.io/gorm"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
)

// SetOrgRegistration implements marketplace.AccountStore.
func (s *Store) SetOrgRegistration(ctx context.Context, orgID int64, r kernel.OrgRegistration, audit marketplace.AuditEntry) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&orgRow{}).Where("id = ?", orgID).Updates(map[string]any{
			"credit_code": r.CreditCode, "registered_name": r.RegisteredName})
		if res.Error != nil {
			return MapError(res.Error)
		}
		return AppendAudit(tx, &audit)
	})
}
