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

// ---- monthly recurring pledges

type recurringRow struct {
	ID               int64 `gorm:"primaryKey"`
	PublicID         string
	DonorID          int64
	TargetType       string
	SourceID         *int64
	NeedID           *int64
	TargetPublicID   string
	FallbackSourceID *int64
	FallbackPublicID string
	AmountFen        int64
	DayOfMonth       int
	Status           string
	AgreementChannel string
	AgreementID      string
	NextAt           time.Time
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

func (recurringRow) TableName() string { return "recurring_pledges" }

func (r *recurringRow) domain() *funds.Recurring {
	return &funds.Recurring{ID: r.ID, PublicID: r.PublicID, DonorID: r.DonorID, TargetType: funds.TargetType(r.TargetType),
		SourceID: deref(r.SourceID), NeedID: deref(r.NeedID), TargetPublicID: r.TargetPublicID, FallbackSourceID: deref(r.FallbackSourceID),
		FallbackPublicID: r.FallbackPublicID, AmountFen: r.AmountFen, DayOfMonth: r.DayOfMonth, Status: funds.RecurringStatus(r.Status),
		AgreementChannel: r.AgreementChannel, AgreementID: r.AgreementID, NextAt: r.NextAt.UTC(), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

func readRecurring(g *gorm.DB, where string, args ...any) ([]funds.Recurring, error) {
	var rows []recurringRow
	if err := g.Where(where, args...).Order("id DESC").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]funds.Recurring, len(rows))
	for i := range rows {
		out[i] = *rows[i].domain()
	}
	return out, nil
}

// Recurring implements funds.Store.
func (s *Store) Recurring(ctx context.Context, publicID string) (*funds.Recurring, error) {
	rs, err := readRecurring(s.db.WithContext(ctx), "public_id = ?", publicID)
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, fmt.Errorf("recurring pledge: %w", kernel.ErrNotFound)
	}
	return &rs[0], nil
}

// DonorRecurring implements funds.Store.
func (s *Store) DonorRecurring(ctx context.Context, donorID int64) ([]funds.Recurring, error) {
	g := s.db.WithContext(ctx)
	rs, err := readRecurring(g, "donor_id = ?", donorID)
	if err != nil || len(rs) == 0 {
		return rs, err
	}
	ids := make([]int64, len(rs))
	byID := map[int64]*funds.Recurring{}
	for i := range rs {
		ids[i] = rs[i].ID
		rs[i].Runs = []funds.RecurringRun{}
		byID[rs[i].ID] = &rs[i]
	}
	var runs []struct {
		RecurringID     int64
		Period          string
		Outcome         string
		Reason          string
		ReasonCode      string
		ChargeState     string
		CreatedAt       time.Time
		PledgeID        *string
		PledgeStatus    *string
		PledgeExpiresAt *time.Time
	}
	if err := g.Raw(`SELECT r.recurring_id, r.period, r.outcome, r.reason, r.reason_code, r.charge_state, r.created_at,
		p.public_id AS pledge_id, p.status AS pledge_status, p.expires_at AS pledge_expires_at
		FROM recurring_runs r LEFT JOIN pledges p ON p.id = r.pledge_id
		WHERE r.recurring_id IN ? ORDER BY r.recurring_id, r.period DESC`, ids).Scan(&runs).Error; err != nil {
		return nil, err
	}
	for _, x := range runs {
		r := byID[x.RecurringID]
		if r == nil || len(r.Runs) >= 12 {
			continue
		}
		run := funds.RecurringRun{Period: x.Period, Outcome: funds.RunOutcome(x.Outcome), Reason: x.Reason, ReasonCode: x.ReasonCode,
			ChargeState: x.ChargeState, At: x.CreatedAt.UTC()}
		if x.PledgeID != nil {
			run.PledgeID = *x.PledgeID
		}
		if x.PledgeStatus != nil {
			run.PledgeStatus = funds.PledgeStatus(*x.PledgeStatus)
		}
		if x.PledgeExpiresAt != nil {
			run.PledgeExpiresAt = x.PledgeExpiresAt.UTC()
		}
		r.Runs = append(r.Runs, run)
	}
	return rs, nil
}

