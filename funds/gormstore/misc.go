package gormstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/sqldb"

	"gorm.io/gorm"

	"github.com/jiujinan/jiujinan/funds"
	mstore "github.com/jiujinan/jiujinan/marketplace/gormstore"
)

// ---- disclosures

type disclosureRow struct {
	ID             int64 `gorm:"primaryKey"`
	PublicID       string
	Kind           string
	NeedPublicID   string
	Category       string
	RegionCode     string
	AmountFen      int64
	SourceType     string
	SourcePublicID string
	SourceName     string
	RefPublicID    string
	Emergency      bool
	NoticeEndsAt   *time.Time
	OccurredAt     time.Time
}

func (disclosureRow) TableName() string { return "disclosures" }

func (t *tx) InsertDisclosure(d *funds.Disclosure) error {
	row := disclosureRow{PublicID: d.PublicID, Kind: string(d.Kind), NeedPublicID: d.NeedID, Category: d.Category, RegionCode: d.RegionCode,
		AmountFen: d.AmountFen, SourceType: d.SourceType, SourcePublicID: d.SourceID, SourceName: d.SourceName, RefPublicID: d.RefID,
		Emergency: d.Emergency, NoticeEndsAt: d.NoticeEndsAt, OccurredAt: d.At}
	if err := t.g.Create(&row).Error; err != nil {
		return mstore.MapError(err)
	}
	d.ID = row.ID
	return nil
}

// Disclosures implements funds.Store.
func (s *Store) Disclosures(ctx context.Context, f funds.DisclosureFilter) ([]funds.Disclosure, error) {
	q := s.db.WithContext(ctx).Model(&disclosureRow{})
	if f.SourceID != "" {
		q = q.Where("source_public_id = ?", f.SourceID)
	}
	if f.SourceType != "" {
		q = q.Where("source_type = ?", f.SourceType)
	}
	if f.RegionPrefix != "" {
		q = q.Where("region_code LIKE ?", strings.NewReplacer("%", "", "_", "").Replace(f.RegionPrefix)+"%")
	}
	if f.From != nil {
		q = q.Where("occurred_at >= ?", f.From.UTC())
	}
	if f.To != nil {
		q = q.Where("occurred_at < ?", f.To.UTC())
	}
	var rows []disclosureRow
	if err := q.Order("occurred_at, id").Limit(f.Limit).Offset(f.Offset).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]funds.Disclosure, len(rows))
	for i, r := range rows {
		out[i] = funds.Disclosure{ID: r.ID, PublicID: r.PublicID, Kind: funds.DisclosureKind(r.Kind), NeedID: r.NeedPublicID,
			Category: r.Category, RegionCode: r.RegionCode, AmountFen: r.AmountFen, SourceType: r.SourceType, SourceID: r.SourcePublicID,
			SourceName: r.SourceName, RefID: r.RefPublicID, Emergency: r.Emergency, NoticeEndsAt: utc(r.NoticeEndsAt), At: r.OccurredAt.UTC()}
	}
	return out, nil
}

// NameRegions implements funds.Store.
func (s *Store) NameRegions(ctx context.Context, names []string) (map[string][]string, error) {
	out := map[string][]string{}
	if len(names) == 0 {
		return out, nil
	}
	type pair struct{ Name, RegionCode string }
	var ps []pair
	err := s.db.WithContext(ctx).Raw(`SELECT o.name AS name, o.region_code AS region_code FROM organizations o WHERE o.name IN ?
		UNION SELECT f.name AS name, o.region_code AS region_code FROM fund_sources f JOIN organizations o ON o.id = f.org_id WHERE f.name IN ?`,
		names, names).Scan(&ps).Error
	if err != nil {
		return nil, fmt.Errorf("funds: name regions: %w", err)
	}
	for _, p := range ps {
		out[p.Name] = append(out[p.Name], p.RegionCode)
	}
	return out, nil
}

// ---- receipts

