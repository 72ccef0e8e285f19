// Package gormstore is the SQL of the statistics (stats.Store) on SQLite
// and MySQL/MariaDB alike: aggregates over the needs store's tables
// (needs, need_events, need_objections, case_steps), referrals, and the money's
// business tables (pledges, allocations, disbursements, fund_sources with
// their ledger accounts). It only reads.
package gormstore

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/jiujinan/jiujinan/kernel"
	"github.com/jiujinan/jiujinan/marketplace"
	"github.com/jiujinan/jiujinan/sqldb"
	"github.com/jiujinan/jiujinan/stats"
)

// Store implements stats.Store.
type Store struct {
	db      *gorm.DB
	dialect sqldb.Dialect
}

var _ stats.Store = (*Store)(nil)

// New returns a store over db.
func New(db *sqldb.DB) *Store { return &Store{db: db.Gorm, dialect: db.Dialect} }

// bucket is the SQL that numbers the month of col within bounds (0 for
// [bounds[0], bounds[1]) and so on), with its arguments; rangeOf the
// condition that col is within them. Both are plain comparisons, the same
// SQL on every database.
func bucket(col string, bounds []time.Time) (string, []any) {
	var b strings.Builder
	var args []any
	b.WriteString("CASE")
	for i := 1; i < len(bounds); i++ {
		b.WriteString(" WHEN " + col + " < ? THEN " + itoa(i-1))
		args = append(args, bounds[i])
	}
	b.WriteString(" ELSE -1 END")
	return b.String(), args
}

