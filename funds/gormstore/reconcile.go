package gormstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/jiujinan/jiujinan/funds"
	mstore "github.com/jiujinan/jiujinan/marketplace/gormstore"
)

// ---- reconciliation runs (imports of bills)

type reconcileRunRow struct {
	ID          int64 `gorm:"primaryKey"`
	PublicID    string
	OrgID       int64
	Format      string
	FileName    string
	FileSHA256  string `gorm:"column:file_sha256"`
	CreatedBy   int64
	CreatedAt   time.Time
	FinishedAt  *time.Time
	Status      string
	PeriodFrom  *time.Time
	PeriodTo    *time.Time
	LineCount   int64
	Skipped     int64
	Matched     int64
	Already     int64
	Refunds     int64
	Mismatches  int64
	PaidFen     int64
	RefundedFen int64
}

func (reconcileRunRow) TableName() string { return "reconciliation_runs" }

type reconcileRunView struct {
	Row           reconcileRunRow `gorm:"embedded"`
	OrgPublicID   string
	OrgName       string
	CreatedByName string
}

func (v *reconcileRunView) domain() funds.ReconcileRun {
	r := v.Row
	return funds.ReconcileRun{ID: r.ID, PublicID: r.PublicID, OrgID: r.OrgID, OrgPublicID: v.OrgPublicID, OrgName: v.OrgName,
		Format: funds.BillFormat(r.Format), FileName: r.FileName, FileSHA256: r.FileSHA256, CreatedBy: r.CreatedBy,
		CreatedByName: v.CreatedByName, CreatedAt: r.CreatedAt.UTC(), FinishedAt: utc(r.FinishedAt), Status: r.Status,
		PeriodFrom: utc(r.PeriodFrom), PeriodTo: utc(r.PeriodTo),
		Counts: funds.ReconcileCounts{Lines: r.LineCount, Skipped: r.Skipped, Matched: r.Matched, Already: r.Already,
			Refunds: r.Refunds, Mismatches: r.Mismatches, PaidFen: r.PaidFen, RefundedFen: r.RefundedFen}}
}

const reconcileRunSelect = `SELECT r.*, o.public_id AS org_public_id, o.name AS org_name, u.display_name AS created_by_name
	FROM reconciliation_runs r JOIN organizations o ON o.id = r.org_id JOIN users u ON u.id = r.created_by `

// InsertReconcileRun implements funds.Store.
func (s *Store) InsertReconcileRun(ctx context.Context, r *funds.ReconcileRun) error {
	row := reconcileRunRow{PublicID: r.PublicID, OrgID: r.OrgID, Format: string(r.Format), FileName: r.FileName, FileSHA256: r.FileSHA256,
		CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, Status: r.Status}
	if err := s.db.WithContext(ctx).Create(&row).Error; err != nil {
		return mstore.MapError(err)
	}
	r.ID = row.ID
	return nil
}

type reconcileLineRow struct {
	ID         int64 `gorm:"primaryKey"`
	RunID      int64
	LineNo     int64
	Kind       string
	Outcome    string
	Reference  string
	TradeNo    string
	AmountFen  int64
	PledgeFen  int64
	PledgeID   *int64
	OccurredAt *time.Time
}

func (reconcileLineRow) TableName() string { return "reconciliation_lines" }

// AddReconcileLines implements funds.Store.
func (s *Store) AddReconcileLines(ctx context.Context, runID int64, lines []funds.ReconcileLine) error {
	rows := make([]reconcileLineRow, len(lines))
	for i, l := range lines {
		outcome := l.Outcome
		if l.Code != "" {
			outcome = l.Code
		}
		rows[i] = reconcileLineRow{RunID: runID, LineNo: int64(l.Line), Kind: l.Kind, Outcome: outcome, Reference: l.Reference,
			TradeNo: l.TradeNo, AmountFen: l.AmountFen, PledgeFen: l.PledgeFen, PledgeID: ref(l.PledgeRowID), OccurredAt: l.At}
	}
	return s.db.WithContext(ctx).CreateInBatches(rows, 200).Error
}

// FinishReconcileRun implements funds.Store.
func (s *Store) FinishReconcileRun(ctx context.Context, r *funds.ReconcileRun) error {
	c := r.Counts
	return s.db.WithContext(ctx).Exec(`UPDATE reconciliation_runs SET status = ?, finished_at = ?, period_from = ?, period_to = ?,
		line_count = ?, skipped = ?, matched = ?, already = ?, refunds = ?, mismatches = ?, paid_fen = ?, refunded_fen = ? WHERE id = ?`,
		r.Status, r.FinishedAt, r.PeriodFrom, r.PeriodTo, c.Lines, c.Skipped, c.Matched, c.Already, c.Refunds, c.Mismatches,
		c.PaidFen, c.RefundedFen, r.ID).Error
}

// ReconcileRun implements funds.Store.
func (s *Store) ReconcileRun(ctx context.Context, publicID string) (*funds.ReconcileRun, error) {
	var rows []reconcileRunView
	if err := s.db.WithContext(ctx).Raw(reconcileRunSelect+"WHERE r.public_id = ?", publicID).Scan(&rows).Error; err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("reconciliation: %w", kernel.ErrNotFound)
	}
	r := rows[0].domain()
	var earlier []string
	if err := s.db.WithContext(ctx).Raw(`SELECT public_id FROM reconciliation_runs WHERE org_id = ? AND file_sha256 = ? AND id < ?
		ORDER BY id DESC LIMIT 1`, r.OrgID, r.FileSHA256, r.ID).Scan(&earlier).Error; err != nil {
		return nil, err
	}
	if len(earlier) > 0 {
		r.RepeatOf = earlier[0]
	}
	return &r, nil
}

