// Package gormstore is the gorm implementation of paychan.Store on SQLite
// and MySQL/MariaDB: merchant credentials (sealed by the service), Native
// orders and the exceptions kept for reconciliation.
package gormstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/jiujinan/jiujinan/funds/paychan"
	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
	mstore "github.com/jiujinan/jiujinan/marketplace/gormstore"
	"github.com/jiujinan/jiujinan/sqldb"
)

// Store implements paychan.Store.
type Store struct {
	db *gorm.DB
}

// New returns a store over db.
func New(db *sqldb.DB) *Store { return &Store{db: db.Gorm} }

var _ paychan.Store = (*Store)(nil)

type merchantRow struct {
	OrgID      int64  `gorm:"primaryKey;autoIncrement:false"`
	Channel    string `gorm:"primaryKey"`
	MerchantID string
	AppID      string
	Details    string
	SecretsCT  []byte `gorm:"column:secrets_ct"`
	SecretsKID string `gorm:"column:secrets_kid"`
	UpdatedBy  string
	UpdatedAt  time.Time
}

func (merchantRow) TableName() string { return "payment_merchants" }

// Merchant implements paychan.Store.
func (s *Store) Merchant(ctx context.Context, orgID int64, ch paychan.Channel) (*paychan.MerchantRecord, error) {
	var rows []merchantRow
	if err := s.db.WithContext(ctx).Where("org_id = ? AND channel = ?", orgID, string(ch)).Limit(1).Find(&rows).Error; err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("merchant: %w", kernel.ErrNotFound)
	}
	r := rows[0]
	out := &paychan.MerchantRecord{OrgID: r.OrgID, Channel: paychan.Channel(r.Channel), MerchantID: r.MerchantID, AppID: r.AppID,
		SecretsCT: r.SecretsCT, SecretsKID: r.SecretsKID, UpdatedBy: r.UpdatedBy, UpdatedAt: r.UpdatedAt.UTC()}
	if err := json.Unmarshal([]byte(r.Details), &out.Details); err != nil {
		return nil, fmt.Errorf("merchant details: %w", err)
	}
	return out, nil
}

// SaveMerchant implements paychan.Store.
func (s *Store) SaveMerchant(ctx context.Context, r *paychan.MerchantRecord, audit marketplace.AuditEntry) error {
	d, err := json.Marshal(r.Details)
	if err != nil {
		return err
	}
	row := merchantRow{OrgID: r.OrgID, Channel: string(r.Channel), MerchantID: r.MerchantID, AppID: r.AppID, Details: string(d),
		SecretsCT: r.SecretsCT, SecretsKID: r.SecretsKID, UpdatedBy: r.UpdatedBy, UpdatedAt: r.UpdatedAt}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("DELETE FROM payment_merchants WHERE org_id = ? AND channel = ?", r.OrgID, string(r.Channel)).Error; err != nil {
			return err
		}
		if err := tx.Create(&row).Error; err != nil {
			return mstore.MapError(err)
		}
		return mstore.AppendAudit(tx, &audit)
	})
}

// DeleteMerchant implements paychan.Store.
func (s *Store) DeleteMerchant(ctx context.Context, orgID int64, ch paychan.Channel, audit marketplace.AuditEntry) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Exec("DELETE FROM payment_merchants WHERE org_id = ? AND channel = ?", orgID, string(ch))
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("merchant: %w", kernel.ErrNotFound)
		}
		return mstore.AppendAudit(tx, &audit)
	})
}

type orderRow struct {
	ID        int64 `gorm:"primaryKey"`
	PledgeID  int64
	Method    string
	PayURL    string
	CreatedAt time.Time
	ExpiresAt time.Time
}

func (orderRow) TableName() string { return "payment_orders" }

// Order implements paychan.Store.
func (s *Store) Order(ctx context.Context, pledgeID int64, m paychan.Method) (*paychan.Order, error) {
	var rows []orderRow
	if err := s.db.WithContext(ctx).Where("pledge_id = ? AND method = ?", pledgeID, string(m)).Limit(1).Find(&rows).Error; err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("order: %w", kernel.ErrNotFound)
	}
	r := rows[0]
	return &paychan.Order{PledgeID: r.PledgeID, Method: paychan.Method(r.Method), PayURL: r.PayURL, CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC()}, nil
}

// SaveOrder implements paychan.Store.
func (s *Store) SaveOrder(ctx context.Context, o *paychan.Order) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("DELETE FROM payment_orders WHERE pledge_id = ? AND method = ?", o.PledgeID, string(o.Method)).Error; err != nil {
			return err
		}
		return mstore.MapError(tx.Create(&orderRow{PledgeID: o.PledgeID, Method: string(o.Method), PayURL: o.PayURL,
			CreatedAt: o.CreatedAt, ExpiresAt: o.ExpiresAt}).Error)
	})
}

type exceptionRow struct {
	ID            int64 `gorm:"primaryKey"`
	PublicID      string
	OrgID         int64
	Channel       string
	EventKey      string
	Kind          string
	Code          string
	ProviderTxnID string
	OutTradeNo    string
	OutRefundNo   string
	AmountFen     int64
	Currency      string
	PledgeID      *int64
	DetailCT      []byte `gorm:"column:detail_ct"`
	DetailKID     string `gorm:"column:detail_kid"`
	Times         int
	FirstAt       time.Time
	LastAt        time.Time
	ResolvedAt    *time.Time
	ResolvedBy    *int64
	NoteCT        []byte `gorm:"column:note_ct"`
	NoteKID       string `gorm:"column:note_kid"`
}

func (exceptionRow) TableName() string { return "payment_exceptions" }

