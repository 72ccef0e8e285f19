package gormstore

import (
	"context"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/stats"
)

// effectiveStatus is the SQL of marketplace.EffectiveStatus: a need in
// notice whose notice has ended (at the bound time) is open.
const effectiveStatus = `CASE WHEN n.status = 'notice' AND n.notice_ends_at IS NOT NULL AND n.notice_ends_at <= ? THEN 'open' ELSE n.status END`

// public is the SQL of marketplace/gormstore's rule for a public need
// (published, with the household's consent, its public region computed,
// in a public status); the pages show a need's public title only then,
// and read its projection from the needs store, which applies the rule
// again.
const public = `n.published_at IS NOT NULL AND n.consent_public = 1 AND n.public_region_code <> '' AND n.status IN ('notice', 'open', 'funded', 'disbursed', 'closed')`

// NeedTotals implements stats.CountyStore.
func (s *Store) NeedTotals(ctx context.Context, regionPrefix string, now time.Time) ([]stats.NeedTotal, error) {
	var rows []struct {
		County, St                      string
		N, Requested, Funded, Disbursed int64
	}
	err := s.db.WithContext(ctx).Raw(`SELECT SUBSTR(n.region_code, 1, 6) AS county, `+effectiveStatus+` AS st, COUNT(*) AS n,
		SUM(n.requested_fen) AS requested, SUM(n.funded_fen) AS funded, SUM(n.disbursed_fen) AS disbursed
		FROM needs n WHERE n.region_code LIKE ? GROUP BY county, st`, now.UTC(), like(regionPrefix)).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]stats.NeedTotal, len(rows))
	for i, r := range rows {
		out[i] = stats.NeedTotal{County: r.County, Status: kernel.NeedStatus(r.St), Needs: r.N, RequestedFen: r.Requested,
			FundedFen: r.Funded, DisbursedFen: r.Disbursed}
	}
	return out, nil
}

// balanceJoin joins a fund or project (s) to its ledger account.
func (s *Store) balanceJoin() string {
	code := "s.kind || ':' || s.public_id"
	if s.dialect == sqldb.MySQL {
		code = "CONCAT(s.kind, ':', s.public_id)"
	}
	return "LEFT JOIN ledger_accounts la ON la.code = " + code
}

// SourceTotals implements stats.CountyStore.
func (s *Store) SourceTotals(ctx context.Context, regionPrefix string) ([]stats.SourceTotal, error) {
	var rows []struct {
		Region     string
		N, Balance int64
	}
	err := s.db.WithContext(ctx).Raw(`SELECT o.region_code AS region, COUNT(*) AS n, SUM(COALESCE(la.balance_fen, 0)) AS balance
		FROM fund_sources s JOIN organizations o ON o.id = s.org_id `+s.balanceJoin()+`
		WHERE o.region_code LIKE ? GROUP BY o.region_code`, like(regionPrefix)).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]stats.SourceTotal, len(rows))
	for i, r := range rows {
		out[i] = stats.SourceTotal{Region: r.Region, Sources: r.N, BalanceFen: r.Balance}
	}
	return out, nil
}

// Sources implements stats.CountyStore.
func (s *Store) Sources(ctx context.Context, regionPrefix string) ([]stats.SourceLine, error) {
	var rows []stats.SourceLine
	err := s.db.WithContext(ctx).Raw(`SELECT s.public_id AS public_id, s.kind AS kind, s.name AS name, s.status AS status,
		o.name AS org_name, o.region_code AS org_region, COALESCE(la.balance_fen, 0) AS balance_fen
		FROM fund_sources s JOIN organizations o ON o.id = s.org_id `+s.balanceJoin()+`
		WHERE o.region_code LIKE ? ORDER BY o.name, s.name, s.id`, like(regionPrefix)).Scan(&rows).Error
	return rows, err
}

// Needs implements stats.CountyStore.
func (s *Store) Needs(ctx context.Context, regionPrefix string, now time.Time, limit int) ([]stats.NeedLine, int, error) {
	g := s.db.WithContext(ctx)
	var total int64
	if err := g.Raw(`SELECT COUNT(*) FROM needs n WHERE n.region_code LIKE ?`, like(regionPrefix)).Scan(&total).Error; err != nil {
		return nil, 0, err
	}
	var rows []struct {
		PublicID, St, Category, Urgency, RegionCode, OrgName string
		RequestedFen, FundedFen, DisbursedFen                int64
		SubmittedAt                                          *time.Time
		IsPublic                                             int
		PublicTitle                                          string
	}
	err := g.Raw(`SELECT n.public_id AS public_id, `+effectiveStatus+` AS st, n.category AS category, n.urgency AS urgency,
		n.region_code AS region_code, o.name AS org_name, n.requested_fen AS requested_fen, n.funded_fen AS funded_fen,
		n.disbursed_fen AS disbursed_fen, n.submitted_at AS submitted_at,
		CASE WHEN `+public+` THEN 1 ELSE 0 END AS is_public, n.public_title AS public_title
		FROM needs n JOIN organizations o ON o.id = n.org_id
		WHERE n.region_code LIKE ? ORDER BY n.id DESC LIMIT ?`, now.UTC(), like(regionPrefix), limit).Scan(&rows).Error
	if err != nil {
		return nil, 0, err
	}
	out := make([]stats.NeedLine, len(rows))
	for i, r := range rows {
		l := stats.NeedLine{PublicID: r.PublicID, Status: kernel.NeedStatus(r.St), Category: kernel.Category(r.Category),
			Urgency: kernel.Urgency(r.Urgency), RegionCode: r.RegionCode, OrgName: r.OrgName, RequestedFen: r.RequestedFen,
			FundedFen: r.FundedFen, DisbursedFen: r.DisbursedFen, Public: r.IsPublic == 1}
		if r.SubmittedAt != nil {
			t := r.SubmittedAt.UTC()
			l.SubmittedAt = &t
		}
		if l.Public {
			l.Title = r.PublicTitle
		}
		out[i] = l
	}
	return out, int(total), nil
}

// NoticeNeeds implements stats.CountyStore.
func (s *Store) NoticeNeeds(ctx context.Context, regionPrefix string, now time.Time, limit int) ([]string, error) {
	var ids []string
	err := s.db.WithContext(ctx).Raw(`SELECT n.public_id FROM needs n
		WHERE n.region_code LIKE ? AND n.status = 'notice' AND (n.notice_ends_at IS NULL OR n.notice_ends_at > ?) AND `+public+`
		ORDER BY n.published_at, n.id LIMIT ?`, like(regionPrefix), now.UTC(), limit).Scan(&ids).Error
	return ids, err
}
