package gormstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jiujinan/jiujinan/kernel"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/jiujinan/jiujinan/marketplace"
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
// transaction of the change it records. The stream's head row is locked, so
// concurrent appends to one stream queue up while other streams go on.
func AppendAudit(tx *gorm.DB, e *marketplace.AuditEntry) error {
	if e.Stream == "" || e.Action == "" {
		return errors.New("audit: entry without stream or action")
	}
	if e.Detail == "" {
		e.Detail = "{}"
	}
	// Make sure the head exists (a no-op when it does), then lock it: two
	// first appends to one stream must not both start a chain.
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).
		Create(&auditHeadRow{Stream: e.Stream, Seq: 0, Hash: marketplace.GenesisHash}).Error; err != nil {
		return MapError(err)
	}
	var head auditHeadRow
	if err := ForUpdate(tx).Where("stream = ?", e.Stream).Take(&head).Error; err != nil {
		return MapError(err)
	}
	e.At = e.At.UTC().Truncate(1000)
	e.Seq = head.Seq + 1
	e.PrevHash = head.Hash
	e.Hash = marketplace.ChainHash(e.PrevHash, *e)
	row := auditRow{Stream: e.Stream, Seq: e.Seq, AtUs: e.At.UnixMicro(), Actor: e.Actor, Action: e.Action,
		ObjectType: e.ObjectType, ObjectID: e.ObjectID, Detail: e.Detail, PrevHash: e.PrevHash, Hash: e.Hash}
	if err := tx.Create(&row).Error; err != nil {
		return fmt.Errorf("audit: append: %w", MapError(err))
	}
	res := tx.Model(&auditHeadRow{}).Where("stream = ? AND seq = ?", e.Stream, head.Seq).
		Updates(map[string]any{"seq": e.Seq, "hash": e.Hash})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return fmt.Errorf("audit: %w: chain head moved", kernel.ErrConflict)
	}
	return nil
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
