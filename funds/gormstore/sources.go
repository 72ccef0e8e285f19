package gormstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jiujinan/jiujinan/kernel"

	"gorm.io/gorm"

	"github.com/jiujinan/jiujinan/funds"
	mstore "github.com/jiujinan/jiujinan/marketplace/gormstore"
	"github.com/jiujinan/jiujinan/sqldb"
)

type sourceRow struct {
	ID               int64 `gorm:"primaryKey"`
	PublicID         string
	Kind             string
	OrgID            int64
	Name             string
	Namer            string
	Purpose          string
	Restrictions     string
	BudgetFen        int64
	PeriodFrom       *time.Time
	PeriodTo         *time.Time
	Status           string
	MatchRatioPct    int64
	MatchDonorCapFen int64
	MatchTotalCapFen int64
	LastReportAt     *time.Time
	CreatedBy        int64
	CreatedAt        time.Time
}

func (sourceRow) TableName() string { return "fund_sources" }

type sourceView struct {
	Row           sourceRow `gorm:"embedded"`
	OrgPublicID   string
	OrgName       string
	OrgRegionCode string
	BalanceFen    int64
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func (v *sourceView) domain() *funds.Source {
	s := &funds.Source{ID: v.Row.ID, PublicID: v.Row.PublicID, Kind: funds.SourceKind(v.Row.Kind), OrgID: v.Row.OrgID, OrgPublicID: v.OrgPublicID,
		OrgName: v.OrgName, OrgRegion: v.OrgRegionCode, Name: v.Row.Name, Namer: v.Row.Namer, Purpose: v.Row.Purpose, BudgetFen: v.Row.BudgetFen,
		PeriodFrom: utc(v.Row.PeriodFrom), PeriodTo: utc(v.Row.PeriodTo), Status: funds.SourceStatus(v.Row.Status),
		Match:        funds.MatchOffer{RatioPct: v.Row.MatchRatioPct, DonorCapFen: v.Row.MatchDonorCapFen, TotalCapFen: v.Row.MatchTotalCapFen},
		LastReportAt: utc(v.Row.LastReportAt), CreatedBy: v.Row.CreatedBy, CreatedAt: v.Row.CreatedAt.UTC(), BalanceFen: v.BalanceFen}
	_ = json.Unmarshal([]byte(v.Row.Restrictions), &s.Restrictions)
	return s
}

func concat(d sqldb.Dialect, parts ...string) string {
	if d == sqldb.MySQL {
		out := "CONCAT("
		for i, p := range parts {
			if i > 0 {
				out += ", "
			}
			out += p
		}
		return out + ")"
	}
	out := ""
	for i, p := range parts {
		if i > 0 {
			out += " || "
		}
		out += p
	}
	return out
}

func (s *Store) sourceSelect() string {
	return `SELECT s.*, o.public_id AS org_public_id, o.name AS org_name, o.region_code AS org_region_code, COALESCE(la.balance_fen, 0) AS balance_fen
		FROM fund_sources s JOIN organizations o ON o.id = s.org_id
		LEFT JOIN ledger_accounts la ON la.code = ` + concat(s.dialect, "s.kind", "':'", "s.public_id") + " "
}

func (s *Store) readSource(g *gorm.DB, where string, arg any) (*funds.Source, error) {
	var rows []sourceView
	if err := g.Raw(s.sourceSelect()+"WHERE "+where, arg).Scan(&rows).Error; err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("fund or project: %w", kernel.ErrNotFound)
	}
	return rows[0].domain(), nil
}

// Source implements funds.Store.
func (s *Store) Source(ctx context.Context, publicID string) (*funds.Source, error) {
	return s.readSource(s.db.WithContext(ctx), "s.public_id = ?", publicID)
}

func (t *tx) Source(publicID string) (*funds.Source, error) {
	return t.s.readSource(t.g, "s.public_id = ?", publicID)
}

// SourceOwner implements funds.Store. A source's kind and holder never
// change (nothing updates them and sources are not deleted): the answer is
// kept in memory.
func (s *Store) SourceOwner(ctx context.Context, publicID string) (funds.SourceKind, int64, error) {
	if v, ok := s.owners.Load(publicID); ok {
		o := v.(sourceOwner)
		return o.kind, o.orgID, nil
	}
	var rows []struct {
		Kind  string
		OrgID int64
	}
	if err := s.db.WithContext(ctx).Raw("SELECT kind, org_id FROM fund_sources WHERE public_id = ?", publicID).Scan(&rows).Error; err != nil {
		return "", 0, err
	}
	if len(rows) == 0 {
		return "", 0, fmt.Errorf("fund or project: %w", kernel.ErrNotFound)
	}
	o := sourceOwner{kind: funds.SourceKind(rows[0].Kind), orgID: rows[0].OrgID}
	s.owners.Store(publicID, o)
	return o.kind, o.orgID, nil
}