// DueRecurring implements funds.Store.
func (s *Store) DueRecurring(ctx context.Context, now time.Time, limit int) ([]string, error) {
	var ids []string
	err := s.db.WithContext(ctx).Raw("SELECT public_id FROM recurring_pledges WHERE status = ? AND next_at <= ? ORDER BY next_at, id LIMIT ?",
		string(funds.RecurringActive), now, limit).Scan(&ids).Error
	return ids, err
}

func (t *tx) InsertRecurring(r *funds.Recurring) error {
	row := recurringRow{PublicID: r.PublicID, DonorID: r.DonorID, TargetType: string(r.TargetType), SourceID: ref(r.SourceID),
		NeedID: ref(r.NeedID), TargetPublicID: r.TargetPublicID, FallbackSourceID: ref(r.FallbackSourceID), FallbackPublicID: r.FallbackPublicID,
		AmountFen: r.AmountFen, DayOfMonth: r.DayOfMonth, Status: string(r.Status), NextAt: r.NextAt, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if err := t.g.Create(&row).Error; err != nil {
		return mstore.MapError(err)
	}
	r.ID = row.ID
	return nil
}

func (t *tx) LockRecurring(publicID string) (*funds.Recurring, error) {
	var rows []recurringRow
	if err := t.g.Raw("SELECT * FROM recurring_pledges WHERE public_id = ?"+t.s.forUpdate(), publicID).Scan(&rows).Error; err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("recurring pledge: %w", kernel.ErrNotFound)
	}
	return rows[0].domain(), nil
}

func (t *tx) UpdateRecurring(r *funds.Recurring) error {
	return t.g.Exec("UPDATE recurring_pledges SET status = ?, next_at = ?, updated_at = ? WHERE id = ?",
		string(r.Status), r.NextAt, r.UpdatedAt, r.ID).Error
}

func (t *tx) InsertRecurringRun(recurringID int64, run *funds.RecurringRun, pledgeID int64) error {
	err := t.g.Exec("INSERT INTO recurring_runs (recurring_id, period, outcome, pledge_id, reason, created_at) VALUES (?, ?, ?, ?, ?, ?)",
		recurringID, run.Period, string(funds.RunSkipped), ref(pledgeID), run.Reason, run.At).Error
	if err != nil {
		return mstore.MapError(err)
	}
	return nil
}

func (t *tx) FinishRecurringRun(recurringID int64, run *funds.RecurringRun, pledgeID int64) error {
	// A month without a pledge has nobody to remind: it is dispatched now.
	var dispatched *time.Time
	if pledgeID == 0 {
		dispatched = &run.At
	}
	return t.g.Exec("UPDATE recurring_runs SET outcome = ?, pledge_id = ?, reason = ?, reason_code = ?, dispatched_at = ? WHERE recurring_id = ? AND period = ?",
		string(run.Outcome), ref(pledgeID), clipReason(run.Reason), run.ReasonCode, dispatched, recurringID, run.Period).Error
}

// clipReason fits a reason into its column (255 characters).
func clipReason(s string) string {
	r := []rune(s)
	if len(r) > 255 {
		return string(r[:255])
	}
	return s
}

// ---- donors' choices for money in ended needs

type redirectRow struct {
	ID             int64 `gorm:"primaryKey"`
	PublicID       string
	PledgeID       int64
	NeedID         int64
	Reason         string
	FromNeedFen    int64
	FromHeldFen    int64
	AmountFen      int64
	Deadline       time.Time
	Status         string
	Action         string
	TargetID       *int64
	TargetPublicID string
	DecidedBy      string
	CreatedAt      time.Time
	AppliedAt      *time.Time
}

func (redirectRow) TableName() string { return "pledge_redirects" }

type redirectView struct {
	Row            redirectRow `gorm:"embedded"`
	PledgePublicID string
	DonorID        int64
	OrgID          int64
	OrgPublicID    string
	OrgName        string
	NeedPublicID   string
}