type exceptionView struct {
	Row             exceptionRow `gorm:"embedded"`
	OrgPublicID     string
	PledgePublicID  *string
	PledgeReference *string
	PledgeFen       *int64
	ResolvedByName  *string
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func num(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func (v *exceptionView) domain() paychan.Exception {
	r := v.Row
	return paychan.Exception{ID: r.ID, PublicID: r.PublicID, OrgID: r.OrgID, OrgPublicID: v.OrgPublicID, Channel: paychan.Channel(r.Channel),
		Kind: r.Kind, Code: r.Code, EventKey: r.EventKey, ProviderTxnID: r.ProviderTxnID, OutTradeNo: r.OutTradeNo, OutRefundNo: r.OutRefundNo,
		AmountFen: r.AmountFen, Currency: r.Currency, PledgeID: num(r.PledgeID), PledgePublicID: str(v.PledgePublicID),
		PledgeReference: str(v.PledgeReference), PledgeFen: num(v.PledgeFen), DetailCT: r.DetailCT, DetailKID: r.DetailKID, Times: r.Times,
		FirstAt: r.FirstAt.UTC(), LastAt: r.LastAt.UTC(), ResolvedAt: utc(r.ResolvedAt), ResolvedBy: num(r.ResolvedBy),
		ResolvedByName: str(v.ResolvedByName), NoteCT: r.NoteCT, NoteKID: r.NoteKID}
}

const exceptionSelect = `SELECT e.*, o.public_id AS org_public_id, p.public_id AS pledge_public_id, p.reference AS pledge_reference,
	p.amount_fen AS pledge_fen, u.display_name AS resolved_by_name
	FROM payment_exceptions e JOIN organizations o ON o.id = e.org_id LEFT JOIN pledges p ON p.id = e.pledge_id
	LEFT JOIN users u ON u.id = e.resolved_by `

// RecordException implements paychan.Store. The unique key (channel,
// event, code) makes a notification told again one row, seen once more.
func (s *Store) RecordException(ctx context.Context, e *paychan.Exception) (bool, error) {
	var pledge *int64
	if e.PledgeID != 0 {
		pledge = &e.PledgeID
	}
	row := exceptionRow{PublicID: e.PublicID, OrgID: e.OrgID, Channel: string(e.Channel), EventKey: e.EventKey, Kind: e.Kind, Code: e.Code,
		ProviderTxnID: e.ProviderTxnID, OutTradeNo: e.OutTradeNo, OutRefundNo: e.OutRefundNo, AmountFen: e.AmountFen, Currency: e.Currency,
		PledgeID: pledge, DetailCT: e.DetailCT, DetailKID: e.DetailKID, Times: 1, FirstAt: e.FirstAt, LastAt: e.LastAt}
	isNew := false
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Exec("UPDATE payment_exceptions SET times = times + 1, last_at = ? WHERE channel = ? AND event_key = ? AND code = ?",
			e.LastAt, row.Channel, row.EventKey, row.Code)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected > 0 {
			return nil
		}
		if err := tx.Create(&row).Error; err != nil {
			return mstore.MapError(err)
		}
		isNew = true
		return nil
	})
	if errors.Is(err, kernel.ErrConflict) {
		// Told twice at once: the other insert won; count this one.
		err = s.db.WithContext(ctx).Exec("UPDATE payment_exceptions SET times = times + 1, last_at = ? WHERE channel = ? AND event_key = ? AND code = ?",
			e.LastAt, row.Channel, row.EventKey, row.Code).Error
	}
	if err != nil {
		return false, err
	}
	if !isNew {
		var ids []string
		if err := s.db.WithContext(ctx).Raw("SELECT public_id FROM payment_exceptions WHERE channel = ? AND event_key = ? AND code = ?",
			row.Channel, row.EventKey, row.Code).Scan(&ids).Error; err != nil {
			return false, err
		}
		if len(ids) > 0 {
			e.PublicID = ids[0]
		}
	}
	return isNew, nil
}

func (s *Store) readExceptions(ctx context.Context, where string, args ...any) ([]paychan.Exception, error) {
	var rows []exceptionView
	if err := s.db.WithContext(ctx).Raw(exceptionSelect+"WHERE "+where, args...).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]paychan.Exception, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	return out, nil
}

// Exceptions implements paychan.Store.
func (s *Store) Exceptions(ctx context.Context, orgIDs []int64, openOnly bool, limit int) ([]paychan.Exception, error) {
	if len(orgIDs) == 0 {
		return nil, nil
	}
	where := "e.org_id IN ?"
	if openOnly {
		where += " AND e.resolved_at IS NULL"
	}
	return s.readExceptions(ctx, where+" ORDER BY e.last_at DESC, e.id DESC LIMIT ?", orgIDs, limit)
}

// Exception implements paychan.Store.
func (s *Store) Exception(ctx context.Context, publicID string) (*paychan.Exception, error) {
	es, err := s.readExceptions(ctx, "e.public_id = ?", publicID)
	if err != nil {
		return nil, err
	}
	if len(es) == 0 {
		return nil, fmt.Errorf("payment exception: %w", kernel.ErrNotFound)
	}
	return &es[0], nil
}

// ResolveException implements paychan.Store.
func (s *Store) ResolveException(ctx context.Context, id, by int64, noteCT []byte, noteKID string, at time.Time) (bool, error) {
	res := s.db.WithContext(ctx).Exec("UPDATE payment_exceptions SET resolved_at = ?, resolved_by = ?, note_ct = ?, note_kid = ? WHERE id = ? AND resolved_at IS NULL",
		at, by, noteCT, noteKID, id)
	return res.RowsAffected == 1, res.Error
}