type sourceOwner struct {
	kind  funds.SourceKind
	orgID int64
}

func (t *tx) SourceByID(id int64) (*funds.Source, error) {
	return t.s.readSource(t.g, "s.id = ?", id)
}

// Sources implements funds.Store.
func (s *Store) Sources(ctx context.Context, kind funds.SourceKind, limit, offset int) ([]funds.Source, error) {
	var rows []sourceView
	if err := s.db.WithContext(ctx).Raw(s.sourceSelect()+"WHERE s.kind = ? ORDER BY s.id DESC LIMIT ? OFFSET ?", string(kind), limit, offset).
		Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]funds.Source, len(rows))
	for i := range rows {
		out[i] = *rows[i].domain()
	}
	return out, nil
}

// CreateSource implements funds.Store.
func (s *Store) CreateSource(ctx context.Context, src *funds.Source) error {
	b, err := json.Marshal(src.Restrictions)
	if err != nil {
		return err
	}
	row := sourceRow{PublicID: src.PublicID, Kind: string(src.Kind), OrgID: src.OrgID, Name: src.Name, Namer: src.Namer,
		Purpose: src.Purpose, Restrictions: string(b), BudgetFen: src.BudgetFen, PeriodFrom: src.PeriodFrom, PeriodTo: src.PeriodTo,
		Status: string(src.Status), MatchRatioPct: src.Match.RatioPct, MatchDonorCapFen: src.Match.DonorCapFen,
		MatchTotalCapFen: src.Match.TotalCapFen, CreatedBy: src.CreatedBy, CreatedAt: src.CreatedAt}
	return s.db.WithContext(ctx).Transaction(func(g *gorm.DB) error {
		if err := g.Create(&row).Error; err != nil {
			return mstore.MapError(err)
		}
		src.ID = row.ID
		return g.Exec("INSERT INTO ledger_accounts (code, kind, balance_fen, created_at) VALUES (?, ?, 0, ?)",
			funds.SourceAccount(src).Code(), string(funds.SourceAccount(src).Kind), src.CreatedAt).Error
	})
}

// SetSourceReport implements funds.Store.
func (s *Store) SetSourceReport(ctx context.Context, sourceID int64, at time.Time) error {
	return s.db.WithContext(ctx).Exec("UPDATE fund_sources SET last_report_at = ? WHERE id = ?", at, sourceID).Error
}

func (t *tx) GivenFen(sourceID, needID int64) (int64, error) {
	var sum []int64
	if err := t.g.Raw(`SELECT COALESCE(SUM(l.amount_fen), 0) FROM need_lots l JOIN needs n ON n.id = l.need_id
		WHERE l.source_id = ? AND n.pseudonym = (SELECT pseudonym FROM needs WHERE id = ?)`, sourceID, needID).Scan(&sum).Error; err != nil {
		return 0, err
	}
	if len(sum) == 0 {
		return 0, nil
	}
	return sum[0], nil
}

// OrgByPublicID implements funds.Store.
func (s *Store) OrgByPublicID(ctx context.Context, publicID string) (int64, string, string, error) {
	var rows []struct {
		ID   int64
		Name string
		Kind string
	}
	if err := s.db.WithContext(ctx).Raw("SELECT id, name, kind FROM organizations WHERE public_id = ?", publicID).Scan(&rows).Error; err != nil {
		return 0, "", "", err
	}
	if len(rows) == 0 {
		return 0, "", "", kernel.ErrNotFound
	}
	return rows[0].ID, rows[0].Name, rows[0].Kind, nil
}

// ReceivingOrg implements funds.Store.
func (s *Store) ReceivingOrg(ctx context.Context, regionCode string) (int64, string, string, error) {
	if len(regionCode) < 6 {
		return 0, "", "", kernel.ErrNotFound
	}
	for _, code := range []string{regionCode[:6], regionCode[:4] + "00", regionCode[:2] + "0000"} {
		var rows []struct {
			ID       int64
			PublicID string
			Name     string
		}
		if err := s.db.WithContext(ctx).Raw("SELECT id, public_id, name FROM organizations WHERE kind = ? AND region_code = ? ORDER BY id LIMIT 1",
			string(kernel.OrgCharityFederation), code).Scan(&rows).Error; err != nil {
			return 0, "", "", err
		}
		if len(rows) > 0 {
			return rows[0].ID, rows[0].PublicID, rows[0].Name, nil
		}
	}
	return 0, "", "", kernel.ErrNotFound
}

// UserName implements funds.Store.
func (s *Store) UserName(ctx context.Context, userID int64) (string, error) {
	var names []string
	if err := s.db.WithContext(ctx).Raw("SELECT display_name FROM users WHERE id = ?", userID).Scan(&names).Error; err != nil {
		return "", err
	}
	if len(names) == 0 {
		return "", kernel.ErrNotFound
	}
	return names[0], nil
}