func (v *redirectView) domain() *funds.Redirect {
	r := v.Row
	return &funds.Redirect{ID: r.ID, PublicID: r.PublicID, PledgeID: r.PledgeID, PledgePublicID: v.PledgePublicID, DonorID: v.DonorID,
		OrgID: v.OrgID, OrgPublicID: v.OrgPublicID, OrgName: v.OrgName, NeedID: r.NeedID, NeedPublicID: v.NeedPublicID, Reason: r.Reason,
		FromNeedFen: r.FromNeedFen, FromHeldFen: r.FromHeldFen, AmountFen: r.AmountFen, Deadline: r.Deadline.UTC(),
		Status: funds.RedirectStatus(r.Status), Action: funds.RedirectAction(r.Action), TargetID: deref(r.TargetID),
		TargetPublicID: r.TargetPublicID, DecidedBy: r.DecidedBy, CreatedAt: r.CreatedAt.UTC(), AppliedAt: utc(r.AppliedAt)}
}

const redirectSelect = `SELECT r.*, p.public_id AS pledge_public_id, p.donor_id, p.org_id, o.public_id AS org_public_id, o.name AS org_name,
	n.public_id AS need_public_id
	FROM pledge_redirects r JOIN pledges p ON p.id = r.pledge_id JOIN organizations o ON o.id = p.org_id JOIN needs n ON n.id = r.need_id `

func readRedirects(g *gorm.DB, where string, args ...any) ([]funds.Redirect, error) {
	var rows []redirectView
	if err := g.Raw(redirectSelect+"WHERE "+where, args...).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]funds.Redirect, len(rows))
	for i := range rows {
		out[i] = *rows[i].domain()
	}
	return out, nil
}

func oneRedirect(rs []funds.Redirect, err error) (*funds.Redirect, error) {
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, fmt.Errorf("choice: %w", kernel.ErrNotFound)
	}
	return &rs[0], nil
}

// endedNeed is the SQL form of funds.NeedState.EndReason != "" (one
// argument: now); TestEndedNeedSQLAgreesWithNeedEndReason holds the two together.
const endedNeed = `(n.status = 'withdrawn' OR (n.status = 'closed' AND n.funded_fen > n.disbursed_fen)
	OR (n.status IN ('open', 'notice') AND n.deadline IS NOT NULL AND n.deadline < ? AND n.funded_fen < n.requested_fen))`

// RedirectCandidates implements funds.Store.
func (s *Store) RedirectCandidates(ctx context.Context, now time.Time, limit int) ([]funds.RedirectCandidate, error) {
	var rows []struct {
		PledgeID string
		NeedID   int64
	}
	err := s.db.WithContext(ctx).Raw(`SELECT DISTINCT p.public_id AS pledge_id, n.id AS need_id
		FROM needs n JOIN need_lots l ON l.need_id = n.id JOIN pledges p ON p.id = l.pledge_id
		WHERE `+endedNeed+` AND l.kind = 'gift' AND l.amount_fen > l.paid_fen AND p.status = ?
		AND NOT EXISTS (SELECT 1 FROM pledge_redirects r WHERE r.pledge_id = p.id AND r.need_id = n.id AND r.reason <> ?)
		LIMIT ?`, now, string(funds.PledgeConfirmed), funds.EndUnapplied, limit).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]funds.RedirectCandidate, len(rows))
	for i, r := range rows {
		out[i] = funds.RedirectCandidate{PledgeID: r.PledgeID, NeedID: r.NeedID}
	}
	return out, nil
}

// DueRedirects implements funds.Store.
func (s *Store) DueRedirects(ctx context.Context, now time.Time, limit int) ([]string, error) {
	var ids []string
	err := s.db.WithContext(ctx).Raw("SELECT public_id FROM pledge_redirects WHERE status = ? AND deadline <= ? ORDER BY deadline, id LIMIT ?",
		string(funds.RedirectPending), now, limit).Scan(&ids).Error
	return ids, err
}