func rangeOf(col string, bounds []time.Time) (string, []any) {
	return col + " >= ? AND " + col + " < ?", []any{bounds[0], bounds[len(bounds)-1]}
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// like is the LIKE pattern of a region prefix (digits only: nothing to escape).
func like(prefix string) string { return prefix + "%" }

// The need events the statistics count.
const (
	evSubmit    = "need.submit"
	evClearance = "need.clearance"
	evPublish   = "need.publish"
	evFunded    = "need.funded"
	evDisbursed = "need.disbursed"
	evClose     = "need.close"
	evWithdraw  = "need.withdraw"
	// evReview is a town's review (two-step approval): passed on (the
	// need stays submitted) or rejected.
	evReview = "need.review"
)

type cellKey struct {
	b         int
	region    string
	category  kernel.Category
	org       int64
	programme kernel.Programme
	step      marketplace.StepKind
}

type cells map[cellKey]*stats.Cell

func (m cells) at(k cellKey) *stats.Cell {
	c := m[k]
	if c == nil {
		c = &stats.Cell{Bucket: k.b, Region: k.region, Category: k.category, OrgID: k.org, Programme: k.programme, Step: k.step}
		m[k] = c
	}
	return c
}

// Cells implements stats.Store.
func (s *Store) Cells(ctx context.Context, regionPrefix string, bounds []time.Time) ([]stats.Cell, error) {
	bounds = append([]time.Time(nil), bounds...)
	for i := range bounds {
		bounds[i] = bounds[i].UTC()
	}
	g := s.db.WithContext(ctx)
	out := cells{}
	if err := s.eventCells(g, out, regionPrefix, bounds); err != nil {
		return nil, err
	}
	if err := s.objectionCells(g, out, regionPrefix, bounds); err != nil {
		return nil, err
	}
	if err := s.referralCells(g, out, regionPrefix, bounds); err != nil {
		return nil, err
	}
	if err := s.moneyCells(g, out, regionPrefix, bounds); err != nil {
		return nil, err
	}
	if err := s.stepCells(g, out, regionPrefix, bounds); err != nil {
		return nil, err
	}
	list := make([]stats.Cell, 0, len(out))
	for _, c := range out {
		if c.Bucket >= 0 && c.Bucket < len(bounds)-1 && !c.Figures.Zero() {
			list = append(list, *c)
		}
	}
	return list, nil
}

// scan runs a grouped query whose first column is the bucket and reads
// every row with fn.
func scan[R any](g *gorm.DB, sql string, args []any, fn func(R)) error {
	var rows []R
	if err := g.Raw(sql, args...).Scan(&rows).Error; err != nil {
		return err
	}
	for _, r := range rows {
		fn(r)
	}
	return nil
}

func (s *Store) eventCells(g *gorm.DB, out cells, prefix string, bounds []time.Time) error {
	bexp, bargs := bucket("e.at", bounds)
	rexp, rargs := rangeOf("e.at", bounds)
	sql := `SELECT ` + bexp + ` AS b, n.region_code AS region, n.category AS category, n.org_id AS org_id,
		e.action AS action, e.to_status AS to_status, COUNT(*) AS n,
		SUM(CASE WHEN n.clearance_due_at IS NOT NULL THEN 1 ELSE 0 END) AS with_due,
		SUM(CASE WHEN n.clearance_due_at IS NOT NULL AND e.at <= n.clearance_due_at THEN 1 ELSE 0 END) AS on_time
		FROM need_events e JOIN needs n ON n.id = e.need_id
		WHERE e.action IN ? AND ` + rexp + ` AND n.region_code LIKE ?
		GROUP BY b, n.region_code, n.category, n.org_id, e.action, e.to_status`
	args := append(append(append(bargs, []string{evSubmit, evClearance, evReview, evPublish, evFunded, evDisbursed, evClose}), rargs...), like(prefix))
	type row struct {
		B                  int
		Region, Category   string
		OrgID              int64
		Action, ToStatus   string
		N, WithDue, OnTime int64
	}
	return scan(g, sql, args, func(r row) {
		c := out.at(cellKey{b: r.B, region: r.Region, category: kernel.Category(r.Category), org: r.OrgID})
		switch r.Action {
		case evSubmit:
			c.Received += r.N
		case evClearance:
			switch kernel.NeedStatus(r.ToStatus) {
			case kernel.NeedCleared:
				c.Cleared += r.N
			case kernel.NeedRejected:
				c.Rejected += r.N
			case kernel.NeedReferred:
				c.Referred += r.N
			}
			c.ClearanceDecided += r.WithDue
			c.ClearanceOnTime += r.OnTime
		case evReview:
			// A town's rejection ends the case; its passing on is the
			// county's to decide, counted then.
			if kernel.NeedStatus(r.ToStatus) == kernel.NeedRejected {
				c.Rejected += r.N
			}
		case evPublish:
			c.Published += r.N
		case evFunded:
			c.Funded += r.N
		case evDisbursed:
			c.Disbursed += r.N
		case evClose:
			c.Closed += r.N
		}
	})
}

func (s *Store) objectionCells(g *gorm.DB, out cells, prefix string, bounds []time.Time) error {
	bexp, bargs := bucket("o.resolved_at", bounds)
	rexp, rargs := rangeOf("o.resolved_at", bounds)
	sql := `SELECT ` + bexp + ` AS b, n.region_code AS region, n.category AS category, n.org_id AS org_id,
		SUM(CASE WHEN o.due_at IS NOT NULL THEN 1 ELSE 0 END) AS with_due,
		SUM(CASE WHEN o.due_at IS NOT NULL AND o.resolved_at <= o.due_at THEN 1 ELSE 0 END) AS on_time
		FROM need_objections o JOIN needs n ON n.id = o.need_id
		WHERE o.status IN ('upheld', 'dismissed') AND ` + rexp + ` AND n.region_code LIKE ?
		GROUP BY b, n.region_code, n.category, n.org_id`
	type row struct {
		B                int
		Region, Category string
		OrgID            int64
		WithDue, OnTime  int64
	}
	return scan(g, sql, append(append(bargs, rargs...), like(prefix)), func(r row) {
		c := out.at(cellKey{b: r.B, region: r.Region, category: kernel.Category(r.Category), org: r.OrgID})
		c.ObjectionsResolved += r.WithDue
		c.ObjectionsOnTime += r.OnTime
	})
}

func (s *Store) referralCells(g *gorm.DB, out cells, prefix string, bounds []time.Time) error {
	bexp, bargs := bucket("r.created_at", bounds)
	rexp, rargs := rangeOf("r.created_at", bounds)
	sql := `SELECT ` + bexp + ` AS b, n.region_code AS region, n.category AS category, n.org_id AS org_id,
		r.programme AS programme, r.status AS status, COUNT(*) AS n
		FROM referrals r JOIN needs n ON n.id = r.need_id
		WHERE ` + rexp + ` AND n.region_code LIKE ?
		GROUP BY b, n.region_code, n.category, n.org_id, r.programme, r.status`
	type row struct {
		B                                   int
		Region, Category, Programme, Status string
		OrgID, N                            int64
	}
	return scan(g, sql, append(append(bargs, rargs...), like(prefix)), func(r row) {
		c := out.at(cellKey{b: r.B, region: r.Region, category: kernel.Category(r.Category), org: r.OrgID, programme: kernel.Programme(r.Programme)})
		c.ReferralsMade += r.N
		switch r.Status {
		case "open":
			c.ReferralsOpen += r.N
		case "accepted":
			c.ReferralsAccepted += r.N
		case "closed":
			c.ReferralsClosed += r.N
		}
	})
}

// moneyCells reads the money from the business tables of the ledger's
// movements: each row of them is posted as one journal transaction at its
// time (a confirmed pledge as a donation, an allocation, a matching gift,
// a disbursement), which the statistics' agreement test checks against
// the journal itself.
func (s *Store) moneyCells(g *gorm.DB, out cells, prefix string, bounds []time.Time) error {
	type row struct {
		B                int
		Region, Category string
		OrgID, Fen       int64
	}
	// Raised: donors' pledges confirmed, by the receiving organization.
	bexp, bargs := bucket("p.confirmed_at", bounds)
	rexp, rargs := rangeOf("p.confirmed_at", bounds)
	err := scan(g, `SELECT `+bexp+` AS b, o.region_code AS region, p.org_id AS org_id, SUM(p.amount_fen) AS fen
		FROM pledges p JOIN organizations o ON o.id = p.org_id
		WHERE p.matched_pledge_id IS NULL AND `+rexp+` AND o.region_code LIKE ?
		GROUP BY b, o.region_code, p.org_id`, append(append(bargs, rargs...), like(prefix)), func(r row) {
		out.at(cellKey{b: r.B, region: r.Region, org: r.OrgID}).RaisedFen += r.Fen
	})
	if err != nil {
		return err
	}
	// Given: allocations from funds and projects, by the source's organization.
	bexp, bargs = bucket("a.created_at", bounds)
	rexp, rargs = rangeOf("a.created_at", bounds)
	err = scan(g, `SELECT `+bexp+` AS b, n.region_code AS region, n.category AS category, s.org_id AS org_id, SUM(a.amount_fen) AS fen
		FROM allocations a JOIN needs n ON n.id = a.need_id JOIN fund_sources s ON s.id = a.source_id
		WHERE `+rexp+` AND n.region_code LIKE ?
		GROUP BY b, n.region_code, n.category, s.org_id`, append(append(bargs, rargs...), like(prefix)), func(r row) {
		out.at(cellKey{b: r.B, region: r.Region, category: kernel.Category(r.Category), org: r.OrgID}).AllocatedFen += r.Fen
	})
	if err != nil {
		return err
	}
	// Given: the funds' matching gifts (配捐), by the fund's organization.
	bexp, bargs = bucket("p.confirmed_at", bounds)
	rexp, rargs = rangeOf("p.confirmed_at", bounds)
	err = scan(g, `SELECT `+bexp+` AS b, n.region_code AS region, n.category AS category, p.org_id AS org_id, SUM(p.amount_fen) AS fen
		FROM pledges p JOIN needs n ON n.id = p.need_id
		WHERE p.matched_pledge_id IS NOT NULL AND `+rexp+` AND n.region_code LIKE ?
		GROUP BY b, n.region_code, n.category, p.org_id`, append(append(bargs, rargs...), like(prefix)), func(r row) {
		out.at(cellKey{b: r.B, region: r.Region, category: kernel.Category(r.Category), org: r.OrgID}).AllocatedFen += r.Fen
	})
	if err != nil {
		return err
	}
	// Paid out: disbursements, by the organization that paid.
	bexp, bargs = bucket("d.created_at", bounds)
	rexp, rargs = rangeOf("d.created_at", bounds)
	return scan(g, `SELECT `+bexp+` AS b, n.region_code AS region, n.category AS category, d.org_id AS org_id, SUM(d.amount_fen) AS fen
		FROM disbursements d JOIN needs n ON n.id = d.need_id
		WHERE `+rexp+` AND n.region_code LIKE ?
		GROUP BY b, n.region_code, n.category, d.org_id`, append(append(bargs, rargs...), like(prefix)), func(r row) {
		out.at(cellKey{b: r.B, region: r.Region, category: kernel.Category(r.Category), org: r.OrgID}).PaidFen += r.Fen
	})
}

// stepCells reads the case steps (case_steps, written by the needs and
// reports stores with each step's start, due date and end) that ended in
// the period, by step, with the need's category and posting organization,
// or a report's category and the organization that took it.
func (s *Store) stepCells(g *gorm.DB, out cells, prefix string, bounds []time.Time) error {
	bexp, bargs := bucket("cs.ended_at", bounds)
	rexp, rargs := rangeOf("cs.ended_at", bounds)
	sql := `SELECT ` + bexp + ` AS b, cs.region_code AS region, ` + stepCategory + ` AS cat, ` + stepOrg + ` AS org, cs.step AS step,
		COUNT(*) AS n, SUM(CASE WHEN cs.ended_at <= cs.due_at THEN 1 ELSE 0 END) AS on_time
		FROM case_steps cs LEFT JOIN needs n ON n.id = cs.need_id LEFT JOIN reports r ON r.id = cs.report_id
		WHERE ` + rexp + ` AND cs.region_code LIKE ?
		GROUP BY b, cs.region_code, cat, org, cs.step`
	type row struct {
		B                 int
		Region, Cat, Step string
		Org, N, OnTime    int64
	}
	return scan(g, sql, append(append(bargs, rargs...), like(prefix)), func(r row) {
		c := out.at(cellKey{b: r.B, region: r.Region, category: kernel.Category(r.Cat), org: r.Org, step: marketplace.StepKind(r.Step)})
		c.StepsEnded += r.N
		c.StepsOnTime += r.OnTime
	})
}

// A step's category and organization: its need's, else its report's.
const (
	stepCategory = `COALESCE(n.category, r.category, '')`
	stepOrg      = `COALESCE(n.org_id, r.owner_org_id, 0)`
)

// Overdue implements stats.Store.
func (s *Store) Overdue(ctx context.Context, regionPrefix string, at time.Time) ([]stats.Cell, error) {
	at = at.UTC()
	g := s.db.WithContext(ctx)
	var needs []struct {
		Region, Category string
		OrgID, N         int64
	}
	// Waiting: still submitted at the instant, whatever step of approval
	// it is at (a town's passing on keeps it submitted).
	err := g.Raw(`SELECT n.region_code AS region, n.category AS category, n.org_id AS org_id, COUNT(*) AS n
		FROM needs n
		WHERE n.region_code LIKE ? AND n.submitted_at < ? AND n.clearance_due_at < ?
		AND NOT EXISTS (SELECT 1 FROM need_events e WHERE e.need_id = n.id AND e.from_status = 'submitted' AND e.to_status <> 'submitted' AND e.at < ?)
		GROUP BY n.region_code, n.category, n.org_id`,
		like(regionPrefix), at, at, at).Scan(&needs).Error
	if err != nil {
		return nil, err
	}
	out := make([]stats.Cell, 0, len(needs))
	for _, r := range needs {
		out = append(out, stats.Cell{Region: r.Region, Category: kernel.Category(r.Category), OrgID: r.OrgID, Figures: stats.Figures{ClearanceOverdue: r.N}})
	}
	var steps []struct {
		Region, Cat, Step string
		Org, N            int64
	}
	err = g.Raw(`SELECT cs.region_code AS region, `+stepCategory+` AS cat, `+stepOrg+` AS org, cs.step AS step, COUNT(*) AS n
		FROM case_steps cs LEFT JOIN needs n ON n.id = cs.need_id LEFT JOIN reports r ON r.id = cs.report_id
		WHERE cs.region_code LIKE ? AND cs.started_at < ? AND cs.due_at < ? AND (cs.ended_at IS NULL OR cs.ended_at >= ?)
		GROUP BY cs.region_code, cat, org, cs.step`, like(regionPrefix), at, at, at).Scan(&steps).Error
	if err != nil {
		return nil, err
	}
	for _, r := range steps {
		out = append(out, stats.Cell{Region: r.Region, Category: kernel.Category(r.Cat), OrgID: r.Org, Step: marketplace.StepKind(r.Step),
			Figures: stats.Figures{StepsOverdue: r.N}})
	}
	return out, nil
}

// Orgs implements stats.Store.
func (s *Store) Orgs(ctx context.Context, ids []int64) (map[int64]stats.Org, error) {
	out := map[int64]stats.Org{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		ID                           int64
		PublicID, Name, Kind, Region string
	}
	if err := s.db.WithContext(ctx).Raw(`SELECT id, public_id, name, kind, region_code AS region FROM organizations WHERE id IN ?`, ids).
		Scan(&rows).Error; err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.ID] = stats.Org{ID: r.ID, PublicID: r.PublicID, Name: r.Name, Kind: kernel.OrgKind(r.Kind), RegionCode: r.Region}
	}
	return out, nil
}