type receiptRow struct {
	ID        int64 `gorm:"primaryKey"`
	PublicID  string
	Number    string
	OrgID     int64
	Year      int
	PledgeID  int64
	DonorID   int64
	DonorName string
	OrgName   string
	AmountFen int64
	IssuedAt  time.Time
	VoidedAt  *time.Time
	Details   receiptDetailRow `gorm:"embedded"`
}

func (receiptRow) TableName() string { return "receipts" }

func (t *tx) IssueReceipt(r *funds.Receipt, orgCode string) error {
	// Lock the counter; create it only when missing (an INSERT IGNORE of an
	// existing row takes a shared lock that two confirmations would each
	// hold while waiting for the other's exclusive one).
	var seqs []int64
	lock := "SELECT last_seq FROM receipt_counters WHERE org_id = ? AND year = ?" + t.s.forUpdate()
	if err := t.g.Raw(lock, r.OrgID, r.Year).Scan(&seqs).Error; err != nil {
		return err
	}
	if len(seqs) == 0 {
		if err := t.g.Exec(insertIgnore(t.s.dialect, "receipt_counters (org_id, year, last_seq) VALUES (?, ?, 0)"), r.OrgID, r.Year).Error; err != nil {
			return err
		}
		if err := t.g.Raw(lock, r.OrgID, r.Year).Scan(&seqs).Error; err != nil {
			return err
		}
	}
	if len(seqs) == 0 {
		return errors.New("receipts: counter missing")
	}
	seq := seqs[0] + 1
	if err := t.g.Exec("UPDATE receipt_counters SET last_seq = ? WHERE org_id = ? AND year = ?", seq, r.OrgID, r.Year).Error; err != nil {
		return err
	}
	code := strings.ToUpper(orgCode)
	if len(code) > 10 {
		code = code[len(code)-10:]
	}
	r.Number = fmt.Sprintf("%d-%s-%06d", r.Year, code, seq)
	r.Seq = seq
	if err := t.receiptSnapshot(r); err != nil {
		return err
	}
	row := receiptRow{PublicID: r.PublicID, Number: r.Number, OrgID: r.OrgID, Year: r.Year, PledgeID: r.PledgeID, DonorID: r.DonorID,
		DonorName: r.DonorName, OrgName: r.OrgName, AmountFen: r.AmountFen, IssuedAt: r.IssuedAt, Details: detailRow(r)}
	if err := t.g.Create(&row).Error; err != nil {
		return mstore.MapError(err)
	}
	r.ID = row.ID
	return nil
}

func (t *tx) VoidReceipt(pledgeID int64, at time.Time) error {
	return t.g.Exec("UPDATE receipts SET voided_at = ? WHERE pledge_id = ? AND voided_at IS NULL", at, pledgeID).Error
}

type receiptView struct {
	Row            receiptRow `gorm:"embedded"`
	PledgePublicID string
	TargetType     string
}

func (s *Store) receipts(ctx context.Context, where string, args ...any) ([]funds.Receipt, error) {
	var rows []receiptView
	if err := s.db.WithContext(ctx).Raw(`SELECT r.*, p.public_id AS pledge_public_id, p.target_type AS target_type FROM receipts r JOIN pledges p ON p.id = r.pledge_id
		WHERE `+where+" ORDER BY r.id", args...).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]funds.Receipt, len(rows))
	for i, v := range rows {
		r := v.Row
		out[i] = funds.Receipt{ID: r.ID, PublicID: r.PublicID, Number: r.Number, OrgID: r.OrgID, Year: r.Year, PledgeID: r.PledgeID,
			PledgePublicID: v.PledgePublicID, DonorID: r.DonorID, DonorName: r.DonorName, OrgName: r.OrgName, AmountFen: r.AmountFen,
			IssuedAt: r.IssuedAt.UTC(), VoidedAt: utc(r.VoidedAt)}
		out[i].ReceiptDetails = r.Details.details(funds.TargetType(v.TargetType))
	}
	return out, nil
}