// LastRedirect implements funds.Store.
func (s *Store) LastRedirect(ctx context.Context, pledgeID int64) (*funds.Redirect, error) {
	return oneRedirect(readRedirects(s.db.WithContext(ctx), "r.pledge_id = ? ORDER BY CASE WHEN r.status = 'pending' THEN 0 ELSE 1 END, r.id DESC LIMIT 1", pledgeID))
}

// DonorRedirects implements funds.Store.
func (s *Store) DonorRedirects(ctx context.Context, donorID int64) ([]funds.Redirect, error) {
	return readRedirects(s.db.WithContext(ctx), "p.donor_id = ? ORDER BY r.id DESC", donorID)
}

// GeneralFund implements funds.Store.
func (s *Store) GeneralFund(ctx context.Context, orgID int64, now time.Time) (*funds.Source, error) {
	return s.generalFund(s.db.WithContext(ctx), orgID, now)
}

// GeneralFund implements funds.Tx: inside the transaction, so that it
// needs no second connection while the transaction holds one.
func (t *tx) GeneralFund(orgID int64, now time.Time) (*funds.Source, error) {
	return t.s.generalFund(t.g, orgID, now)
}

func (s *Store) generalFund(g *gorm.DB, orgID int64, now time.Time) (*funds.Source, error) {
	var rows []sourceView
	if err := g.Raw(s.sourceSelect()+"WHERE s.org_id = ? AND s.kind = ? AND s.status = ? ORDER BY s.id",
		orgID, string(funds.KindFund), string(funds.SourceActive)).Scan(&rows).Error; err != nil {
		return nil, err
	}
	for i := range rows {
		src := rows[i].domain()
		r := src.Restrictions
		if len(r.Categories) == 0 && len(r.RegionPrefixes) == 0 && len(r.HouseholdTypes) == 0 && r.PerNeedCapFen == 0 && src.Running(now) {
			return src, nil
		}
	}
	return nil, fmt.Errorf("general fund: %w", kernel.ErrNotFound)
}

func (t *tx) InsertRedirect(r *funds.Redirect) error {
	row := redirectRow{PublicID: r.PublicID, PledgeID: r.PledgeID, NeedID: r.NeedID, Reason: r.Reason, FromNeedFen: r.FromNeedFen,
		FromHeldFen: r.FromHeldFen, AmountFen: r.AmountFen, Deadline: r.Deadline, Status: string(r.Status), CreatedAt: r.CreatedAt}
	if err := t.g.Create(&row).Error; err != nil {
		return mstore.MapError(err)
	}
	r.ID = row.ID
	return nil
}

func (t *tx) LockRedirect(publicID string) (*funds.Redirect, error) {
	var ids []int64
	if err := t.g.Raw("SELECT id FROM pledge_redirects WHERE public_id = ?"+t.s.forUpdate(), publicID).Scan(&ids).Error; err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("choice: %w", kernel.ErrNotFound)
	}
	return oneRedirect(readRedirects(t.g, "r.id = ?", ids[0]))
}

func (t *tx) LastRedirect(pledgeID int64) (*funds.Redirect, error) {
	return oneRedirect(readRedirects(t.g, "r.pledge_id = ? ORDER BY CASE WHEN r.status = 'pending' THEN 0 ELSE 1 END, r.id DESC LIMIT 1", pledgeID))
}

func (t *tx) UpdateRedirect(r *funds.Redirect) error {
	return t.g.Exec("UPDATE pledge_redirects SET status = ?, action = ?, target_id = ?, target_public_id = ?, decided_by = ?, applied_at = ? WHERE id = ?",
		string(r.Status), string(r.Action), ref(r.TargetID), r.TargetPublicID, r.DecidedBy, r.AppliedAt, r.ID).Error
}

// StrandedAllocations implements funds.Store.
func (s *Store) StrandedAllocations(ctx context.Context, limit int) ([]string, error) {
	var ids []string
	err := s.db.WithContext(ctx).Raw(`SELECT a.public_id FROM needs n JOIN allocations a ON a.need_id = n.id
		WHERE n.status IN ('withdrawn', 'closed') AND a.status = ? ORDER BY a.id LIMIT ?`, string(funds.AllocAllocated), limit).Scan(&ids).Error
	return ids, err
}
