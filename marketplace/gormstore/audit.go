package gormstore

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/jiujinan/jiujinan/marketplace"
	nstore "github.com/jiujinan/jiujinan/notify/gormstore"
)

type auditHeadRow struct {
	Stream string `gorm:"primaryKey"`
	Seq    int64
	Hash   string
}

func (auditHeadRow) TableName() string { return "audit_heads" }

type auditRow struct {
	ID         int64 `gorm:"primaryKey"`
	Stream     string
	Seq        int64
	AtUs       int64
	Actor      string
	Action     string
	ObjectType string
	ObjectID   string
	Detail     string
	PrevHash   string
	Hash       string
}

func (auditRow) TableName() string { return "audit_log" }

// AppendAudit appends e to its stream's chain inside tx, which must be the
// transaction of the change it records, and records e.Notices in the
// notification outbox in the same transaction. The stream's head row is locked, so
// concurrent appends to one stream queue up while other streams go on.
func AppendAudit(tx *gorm.DB, e *marketplace.AuditEntry) error {
	rows, err := chainAudits(tx, []*marketplace.AuditEntry{e})
	if err != nil {
		return err
	}
	if err := tx.Create(&rows[0]).Error; err != nil {
		return fmt.Errorf("audit: append: %w", MapError(err))
	}
	return nstore.Insert(tx, e.Notices...)
}

// AuditStreams implements marketplace.AuditReader.
func (s *Store) AuditStreams(ctx context.Context) ([]marketplace.AuditHead, error) {
	var rows []auditHeadRow
	if err := s.db.WithContext(ctx).Order("stream").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]marketplace.AuditHead, len(rows))
	for i, r := range rows {
		out[i] = marketplace.AuditHead{Stream: r.Stream, Seq: r.Seq, Hash: r.Hash}
	}
	return out, nil
}

// AuditEntries implements marketplace.AuditReader.
func (s *Store) AuditEntries(ctx context.Context, stream string) ([]marketplace.AuditEntry, error) {
	var rows []auditRow
	if err := s.db.WithContext(ctx).Where("stream = ?", stream).Order("seq").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]marketplace.AuditEntry, len(rows))
	for i, r := range rows {
		out[i] = marketplace.AuditEntry{Stream: r.Stream, Seq: r.Seq, At: unixMicro(r.AtUs), Actor: r.Actor, Action: r.Action,
			ObjectType: r.ObjectType, ObjectID: r.ObjectID, Detail: r.Detail, PrevHash: r.PrevHash, Hash: r.Hash}
	}
	return out, nil
}