// Receipt implements funds.Store.
func (s *Store) Receipt(ctx context.Context, publicID string) (*funds.Receipt, error) {
	rs, err := s.receipts(ctx, "r.public_id = ?", publicID)
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, fmt.Errorf("receipt: %w", kernel.ErrNotFound)
	}
	return &rs[0], nil
}

// DonorReceipts implements funds.Store.
func (s *Store) DonorReceipts(ctx context.Context, donorID int64) ([]funds.Receipt, error) {
	return s.receipts(ctx, "r.donor_id = ?", donorID)
}

// ---- idempotency

type idemRow struct {
	ID             int64 `gorm:"primaryKey"`
	UserID         int64
	IdemKey        string
	RequestHash    string
	State          string
	ResponseStatus int
	ResponseBody   []byte
	CreatedAt      time.Time
	DoneAt         *time.Time
}

func (idemRow) TableName() string { return "idempotency_keys" }

// BeginIdempotent implements funds.Store: it inserts the key as running, or
// returns the existing record. A running record older than lease belongs
// to a request that died before committing (its effect and its record
// commit together), so this call takes it over.
func (s *Store) BeginIdempotent(ctx context.Context, rec *funds.IdemRecord, lease time.Duration) (*funds.IdemRecord, error) {
	for attempt := 0; attempt < 8; attempt++ {
		g := s.db.WithContext(ctx)
		// Two inserts of one key can deadlock on InnoDB's unique index.
		err := sqldb.RetryTx(ctx, func() error {
			return g.Create(&idemRow{UserID: rec.UserID, IdemKey: rec.Key, RequestHash: rec.RequestHash, State: "running", CreatedAt: rec.CreatedAt}).Error
		})
		if err == nil {
			return nil, nil
		}
		if !errors.Is(mstore.MapError(err), kernel.ErrConflict) {
			return nil, err
		}
		var rows []idemRow
		if err := g.Where("user_id = ? AND idem_key = ?", rec.UserID, rec.Key).Find(&rows).Error; err != nil {
			return nil, err
		}
		if len(rows) == 0 {
			continue // deleted meanwhile: try the insert again
		}
		r := rows[0]
		old := &funds.IdemRecord{UserID: r.UserID, Key: r.IdemKey, RequestHash: r.RequestHash, Done: r.State == "done",
			Status: r.ResponseStatus, Body: r.ResponseBody, CreatedAt: r.CreatedAt.UTC()}
		if !old.Done && old.RequestHash == rec.RequestHash && rec.CreatedAt.Sub(old.CreatedAt) > lease {
			res := g.Exec("UPDATE idempotency_keys SET created_at = ? WHERE id = ? AND state = ? AND created_at = ?",
				rec.CreatedAt, r.ID, "running", r.CreatedAt)
			if res.Error != nil {
				return nil, res.Error
			}
			if res.RowsAffected == 1 {
				return nil, nil
			}
			continue
		}
		return old, nil
	}
	return nil, funds.ErrIdempotencyInFlight
}

// AbortIdempotent implements funds.Store.
func (s *Store) AbortIdempotent(ctx context.Context, userID int64, key string) error {
	return sqldb.RetryTx(ctx, func() error {
		return s.db.WithContext(ctx).Exec("DELETE FROM idempotency_keys WHERE user_id = ? AND idem_key = ? AND state = ?", userID, key, "running").Error
	})
}

// PurgeIdempotent implements funds.Store.
func (s *Store) PurgeIdempotent(ctx context.Context, before time.Time) (int64, error) {
	res := s.db.WithContext(ctx).Exec("DELETE FROM idempotency_keys WHERE created_at < ? AND state = ?", before, "done")
	return res.RowsAffected, res.Error
}