// ReconcileRuns implements funds.Store.
func (s *Store) ReconcileRuns(ctx context.Context, orgIDs []int64, limit int) ([]funds.ReconcileRun, error) {
	if len(orgIDs) == 0 {
		return nil, nil
	}
	var rows []reconcileRunView
	if err := s.db.WithContext(ctx).Raw(reconcileRunSelect+"WHERE r.org_id IN ? ORDER BY r.id DESC LIMIT ?", orgIDs, limit).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]funds.ReconcileRun, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	return out, nil
}

// outcomes that are not mismatches.
var lineOutcomes = map[string]bool{funds.OutcomeMatched: true, funds.OutcomeAlready: true, funds.OutcomeRefunded: true}

// ReconcileLines implements funds.Store.
func (s *Store) ReconcileLines(ctx context.Context, runID int64, outcomes []string, limit int) ([]funds.ReconcileLine, error) {
	if len(outcomes) == 0 {
		return nil, nil
	}
	var rows []struct {
		Row            reconcileLineRow `gorm:"embedded"`
		PledgePublicID *string
	}
	// Lines of the file in their order, then the pledges the bill lacks.
	err := s.db.WithContext(ctx).Raw(`SELECT l.*, p.public_id AS pledge_public_id FROM reconciliation_lines l
		LEFT JOIN pledges p ON p.id = l.pledge_id WHERE l.run_id = ? AND l.outcome IN ?
		ORDER BY CASE WHEN l.line_no = 0 THEN 1 ELSE 0 END, l.line_no, l.id LIMIT ?`, runID, outcomes, limit).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]funds.ReconcileLine, len(rows))
	for i, x := range rows {
		r := x.Row
		l := funds.ReconcileLine{Line: int(r.LineNo), Kind: r.Kind, Reference: r.Reference, TradeNo: r.TradeNo, AmountFen: r.AmountFen,
			PledgeFen: r.PledgeFen, PledgeRowID: deref(r.PledgeID), At: utc(r.OccurredAt)}
		if lineOutcomes[r.Outcome] {
			l.Outcome = r.Outcome
		} else {
			l.Code = r.Outcome
		}
		if x.PledgePublicID != nil {
			l.PledgeID = *x.PledgePublicID
		}
		out[i] = l
	}
	return out, nil
}

// EarlierReconcileRun implements funds.Store.
func (s *Store) EarlierReconcileRun(ctx context.Context, orgID int64, fileSHA256 string) (string, error) {
	var ids []string
	err := s.db.WithContext(ctx).Raw(`SELECT public_id FROM reconciliation_runs WHERE org_id = ? AND file_sha256 = ? ORDER BY id DESC LIMIT 1`,
		orgID, fileSHA256).Scan(&ids).Error
	if err != nil || len(ids) == 0 {
		return "", err
	}
	return ids[0], nil
}

// ProviderConfirmedIn implements funds.Store.
func (s *Store) ProviderConfirmedIn(ctx context.Context, orgID int64, from, to time.Time, prefix string) ([]funds.Pledge, error) {
	return readPledges(s.db.WithContext(ctx), `p.org_id = ? AND p.confirmed_at >= ? AND p.confirmed_at < ? AND p.status IN ?
		AND p.matched_pledge_id IS NULL AND EXISTS (SELECT 1 FROM payment_notifications n WHERE n.pledge_id = p.id AND n.notification_id LIKE ?)
		ORDER BY p.id`, orgID, from, to, []string{string(funds.PledgeConfirmed), string(funds.PledgeRefunded)}, likePrefix(prefix))
}

// likePrefix is a LIKE pattern for strings starting with prefix.
func likePrefix(prefix string) string {
	out := make([]byte, 0, len(prefix)+1)
	for i := 0; i < len(prefix); i++ {
		switch c := prefix[i]; c {
		case '%', '_', '\\':
			// Channel names are letters: nothing to escape in practice,
			// and "_" matching any one character only widens the match.
			out = append(out, '_')
		default:
			out = append(out, c)
		}
	}
	return string(append(out, '%'))
}

// PledgesInOtherRuns implements funds.Store.
func (s *Store) PledgesInOtherRuns(ctx context.Context, orgID int64, pledgeIDs []int64, exceptRun int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	for start := 0; start < len(pledgeIDs); start += 500 {
		chunk := pledgeIDs[start:min(start+500, len(pledgeIDs))]
		var ids []int64
		err := s.db.WithContext(ctx).Raw(`SELECT DISTINCT l.pledge_id FROM reconciliation_lines l JOIN reconciliation_runs r ON r.id = l.run_id
			WHERE r.org_id = ? AND l.run_id <> ? AND l.line_no > 0 AND l.pledge_id IN ?`, orgID, exceptRun, chunk).Scan(&ids).Error
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			out[id] = true
		}
	}
	return out, nil
}