func (t *tx) FinishIdempotent(userID int64, key string, status int, body []byte, at time.Time) error {
	res := t.g.Exec("UPDATE idempotency_keys SET state = ?, response_status = ?, response_body = ?, done_at = ? WHERE user_id = ? AND idem_key = ? AND state = ?",
		"done", status, body, at, userID, key, "running")
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return kernel.Refuse(kernel.ErrConflict, "refusal_idempotency_taken", nil, "the Idempotency-Key was taken over or finished by another request")
	}
	return nil
}

// ---- verification

// LedgerCheck implements funds.Store. It reads in one transaction so that
// the sums are of one consistent state.
func (s *Store) LedgerCheck(ctx context.Context) (*funds.LedgerFacts, error) {
	f := &funds.LedgerFacts{Unbalanced: []string{}, BalanceMismatch: []string{}, Negative: []string{}, Overfunded: []string{}, NeedMismatch: []string{},
		LotMismatch: []string{}, DisbursementMismatch: []string{}}
	err := s.db.WithContext(ctx).Transaction(func(g *gorm.DB) error {
		if err := g.Raw("SELECT COUNT(*) FROM ledger_transactions").Scan(&f.Transactions).Error; err != nil {
			return err
		}
		if err := g.Raw("SELECT COUNT(*) FROM ledger_entries").Scan(&f.Entries).Error; err != nil {
			return err
		}
		if err := g.Raw(`SELECT t.public_id FROM ledger_transactions t LEFT JOIN ledger_entries e ON e.transaction_id = t.id
			GROUP BY t.id, t.public_id HAVING COALESCE(SUM(e.amount_fen), 0) <> 0 OR COUNT(e.id) < 2`).Scan(&f.Unbalanced).Error; err != nil {
			return err
		}
		if err := g.Raw(`SELECT a.code FROM ledger_accounts a LEFT JOIN ledger_entries e ON e.account_id = a.id
			GROUP BY a.id, a.code, a.balance_fen HAVING a.balance_fen <> COALESCE(SUM(e.amount_fen), 0)`).Scan(&f.BalanceMismatch).Error; err != nil {
			return err
		}
		if err := g.Raw(`SELECT code FROM ledger_accounts WHERE kind IN ('fund', 'project', 'need', 'held') AND balance_fen < 0`).Scan(&f.Negative).Error; err != nil {
			return err
		}
		if err := g.Raw("SELECT COALESCE(SUM(balance_fen), 0) FROM ledger_accounts").Scan(&f.Total).Error; err != nil {
			return err
		}
		if err := g.Raw(`SELECT public_id FROM needs WHERE funded_fen > requested_fen OR disbursed_fen > funded_fen OR funded_fen < 0 OR disbursed_fen < 0`).
			Scan(&f.Overfunded).Error; err != nil {
			return err
		}
		if err := g.Raw(`SELECT n.public_id FROM needs n LEFT JOIN ledger_accounts a ON a.code = ` + concat(s.dialect, "'need:'", "n.public_id") + `
			WHERE COALESCE(a.balance_fen, 0) <> n.funded_fen - n.disbursed_fen`).Scan(&f.NeedMismatch).Error; err != nil {
			return err
		}
		if err := g.Raw(`SELECT n.public_id FROM needs n LEFT JOIN (SELECT need_id, SUM(amount_fen) AS amount, SUM(paid_fen) AS paid
			FROM need_lots GROUP BY need_id) l ON l.need_id = n.id
			WHERE COALESCE(l.amount, 0) <> n.funded_fen OR COALESCE(l.paid, 0) <> n.disbursed_fen`).Scan(&f.LotMismatch).Error; err != nil {
			return err
		}
		return g.Raw(`SELECT d.public_id FROM disbursements d LEFT JOIN (SELECT disbursement_id, SUM(amount_fen) AS amount
			FROM disbursement_parts GROUP BY disbursement_id) p ON p.disbursement_id = d.id
			WHERE COALESCE(p.amount, 0) <> d.amount_fen`).Scan(&f.DisbursementMismatch).Error
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}
